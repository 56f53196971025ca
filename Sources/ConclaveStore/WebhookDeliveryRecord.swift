/// A `webhook_deliveries` row: one event (or test message) for one endpoint, its signed body
/// fixed at creation, and what the last attempt gave (status code, latency, a short reason; the
/// receiver's response body is never read into it).
public struct WebhookDeliveryRecord: Sendable, Equatable, Decodable {
    public enum Status: String, Sendable, Codable {
        /// Waiting for its first or next attempt.
        case pending
        case delivered
        /// Retries exhausted (3 days) or given up; `replay` queues it again.
        case dead
    }

    public var id: String
    public var webhookID: String
    public var ordinal: Int64
    public var eventSeq: Int64?
    public var type: String
    public var payload: String
    public var status: Status
    public var attempts: Int64
    public var nextAttemptAt: Int64
    public var lastAttemptAt: Int64?
    public var lastStatus: Int64?
    public var lastLatencyMs: Int64?
    public var lastError: String?
    public var createdAt: Int64
}
