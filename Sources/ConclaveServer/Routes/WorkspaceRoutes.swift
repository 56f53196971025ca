import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Workspaces: create (the caller becomes owner), list the caller's, read, rename, delete.
struct WorkspaceRoutes {
    let dependencies: ServerDependencies

    struct CreateRequest: Decodable {
        let name: String
    }

    struct UpdateRequest: Decodable {
        let name: String?
    }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/workspaces") { request, context in try await create(request, context) }
        router.get("/api/v1/workspaces") { request, context in try await list(request, context) }
        router.get("/api/v1/workspaces/{ws}") { _, context in try await show(context) }
        router.patch("/api/v1/workspaces/{ws}") { request, context in try await update(request, context) }
        router.delete("/api/v1/workspaces/{ws}") { _, context in try await delete(context) }
    }

    static func json(_ workspace: WorkspaceRecord, role: Role) -> JSONValue {
        [
            "id": .string(workspace.id),
            "name": .string(workspace.name),
            "role": .string(role.rawValue),
            "created_at": .string(Clock.rfc3339(milliseconds: workspace.createdAt)),
        ]
    }

    static func validatedName(_ name: String) throws -> String {
        if let message = Validation.displayName(name) { throw Problem.validation(field: "name", message) }
        return name.trimmingCharacters(in: .whitespaces)
    }

    func create(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        guard principal.kind == .human else { throw Problem.forbidden("Agents cannot create workspaces.") }
        let body = try await request.decodeJSON(as: CreateRequest.self, context: context)
        let name = try Self.validatedName(body.name)
        let clientIP = context.clientIP
        let (workspace, joined) = try await dependencies.database.write { db in
            let now = Clock.milliseconds()
            let workspace = WorkspaceRecord(id: Identifier.generate(.workspace), name: name, createdBy: principal.id, createdAt: now)
            try await WorkspaceRepository().insert(workspace, on: db)
            let joined = try await WorkspaceJoin.add(principal.id, to: workspace.id, role: .owner, now: now, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: principal.id, kind: .human, ip: clientIP),
                    action: "workspace.created",
                    target: workspace.id,
                    workspaceID: workspace.id
                ),
                on: db
            )
            return (workspace, joined)
        }
        dependencies.events.joined(principal.id, event: joined)
        return JSONResponse.make(Self.json(workspace, role: .owner), status: .created)
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let page = try Page(request)
        let rows = try await dependencies.database.read { db in
            try await WorkspaceRepository().workspaces(of: principal.id, after: page.after, limit: page.limit + 1, on: db)
        }
        let (items, next) = page.finish(rows) { $0.0.id }
        return JSONResponse.make(Page.response(items.map { Self.json($0.0, role: $0.1) }, next: next))
    }

    func show(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let role = try await dependencies.requireRole(principal, in: workspaceID, for: .workspaceRead)
        guard let workspace = try await dependencies.database.read({ db in try await WorkspaceRepository().find(id: workspaceID, on: db) }) else {
            throw Problem.notFound
        }
        return JSONResponse.make(Self.json(workspace, role: role))
    }

    func update(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let role = try await dependencies.requireRole(principal, in: workspaceID, for: .workspaceUpdate)
        let body = try await request.decodeJSON(as: UpdateRequest.self, context: context)
        let clientIP = context.clientIP
        let workspace = try await dependencies.database.write { db in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .workspaceUpdate, on: db)
            let repository = WorkspaceRepository()
            if let name = body.name {
                let validated = try Self.validatedName(name)
                try await repository.rename(id: workspaceID, name: validated, now: Clock.milliseconds(), on: db)
                try await dependencies.audit(
                    AuditEvent(
                        actor: AuditActor(id: principal.id, kind: AuditActor.Kind(principal.kind), ip: clientIP),
                        action: "workspace.updated",
                        target: workspaceID,
                        workspaceID: workspaceID,
                        details: ["fields": ["name"]]
                    ),
                    on: db
                )
            }
            guard let workspace = try await repository.find(id: workspaceID, on: db) else { throw Problem.notFound }
            return workspace
        }
        return JSONResponse.make(Self.json(workspace, role: role))
    }

    func delete(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = context.principal
        let workspaceID = try context.pathID("ws", kind: .workspace)
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .workspaceDelete)
        let clientIP = context.clientIP
        try await dependencies.database.write { db in
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: .workspaceDelete, on: db)
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
        }
        dependencies.credentials.credentialsChanged()
        return Response(status: .noContent)
    }
}
