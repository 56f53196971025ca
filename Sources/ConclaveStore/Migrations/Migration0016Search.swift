/// Message search (contract v1.1, issue 16). Only live text is indexed, and the index changes in
/// the statement that changes the text, so an edit, a deletion, an erasure or a channel's or
/// workspace's deletion updates it in the same transaction, whichever code path made it.
///
/// SQLite: an FTS5 table over `messages.text` (external content: the text is stored once, in
/// `messages`), kept by triggers. `secure-delete` makes a deletion rewrite the index pages that
/// held the removed words instead of leaving delete markers until a merge, so with the
/// database's `secure_delete` and the WAL checkpoint after an erasure, erased words are gone from
/// the files. Tokens are FTS5 `unicode61` words without diacritic folding (as `SearchTokenizer`).
///
/// PostgreSQL: a GIN index on the `simple` tsvector of the text with ASCII punctuation turned into
/// spaces (`searchVector`), so `foo.bar` is the words `foo` and `bar` as on SQLite, not one
/// host name token. Deleted messages have no text, so an empty vector.
struct Migration0016Search: Migration {
    let version = 16
    let name = "search"

    /// The indexed expression; queries must repeat it exactly for PostgreSQL to use the index.
    static let searchVector = #"to_tsvector('simple', regexp_replace(coalesce(text, ''), '[[:punct:][:space:][:cntrl:]]+', ' ', 'g'))"#

    func statements(for kind: DatabaseKind) -> [String] {
        switch kind {
        case .sqlite:
            [
                """
                CREATE VIRTUAL TABLE message_search USING fts5(
                    text, content = 'messages', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3'
                )
                """,
                "INSERT INTO message_search (message_search, rank) VALUES ('secure-delete', 1)",
                """
                CREATE TRIGGER message_search_insert AFTER INSERT ON messages
                WHEN new.text IS NOT NULL AND new.deleted_at IS NULL
                BEGIN
                    INSERT INTO message_search (rowid, text) VALUES (new.rowid, new.text);
                END
                """,
                """
                CREATE TRIGGER message_search_update AFTER UPDATE OF text, deleted_at ON messages
                WHEN old.text IS NOT new.text OR old.deleted_at IS NOT new.deleted_at
                BEGIN
                    INSERT INTO message_search (message_search, rowid, text)
                        SELECT 'delete', old.rowid, old.text WHERE old.text IS NOT NULL AND old.deleted_at IS NULL;
                    INSERT INTO message_search (rowid, text)
                        SELECT new.rowid, new.text WHERE new.text IS NOT NULL AND new.deleted_at IS NULL;
                END
                """,
                """
                CREATE TRIGGER message_search_delete AFTER DELETE ON messages
                WHEN old.text IS NOT NULL AND old.deleted_at IS NULL
                BEGIN
                    INSERT INTO message_search (message_search, rowid, text) VALUES ('delete', old.rowid, old.text);
                END
                """,
                // Messages sent before the upgrade.
                "INSERT INTO message_search (rowid, text) SELECT rowid, text FROM messages WHERE text IS NOT NULL AND deleted_at IS NULL",
            ]
        case .postgres:
            ["CREATE INDEX messages_search ON messages USING GIN (\(Self.searchVector))"]
        }
    }
}
