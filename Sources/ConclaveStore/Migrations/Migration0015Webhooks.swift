/// Webhooks (contract "Webhooks" and its v1.1 additions): endpoints, and a durable delivery queue.
///
/// `webhooks.scopes` are those of the API key that created it (NULL for a signed-in person): a
/// webhook never delivers what that key could not read. `webhooks.position` is the last event seq of the workspace's log the endpoint's outbox has
/// looked at: the dispatcher turns each later event the endpoint may see into one
/// `webhook_deliveries` row and advances the position in the same transaction (compare-and-set on
/// the old position), so an event becomes exactly one delivery whichever server routes it, and a
/// crash loses nothing (the log is durable and the position only moves with the rows it covers).
/// `ordinal` orders an endpoint's deliveries (event order); only the oldest pending one of an
/// endpoint is sent, which keeps deliveries in cursor order. A server claims a delivery by setting
/// `leased_until` (compare-and-set), so two servers never send one at the same time.
struct Migration0015Webhooks: Migration {
    let version = 15
    let name = "webhooks"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            """
            CREATE TABLE webhooks (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
                url TEXT NOT NULL,
                events TEXT NOT NULL,
                channel_ids TEXT,
                mentions_only BIGINT NOT NULL DEFAULT 0,
                agent_id TEXT,
                scopes TEXT,
                secret TEXT NOT NULL,
                previous_secret TEXT,
                previous_secret_until BIGINT,
                disabled BIGINT NOT NULL DEFAULT 0,
                disabled_reason TEXT,
                position BIGINT NOT NULL,
                delivery_count BIGINT NOT NULL DEFAULT 0,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX webhooks_workspace ON webhooks (workspace_id, id)",
            """
            CREATE TABLE webhook_deliveries (
                id TEXT PRIMARY KEY,
                webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
                ordinal BIGINT NOT NULL,
                event_seq BIGINT,
                type TEXT NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts BIGINT NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                leased_until BIGINT NOT NULL DEFAULT 0,
                lease_owner TEXT,
                last_attempt_at BIGINT,
                last_status BIGINT,
                last_latency_ms BIGINT,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                UNIQUE (webhook_id, ordinal),
                UNIQUE (webhook_id, event_seq)
            )
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
            "CREATE INDEX webhook_deliveries_listing ON webhook_deliveries (webhook_id, id)",
        ]
    }
}
