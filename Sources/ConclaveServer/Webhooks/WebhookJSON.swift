import ConclaveCore
import ConclaveStore

/// Webhooks and deliveries as the API shows them. A webhook's secret is shown only by the
/// create and rotate answers; a delivery shows the last attempt's status code and latency, never
/// what the receiver answered in its body (which is never read).
enum WebhookJSON {
    static func webhook(_ webhook: WebhookRecord) -> JSONValue {
        var body: [String: JSONValue] = [
            "id": .string(webhook.id),
            "workspace_id": .string(webhook.workspaceID),
            "url": .string(webhook.url),
            "events": .array(WebhookFilter.strings(webhook.events).map(JSONValue.string)),
            "channel_ids": webhook.channelIDs.map { .array(WebhookFilter.strings($0).map(JSONValue.string)) } ?? .null,
            "mentions_only": .bool(webhook.mentionsOnly),
            "agent_id": webhook.agentID.map(JSONValue.string) ?? .null,
            "disabled": .bool(webhook.disabled),
            "disabled_reason": webhook.disabledReason.map(JSONValue.string) ?? .null,
            "created_by": .string(webhook.createdBy),
            "created_at": .string(Clock.rfc3339(milliseconds: webhook.createdAt)),
            "updated_at": .string(Clock.rfc3339(milliseconds: webhook.updatedAt)),
        ]
        if let until = webhook.previousSecretUntil, webhook.previousSecret != nil, until > Clock.milliseconds() {
            body["previous_secret_expires_at"] = .string(Clock.rfc3339(milliseconds: until))
        }
        return .object(body)
    }

    static func delivery(_ delivery: WebhookDeliveryRecord) -> JSONValue {
        [
            "id": .string(delivery.id),
            "webhook_id": .string(delivery.webhookID),
            "type": .string(delivery.type),
            "event_seq": delivery.eventSeq.map(JSONValue.int) ?? .null,
            "status": .string(delivery.status.rawValue),
            "attempt": .int(delivery.attempts),
            "response_status": delivery.lastStatus.map(JSONValue.int) ?? .null,
            "latency_ms": delivery.lastLatencyMs.map(JSONValue.int) ?? .null,
            "error": delivery.lastError.map(JSONValue.string) ?? .null,
            "next_attempt_at": delivery.status == .pending ? .string(Clock.rfc3339(milliseconds: delivery.nextAttemptAt)) : .null,
            "last_attempt_at": delivery.lastAttemptAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
            "created_at": .string(Clock.rfc3339(milliseconds: delivery.createdAt)),
        ]
    }
}
