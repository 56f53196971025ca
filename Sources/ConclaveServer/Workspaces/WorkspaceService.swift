import ConclaveCore
import ConclaveStore
import Foundation

/// Workspaces: create (the caller becomes owner), list the caller's, read, rename, delete.
/// Each method owns its transaction, its access checks, its audit entry and its event.
struct WorkspaceService {
    let dependencies: ServerDependencies

    struct CreateRequest: Decodable {
        let name: String
    }

    struct UpdateRequest: Decodable {
        let name: String?
        /// The most agent messages in a row a thread may hold (contract v1.1), 1 to 1000.
        let loopBudget: Int64?

        enum CodingKeys: String, CodingKey {
            case name
            case loopBudget = "loop_budget"
        }
    }

    static let loopBudgetRange: ClosedRange<Int64> = 1...1000

    static func validatedName(_ name: String) throws -> String {
        if let message = Validation.displayName(name) { throw Problem.validation(field: "name", message) }
        return name.trimmingCharacters(in: .whitespaces)
    }

    /// A person's new workspace, with them as its owner. `body` is read after the check that the
    /// caller is a person (403 before any body error).
    func create(
        _ principal: Principal, clientIP: String, body: @autoclosure () async throws -> CreateRequest
    ) async throws -> WorkspaceRecord {
        guard principal.kind == .human else { throw Problem.forbidden("Agents cannot create workspaces.") }
        let name = try Self.validatedName(try await body().name)
        let (workspace, joined) = try await dependencies.database.write { db in
            let now = Clock.milliseconds()
            let (workspace, joined) = try await Self.insertWorkspace(named: name, ownerID: principal.id, announced: true, now: now, on: db)
            try await dependencies.audit(
                Self.createdEntry(workspace, actor: AuditActor(id: principal.id, kind: .human, ip: clientIP)), on: db
            )
            return (workspace, joined)
        }
        if let joined { dependencies.events.joined(principal.id, event: joined) }
        return workspace
    }

    /// A new workspace and its owner's membership, inside the caller's transaction: how the API
    /// and `conclave admin create-owner` (`OwnerProvisioning`) both make one. `announced` joins
    /// through a `member.joined` event (`WorkspaceJoin`), so the owner's open streams follow the
    /// workspace; a person the command line has just created has no streams, and their membership
    /// has no `joined_seq` (their streams start the workspace at the present).
    static func insertWorkspace(
        named name: String, ownerID: String, announced: Bool, now: Int64, on db: DatabaseSession
    ) async throws -> (WorkspaceRecord, WorkspaceEvent?) {
        let workspace = WorkspaceRecord(id: Identifier.generate(.workspace), name: name, createdBy: ownerID, createdAt: now)
        try await WorkspaceRepository().insert(workspace, on: db)
        guard announced else {
            try await WorkspaceRepository().addMember(workspaceID: workspace.id, principalID: ownerID, role: .owner, now: now, on: db)
            return (workspace, nil)
        }
        return (workspace, try await WorkspaceJoin.add(ownerID, to: workspace.id, role: .owner, now: now, on: db))
    }

    /// The `workspace.created` audit entry, appended after `insertWorkspace` in its transaction.
    static func createdEntry(_ workspace: WorkspaceRecord, actor: AuditActor, details: [String: JSONValue] = [:]) -> AuditEvent {
        AuditEvent(actor: actor, action: "workspace.created", target: workspace.id, workspaceID: workspace.id, details: details)
    }

    /// One page of the caller's workspaces, each with the caller's role.
    func list(_ principal: Principal, page: Page) async throws -> (page: [(WorkspaceRecord, Role)], nextCursor: JSONValue) {
        let rows = try await dependencies.database.read { db in
            try await WorkspaceRepository().workspaces(of: principal.id, after: page.after, limit: page.limit + 1, on: db)
        }
        return page.finish(rows) { $0.0.id }
    }

    func show(_ principal: Principal, workspaceID: String) async throws -> (WorkspaceRecord, Role) {
        let role = try await dependencies.requireRole(principal, in: workspaceID, for: .workspaceRead)
        guard let workspace = try await dependencies.database.read({ db in try await WorkspaceRepository().find(id: workspaceID, on: db) }) else {
            throw Problem.notFound
        }
        return (workspace, role)
    }

    /// Renames the workspace, sets its loop budget, or both. `body` is read after the early role
    /// check (404/403 before any body error); the values are checked inside the transaction,
    /// after the authoritative one, and either both change or neither.
    func update(
        _ principal: Principal, workspaceID: String, clientIP: String, body: @autoclosure () async throws -> UpdateRequest
    ) async throws -> (WorkspaceRecord, Role) {
        let role = try await dependencies.requireRole(principal, in: workspaceID, for: .workspaceUpdate)
        let body = try await body()
        let workspace = try await dependencies.database.write { db in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .workspaceUpdate, on: db)
            let repository = WorkspaceRepository()
            let name = try body.name.map(Self.validatedName)
            if let budget = body.loopBudget, !Self.loopBudgetRange.contains(budget) {
                throw Problem.validation(field: "loop_budget", "must be an integer from 1 to 1000")
            }
            let now = Clock.milliseconds()
            if let name { try await repository.rename(id: workspaceID, name: name, now: now, on: db) }
            if let budget = body.loopBudget { try await repository.setLoopBudget(id: workspaceID, budget: budget, now: now, on: db) }
            let fields: [JSONValue] = (name == nil ? [] : ["name"]) + (body.loopBudget == nil ? [] : ["loop_budget"])
            if !fields.isEmpty {
                try await dependencies.audit(
                    AuditEvent(
                        actor: AuditActor(id: principal.id, kind: AuditActor.Kind(principal.kind), ip: clientIP),
                        action: "workspace.updated",
                        target: workspaceID,
                        workspaceID: workspaceID,
                        details: ["fields": .array(fields)]
                    ),
                    on: db
                )
            }
            guard let workspace = try await repository.find(id: workspaceID, on: db) else { throw Problem.notFound }
            return workspace
        }
        return (workspace, role)
    }

    func delete(_ principal: Principal, workspaceID: String, clientIP: String) async throws {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .workspaceDelete)
        let erasedFiles = try await dependencies.database.write { db -> [String] in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .workspaceDelete, on: db)
            // Its files' rows (and keys) go by the cascade; their bytes after the commit.
            let erasedFiles = try await FileRepository().ids(inWorkspace: workspaceID, on: db)
            try await WorkspaceRepository().delete(id: workspaceID, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: principal.id, kind: .human, ip: clientIP),
                    action: "workspace.deleted",
                    target: workspaceID,
                    workspaceID: workspaceID
                ),
                on: db
            )
            return erasedFiles
        }
        FileService(dependencies: dependencies).eraseBytes(of: erasedFiles)
        dependencies.credentials.credentialsChanged()
    }
}
