import ConclaveCore
import SQLKit

/// Workspaces and who belongs to them with which role.
public struct WorkspaceRepository: Sendable {
    public init() {}

    public func insert(_ workspace: WorkspaceRecord, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO workspaces (id, name, created_by, created_at, updated_at)
            VALUES (\(bind: workspace.id), \(bind: workspace.name), \(bind: workspace.createdBy), \(bind: workspace.createdAt), \(bind: workspace.createdAt))
            """
        ).run()
    }

    public func find(id: String, on db: DatabaseSession) async throws -> WorkspaceRecord? {
        try await db.raw("SELECT * FROM workspaces WHERE id = \(bind: id)").firstRecord(WorkspaceRecord.self)
    }

    public func rename(id: String, name: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE workspaces SET name = \(bind: name), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    public func setLoopBudget(id: String, budget: Int64, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE workspaces SET loop_budget = \(bind: budget), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    /// The workspace's loop budget; nil when it does not exist.
    public func loopBudget(id: String, on db: DatabaseSession) async throws -> Int64? {
        try await db.raw("SELECT loop_budget FROM workspaces WHERE id = \(bind: id)").first(decodingColumn: "loop_budget", as: Int64.self)
    }

    public func delete(id: String, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM workspaces WHERE id = \(bind: id)").run()
        // Its agents and their keys go with it.
        try await NotificationChannel.credentialsRevokedOnCommit(on: db)
    }

    /// The workspaces a principal belongs to, with its role in each, ordered by id for stable paging.
    public func workspaces(of principalID: String, after cursor: String?, limit: Int, on db: DatabaseSession) async throws -> [(WorkspaceRecord, Role)] {
        let rows = try await db.raw(
            """
            SELECT w.*, m.role FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
            WHERE m.principal_id = \(bind: principalID) AND w.id > \(bind: cursor ?? "")
            ORDER BY w.id LIMIT \(bind: limit)
            """
        ).all()
        return try rows.map { row in (try row.decodeRecord(WorkspaceRecord.self), try row.decode(column: "role", as: Role.self)) }
    }

    /// `joinedSeq`: the seq of the membership's `member.joined` event, when one was recorded.
    /// The member's handle is derived from its name (the user or agent row must exist already),
    /// numbered when taken; returned for the caller's response.
    @discardableResult
    public func addMember(
        workspaceID: String, principalID: String, role: Role, joinedSeq: Int64? = nil, now: Int64, on db: DatabaseSession
    ) async throws -> Handle {
        let handles = HandleRepository()
        try await handles.lock(workspaceID: workspaceID, on: db)
        let handle = try await handles.assign(to: principalID, in: workspaceID, on: db)
        try await db.raw(
            """
            INSERT INTO memberships (workspace_id, principal_id, role, handle, joined_seq, created_at)
            VALUES (\(bind: workspaceID), \(bind: principalID), \(bind: role.rawValue), \(bind: handle.value), \(bind: joinedSeq), \(bind: now))
            """
        ).run()
        if let joinedSeq {
            // A join: the principal's open streams, on every server, follow the workspace from it.
            let join = JoinNotification(principalID: principalID, workspaceID: workspaceID, seq: joinedSeq)
            try await NotificationChannel.notifyOnCommit(NotificationChannel.events, payload: join.payload, on: db)
        }
        return handle
    }

    /// For each of the principal's workspaces whose membership recorded one, the seq of its
    /// `member.joined` event.
    public func joinSeqs(of principalID: String, on db: DatabaseSession) async throws -> [String: Int64] {
        let joins = try await db.raw(
            "SELECT workspace_id, joined_seq FROM memberships WHERE principal_id = \(bind: principalID) AND joined_seq IS NOT NULL"
        ).allRecords(WorkspaceJoin.self)
        return Dictionary(joins.map { ($0.workspaceID, $0.joinedSeq) }, uniquingKeysWith: { _, last in last })
    }

    public func role(of principalID: String, in workspaceID: String, on db: DatabaseSession) async throws -> Role? {
        try await db.raw(
            "SELECT role FROM memberships WHERE workspace_id = \(bind: workspaceID) AND principal_id = \(bind: principalID)"
        ).first(decodingColumn: "role", as: Role.self)
    }

    /// The role, read inside a write transaction with the membership row locked until it commits
    /// (PostgreSQL `FOR SHARE`): a concurrent role change or removal either committed before
    /// this read, or waits for this transaction. SQLite's single writer gives the same order.
    public func lockedRole(of principalID: String, in workspaceID: String, on db: DatabaseSession) async throws -> Role? {
        var query = SQLQueryString("SELECT role FROM memberships WHERE workspace_id = \(bind: workspaceID) AND principal_id = \(bind: principalID)")
        if db.isPostgres { query.appendLiteral(" FOR SHARE") }
        return try await db.raw(query).first(decodingColumn: "role", as: Role.self)
    }

    public func setRole(_ role: Role, of principalID: String, in workspaceID: String, on db: DatabaseSession) async throws {
        try await db.raw(
            "UPDATE memberships SET role = \(bind: role.rawValue) WHERE workspace_id = \(bind: workspaceID) AND principal_id = \(bind: principalID)"
        ).run()
    }

    public func removeMember(_ principalID: String, from workspaceID: String, on db: DatabaseSession) async throws {
        try await db.raw(
            "DELETE FROM memberships WHERE workspace_id = \(bind: workspaceID) AND principal_id = \(bind: principalID)"
        ).run()
    }

    /// For a role change or a removal: the roles of `principals` and of every owner, their rows
    /// locked until the commit (PostgreSQL `FOR UPDATE`, in one order so two such changes cannot
    /// deadlock). Two owners demoting each other, or both leaving, at the same moment are thus
    /// serialised: the second sees the first's change and the last owner stays.
    public func lockRolesForChange(
        in workspaceID: String, principals: [String], on db: DatabaseSession
    ) async throws -> (roles: [String: Role], owners: Int) {
        let ids: [any Encodable & Sendable] = principals
        var query = SQLQueryString(
            """
            SELECT principal_id, role FROM memberships
            WHERE workspace_id = \(bind: workspaceID) AND (role = 'owner' OR principal_id IN (\(binds: ids)))
            ORDER BY principal_id
            """
        )
        if db.isPostgres { query.appendLiteral(" FOR UPDATE") }
        var roles: [String: Role] = [:]
        var owners = 0
        for member in try await db.raw(query).allRecords(MemberRole.self) {
            roles[member.principalID] = member.role
            if member.role == .owner { owners += 1 }
        }
        return (roles, owners)
    }

    public func ownerCount(of workspaceID: String, on db: DatabaseSession) async throws -> Int {
        try await db.raw(
            "SELECT COUNT(*) AS owners FROM memberships WHERE workspace_id = \(bind: workspaceID) AND role = 'owner'"
        ).first(decodingColumn: "owners", as: Int.self) ?? 0
    }

    public struct MemberRow: Sendable, Decodable {
        public var principalID: String
        public var kind: Principal.Kind
        public var name: String
        public var handle: String
        public var email: String?
        public var role: Role
        public var joinedAt: Int64
    }

    public func members(of workspaceID: String, after cursor: String?, limit: Int, on db: DatabaseSession) async throws -> [MemberRow] {
        try await db.raw(
            """
            SELECT m.principal_id, m.role, m.handle, m.created_at AS joined_at, COALESCE(u.kind, 'agent') AS kind, COALESCE(u.name, a.name, '') AS name, u.email
            FROM memberships m LEFT JOIN users u ON u.id = m.principal_id LEFT JOIN agents a ON a.id = m.principal_id
            WHERE m.workspace_id = \(bind: workspaceID) AND m.principal_id > \(bind: cursor ?? "")
            ORDER BY m.principal_id LIMIT \(bind: limit)
            """
        ).allRecords(MemberRow.self)
    }

    public func memberRow(_ principalID: String, in workspaceID: String, on db: DatabaseSession) async throws -> MemberRow? {
        try await db.raw(
            """
            SELECT m.principal_id, m.role, m.handle, m.created_at AS joined_at, COALESCE(u.kind, 'agent') AS kind, COALESCE(u.name, a.name, '') AS name, u.email
            FROM memberships m LEFT JOIN users u ON u.id = m.principal_id LEFT JOIN agents a ON a.id = m.principal_id
            WHERE m.workspace_id = \(bind: workspaceID) AND m.principal_id = \(bind: principalID)
            """
        ).firstRecord(MemberRow.self)
    }

    struct MemberRole: Decodable {
        var principalID: String
        var role: Role
    }

    struct WorkspaceJoin: Decodable {
        var workspaceID: String
        var joinedSeq: Int64
    }
}
