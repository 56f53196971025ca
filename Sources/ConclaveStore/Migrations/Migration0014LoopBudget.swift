/// Provenance and loop budget (contract v1.1). Each message records the API key it was sent with
/// (`key_id`), how many agent messages in a row its thread had with it (`hops`) and the human
/// message that started that run (`trigger_id`); the thread's latest message is the thread's
/// state, read under the channel row's lock that already serialises sends. `loop_refused` marks,
/// on that latest message, that a refusal was audited (bit 1 for the top level, bit 2 for the
/// message's own thread when it is a root), so one entry is written per exhausted run.
///
/// Existing messages were sent before provenance was recorded: they get `hops` 0, no trigger and
/// no key (nothing records which key sent them), so every thread's count starts afresh at the
/// upgrade; new workspaces and existing ones get the default budget of 20.
struct Migration0014LoopBudget: Migration {
    let version = 14
    let name = "loop_budget"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            "ALTER TABLE workspaces ADD COLUMN loop_budget BIGINT NOT NULL DEFAULT 20",
            "ALTER TABLE messages ADD COLUMN key_id TEXT",
            "ALTER TABLE messages ADD COLUMN hops BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE messages ADD COLUMN trigger_id TEXT",
            "ALTER TABLE messages ADD COLUMN loop_refused BIGINT NOT NULL DEFAULT 0",
            // The top level's latest message (thread_id IS NULL) without scanning every reply.
            "CREATE INDEX messages_channel_thread ON messages (channel_id, thread_id, seq)",
        ]
    }
}
