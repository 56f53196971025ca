import ConclaveCore
import SQLKit

/// Agent principals of a workspace.
public struct AgentRepository: Sendable {
    public init() {}

    public func insert(_ agent: AgentRecord, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO agents (id, workspace_id, user_id, name, description, status, created_by, created_at, updated_at, last_seen_at)
            VALUES (\(bind: agent.id), \(bind: agent.workspaceID), \(bind: agent.userID), \(bind: agent.name), \(bind: agent.description),
                    \(bind: agent.status.rawValue), \(bind: agent.createdBy), \(bind: agent.createdAt), \(bind: agent.createdAt), NULL)
            """
        ).run()
    }

    /// The agent's columns and its handle (from its membership).
    static var selectWithHandle: SQLQueryString {
        "SELECT a.*, m.handle FROM agents a LEFT JOIN memberships m ON m.workspace_id = a.workspace_id AND m.principal_id = a.id"
    }

    public func find(id: String, on db: DatabaseSession) async throws -> AgentRecord? {
        try await db.raw(Self.selectWithHandle + " WHERE a.id = \(bind: id)").firstRecord(AgentRecord.self)
    }

    public func find(id: String, workspaceID: String, on db: DatabaseSession) async throws -> AgentRecord? {
        try await db.raw(Self.selectWithHandle + " WHERE a.id = \(bind: id) AND a.workspace_id = \(bind: workspaceID)").firstRecord(AgentRecord.self)
    }

    public func list(workspaceID: String, after cursor: String?, limit: Int, on db: DatabaseSession) async throws -> [AgentRecord] {
        try await db.raw(
            Self.selectWithHandle + " WHERE a.workspace_id = \(bind: workspaceID) AND a.id > \(bind: cursor ?? "") ORDER BY a.id LIMIT \(bind: limit)"
        ).allRecords(AgentRecord.self)
    }

    public func update(id: String, name: String, description: String, status: AgentStatus, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            UPDATE agents SET name = \(bind: name), description = \(bind: description), status = \(bind: status.rawValue), updated_at = \(bind: now)
            WHERE id = \(bind: id)
            """
        ).run()
        // The status may have changed (a pause): cached keys carry it.
        try await NotificationChannel.credentialsRevokedOnCommit(on: db)
    }

    /// How many agents a workspace holds, and how many of them `creator` created. On PostgreSQL
    /// the workspace row is locked first, so two creations at once cannot both pass a cap.
    public func counts(workspaceID: String, creator: String, on db: DatabaseSession) async throws -> (workspace: Int, creator: Int) {
        if db.isPostgres {
            try await db.raw("SELECT id FROM workspaces WHERE id = \(bind: workspaceID) FOR UPDATE").run()
        }
        let counts = try await db.raw(
            """
            SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN created_by = \(bind: creator) THEN 1 ELSE 0 END), 0) AS mine
            FROM agents WHERE workspace_id = \(bind: workspaceID)
            """
        ).firstRecord(AgentCounts.self)
        return (counts?.total ?? 0, counts?.mine ?? 0)
    }

    public func delete(id: String, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM agents WHERE id = \(bind: id)").run()
        try await NotificationChannel.credentialsRevokedOnCommit(on: db)
    }

    public func touch(id: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE agents SET last_seen_at = \(bind: now) WHERE id = \(bind: id)").run()
    }

    struct AgentCounts: Decodable {
        var total: Int
        var mine: Int
    }
}
