import SQLKit

/// Stored first responses for Idempotency-Key replays (24 h per principal and key).
public struct IdempotencyRepository: Sendable {
    public struct Entry: Sendable, Decodable {
        public var requestHash: String
        /// 0 while the first request is still running.
        public var status: Int
        public var body: String
        /// The message a message POST created: its replay renders the message as it is now, so the
        /// text is never copied here (a deletion would leave it behind).
        public var resourceID: String?
    }

    public init() {}

    /// Claims (principal, key) for a new request; nil when claimed, else the existing entry.
    public func claim(principalID: String, key: String, method: String, path: String, requestHash: String, now: Int64, expiredBefore: Int64, on db: DatabaseSession) async throws -> Entry? {
        try await db.raw(
            """
            DELETE FROM idempotency_keys WHERE principal_id = \(bind: principalID) AND key = \(bind: key)
            AND (created_at < \(bind: expiredBefore) OR (status = 0 AND created_at < \(bind: now - 60_000)))
            """
        ).run()
        if let entry = try await db.raw(
            "SELECT request_hash, status, body, resource_id FROM idempotency_keys WHERE principal_id = \(bind: principalID) AND key = \(bind: key)"
        ).firstRecord(Entry.self) {
            return entry
        }
        try await db.raw(
            """
            INSERT INTO idempotency_keys (principal_id, key, method, path, request_hash, status, body, created_at)
            VALUES (\(bind: principalID), \(bind: key), \(bind: method), \(bind: path), \(bind: requestHash), 0, '', \(bind: now))
            """
        ).run()
        return nil
    }

    /// Records the first response: its body, or (`resourceID`) only the message it created.
    public func complete(principalID: String, key: String, status: Int, body: String, resourceID: String?, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            UPDATE idempotency_keys SET status = \(bind: status), body = \(bind: resourceID == nil ? body : ""), resource_id = \(bind: resourceID)
            WHERE principal_id = \(bind: principalID) AND key = \(bind: key)
            """
        ).run()
    }

    public func release(principalID: String, key: String, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM idempotency_keys WHERE principal_id = \(bind: principalID) AND key = \(bind: key)").run()
    }

    public func purge(before: Int64, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM idempotency_keys WHERE created_at < \(bind: before)").run()
    }
}
