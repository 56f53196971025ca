import SQLKit

/// Webhook endpoints (`webhooks`): management, secret rotation, and the outbox position that
/// follows the workspace's event log.
public struct WebhookRepository: Sendable {
    public init() {}

    public func insert(_ webhook: WebhookRecord, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO webhooks (id, workspace_id, url, events, channel_ids, mentions_only, agent_id, scopes, secret, disabled, position,
                                  delivery_count, created_by, created_at, updated_at)
            VALUES (\(bind: webhook.id), \(bind: webhook.workspaceID), \(bind: webhook.url), \(bind: webhook.events), \(bind: webhook.channelIDs),
                    \(bind: webhook.mentionsOnly ? 1 : 0), \(bind: webhook.agentID), \(bind: webhook.scopes), \(bind: webhook.secret), 0, \(bind: webhook.position), 0,
                    \(bind: webhook.createdBy), \(bind: webhook.createdAt), \(bind: webhook.updatedAt))
            """
        ).run()
    }

    public func find(id: String, workspaceID: String, on db: DatabaseSession) async throws -> WebhookRecord? {
        try await db.raw("SELECT * FROM webhooks WHERE id = \(bind: id) AND workspace_id = \(bind: workspaceID)").firstRecord(WebhookRecord.self)
    }

    public func find(id: String, on db: DatabaseSession) async throws -> WebhookRecord? {
        try await db.raw("SELECT * FROM webhooks WHERE id = \(bind: id)").firstRecord(WebhookRecord.self)
    }

    /// One page by id; only the agent's own with `agentID`.
    public func list(workspaceID: String, agentID: String?, after cursor: String?, limit: Int, on db: DatabaseSession) async throws -> [WebhookRecord] {
        var query = SQLQueryString("SELECT * FROM webhooks WHERE workspace_id = \(bind: workspaceID) AND id > \(bind: cursor ?? "")")
        if let agentID { query.appendInterpolation(" AND agent_id = \(bind: agentID)" as SQLQueryString) }
        query.appendInterpolation(" ORDER BY id LIMIT \(bind: limit)" as SQLQueryString)
        return try await db.raw(query).allRecords(WebhookRecord.self)
    }

    public func update(_ webhook: WebhookRecord, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            UPDATE webhooks SET url = \(bind: webhook.url), events = \(bind: webhook.events), channel_ids = \(bind: webhook.channelIDs),
                mentions_only = \(bind: webhook.mentionsOnly ? 1 : 0), disabled = \(bind: webhook.disabled ? 1 : 0),
                disabled_reason = \(bind: webhook.disabledReason), updated_at = \(bind: now)
            WHERE id = \(bind: webhook.id)
            """
        ).run()
    }

    public func delete(id: String, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM webhook_deliveries WHERE webhook_id = \(bind: id)").run()
        try await db.raw("DELETE FROM webhooks WHERE id = \(bind: id)").run()
    }

    /// A new secret; the old one stays valid (deliveries are signed with both) until `previousUntil`.
    public func rotate(id: String, secret: String, previousSecret: String, previousUntil: Int64, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            UPDATE webhooks SET secret = \(bind: secret), previous_secret = \(bind: previousSecret), previous_secret_until = \(bind: previousUntil),
                updated_at = \(bind: now)
            WHERE id = \(bind: id)
            """
        ).run()
    }

    public func disable(id: String, reason: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            "UPDATE webhooks SET disabled = 1, disabled_reason = \(bind: reason), updated_at = \(bind: now) WHERE id = \(bind: id)"
        ).run()
    }

    /// Enabled endpoints whose workspace log has events past their position.
    public func behindTheLog(on db: DatabaseSession) async throws -> [WebhookRecord] {
        try await db.raw(
            """
            SELECT w.* FROM webhooks w JOIN workspaces ws ON ws.id = w.workspace_id
            WHERE w.disabled = 0 AND w.position < ws.event_seq ORDER BY w.id LIMIT 500
            """
        ).allRecords(WebhookRecord.self)
    }

    /// Moves the outbox position from what the caller read to `position`, allotting `count`
    /// ordinals; false when another server moved it first (the caller's transaction must then be
    /// rolled back, so no event becomes two deliveries).
    public func advance(
        id: String, from old: (position: Int64, deliveryCount: Int64), to position: Int64, deliveryCount: Int64, on db: DatabaseSession
    ) async throws -> Bool {
        try await db.raw(
            """
            UPDATE webhooks SET position = \(bind: position), delivery_count = \(bind: deliveryCount)
            WHERE id = \(bind: id) AND position = \(bind: old.position) AND delivery_count = \(bind: old.deliveryCount) RETURNING id
            """
        ).first() != nil
    }

    /// The next ordinal of an endpoint (a test delivery or a replay).
    public func nextOrdinal(id: String, on db: DatabaseSession) async throws -> Int64 {
        guard let count = try await db.raw(
            "UPDATE webhooks SET delivery_count = delivery_count + 1 WHERE id = \(bind: id) RETURNING delivery_count"
        ).first(decodingColumn: "delivery_count", as: Int64.self) else { throw StoreError.notFound }
        return count
    }
}
