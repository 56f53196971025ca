/// The event log keeps a retention window: each workspace records the last seq pruned, so a
/// resume from before it is refused (resume_failed) instead of silently skipping events.
struct Migration0008EventRetention: Migration {
    let version = 8
    let name = "event_retention"

    func statements(for kind: DatabaseKind) -> [String] {
        ["ALTER TABLE workspaces ADD COLUMN events_pruned_through BIGINT NOT NULL DEFAULT 0"]
    }
}
