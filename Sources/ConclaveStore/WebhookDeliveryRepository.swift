import SQLKit

/// The durable webhook delivery queue (`webhook_deliveries`).
public struct WebhookDeliveryRepository: Sendable {
    public init() {}

    public func insert(
        id: String, webhookID: String, ordinal: Int64, eventSeq: Int64?, type: String, payload: String, now: Int64, on db: DatabaseSession
    ) async throws {
        try await db.raw(
            """
            INSERT INTO webhook_deliveries (id, webhook_id, ordinal, event_seq, type, payload, status, attempts, next_attempt_at, leased_until,
                                            created_at)
            VALUES (\(bind: id), \(bind: webhookID), \(bind: ordinal), \(bind: eventSeq), \(bind: type), \(bind: payload), 'pending', 0,
                    \(bind: now), 0, \(bind: now))
            """
        ).run()
    }

    /// Deliveries due now that head their endpoint's queue (its oldest pending one, leased or not:
    /// a later one waits for it, which keeps an endpoint's deliveries in order), of enabled endpoints.
    public func dueHeads(now: Int64, limit: Int, on db: DatabaseSession) async throws -> [WebhookDeliveryRecord] {
        try await db.raw(
            """
            SELECT d.* FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= \(bind: now) AND d.leased_until <= \(bind: now) AND w.disabled = 0
              AND d.ordinal = (SELECT MIN(o.ordinal) FROM webhook_deliveries o WHERE o.webhook_id = d.webhook_id AND o.status = 'pending')
            ORDER BY d.next_attempt_at LIMIT \(bind: limit)
            """
        ).allRecords(WebhookDeliveryRecord.self)
    }

    /// Leases a delivery for one attempt (compare-and-set): false when another server holds it or
    /// it is no longer pending.
    public func claim(id: String, owner: String, until: Int64, now: Int64, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            """
            UPDATE webhook_deliveries SET leased_until = \(bind: until), lease_owner = \(bind: owner)
            WHERE id = \(bind: id) AND status = 'pending' AND leased_until <= \(bind: now) RETURNING id
            """
        ).first() != nil
    }

    /// What an attempt gave, and the delivery's next state; only by the lease's holder.
    public func finishAttempt(
        id: String, owner: String, status: WebhookDeliveryRecord.Status, nextAttemptAt: Int64, at now: Int64, httpStatus: Int?, latencyMs: Int64,
        error: String?, on db: DatabaseSession
    ) async throws {
        try await db.raw(
            """
            UPDATE webhook_deliveries SET status = \(bind: status.rawValue), attempts = attempts + 1, next_attempt_at = \(bind: nextAttemptAt),
                leased_until = 0, lease_owner = NULL, last_attempt_at = \(bind: now), last_status = \(bind: httpStatus),
                last_latency_ms = \(bind: latencyMs), last_error = \(bind: error)
            WHERE id = \(bind: id) AND lease_owner = \(bind: owner)
            """
        ).run()
    }

    /// Ends every lease (at start, where this process is the database's only user: SQLite), so a
    /// delivery whose attempt a crash cut off is sent again at once, not when its lease runs out.
    public func releaseAllLeases(on db: DatabaseSession) async throws {
        try await db.raw("UPDATE webhook_deliveries SET leased_until = 0, lease_owner = NULL WHERE leased_until > 0").run()
    }

    public func find(id: String, webhookID: String, on db: DatabaseSession) async throws -> WebhookDeliveryRecord? {
        try await db.raw("SELECT * FROM webhook_deliveries WHERE id = \(bind: id) AND webhook_id = \(bind: webhookID)")
            .firstRecord(WebhookDeliveryRecord.self)
    }

    /// One page by id; with `failedOnly` only those waiting (not yet delivered) or dead.
    public func list(webhookID: String, failedOnly: Bool, after cursor: String?, limit: Int, on db: DatabaseSession) async throws
        -> [WebhookDeliveryRecord]
    {
        var query = SQLQueryString("SELECT * FROM webhook_deliveries WHERE webhook_id = \(bind: webhookID) AND id > \(bind: cursor ?? "")")
        if failedOnly { query.appendInterpolation(" AND status <> 'delivered'" as SQLQueryString) }
        query.appendInterpolation(" ORDER BY id LIMIT \(bind: limit)" as SQLQueryString)
        return try await db.raw(query).allRecords(WebhookDeliveryRecord.self)
    }

    /// Queues a delivery again (its id, so its `webhook-id`, unchanged), due now, with a fresh
    /// retry window.
    public func requeue(id: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = \(bind: now), created_at = \(bind: now), leased_until = 0,
                lease_owner = NULL
            WHERE id = \(bind: id)
            """
        ).run()
    }
}
