/// Files (contract v1.1). A row per uploaded file: its metadata and its own key, wrapped by a
/// key derived from the master key (the bytes are elsewhere: the data dir or a bucket). A row
/// per (message, file) attachment; `messages.files` holds the attached files' public summaries
/// as JSON, so listing messages needs no join. Deleting the row forgets the key: what is left
/// of the bytes anywhere can no longer be decrypted.
struct Migration0019Files: Migration {
    let version = 19
    let name = "files"

    func statements(for kind: DatabaseKind) -> [String] {
        [
            """
            CREATE TABLE files (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
                uploader_id TEXT NOT NULL,
                name TEXT NOT NULL,
                content_type TEXT NOT NULL,
                size BIGINT NOT NULL,
                sha256 TEXT NOT NULL,
                wrapped_key TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE message_files (
                message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                file_id TEXT NOT NULL REFERENCES files(id) ON DELETE CASCADE,
                PRIMARY KEY (message_id, file_id)
            )
            """,
            "CREATE INDEX message_files_file ON message_files (file_id)",
            "ALTER TABLE messages ADD COLUMN files TEXT",
        ]
    }
}
