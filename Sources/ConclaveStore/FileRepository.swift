import SQLKit

/// Uploaded files (`files`) and which messages hold them (`message_files`).
public struct FileRepository: Sendable {
    public init() {}

    public func insert(_ file: FileRecord, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO files (id, workspace_id, uploader_id, name, content_type, size, sha256, wrapped_key, created_at)
            VALUES (\(bind: file.id), \(bind: file.workspaceID), \(bind: file.uploaderID), \(bind: file.name), \(bind: file.contentType),
                    \(bind: file.size), \(bind: file.sha256), \(bind: file.wrappedKey), \(bind: file.createdAt))
            """
        ).run()
    }

    public func find(id: String, on db: DatabaseSession) async throws -> FileRecord? {
        try await db.raw("SELECT * FROM files WHERE id = \(bind: id)").firstRecord(FileRecord.self)
    }

    /// The channels of the live messages that hold the file: whoever may read one may read it.
    public func channelsHolding(fileID: String, on db: DatabaseSession) async throws -> [String] {
        try await db.raw(
            """
            SELECT DISTINCT m.channel_id AS channel_id FROM message_files mf JOIN messages m ON m.id = mf.message_id
            WHERE mf.file_id = \(bind: fileID) AND m.deleted_at IS NULL
            """
        ).all(decodingColumn: "channel_id", as: String.self)
    }

    public func attach(fileID: String, messageID: String, on db: DatabaseSession) async throws {
        try await db.raw("INSERT INTO message_files (message_id, file_id) VALUES (\(bind: messageID), \(bind: fileID))").run()
    }

    /// Detaches a deleted message's files and deletes those it was the last message to hold;
    /// the ids of the deleted files, whose bytes the caller erases after the commit.
    public func detachAll(messageID: String, on db: DatabaseSession) async throws -> [String] {
        let fileIDs = try await db.raw("DELETE FROM message_files WHERE message_id = \(bind: messageID) RETURNING file_id")
            .all(decodingColumn: "file_id", as: String.self)
        return try await deleteUnheld(fileIDs, on: db)
    }

    /// As `detachAll(messageID:)` for every message of a channel about to be deleted.
    public func detachAll(channelID: String, on db: DatabaseSession) async throws -> [String] {
        let fileIDs = try await db.raw(
            """
            DELETE FROM message_files WHERE message_id IN (SELECT id FROM messages WHERE channel_id = \(bind: channelID))
            RETURNING file_id
            """
        ).all(decodingColumn: "file_id", as: String.self)
        return try await deleteUnheld(Array(Set(fileIDs)).sorted(), on: db)
    }

    /// Deletes those of the files no message holds any more; the ids deleted.
    private func deleteUnheld(_ fileIDs: [String], on db: DatabaseSession) async throws -> [String] {
        var orphans: [String] = []
        for fileID in fileIDs {
            let held = try await db.raw("SELECT 1 AS held FROM message_files WHERE file_id = \(bind: fileID) LIMIT 1").first() != nil
            if !held, try await delete(id: fileID, on: db) { orphans.append(fileID) }
        }
        return orphans
    }

    /// The live messages holding the file (to drop it from their summaries when it is deleted).
    public func messagesHolding(fileID: String, on db: DatabaseSession) async throws -> [String] {
        try await db.raw("SELECT message_id FROM message_files WHERE file_id = \(bind: fileID)")
            .all(decodingColumn: "message_id", as: String.self)
    }

    /// Every file of a workspace (its deletion erases them).
    public func ids(inWorkspace workspaceID: String, on db: DatabaseSession) async throws -> [String] {
        try await db.raw("SELECT id FROM files WHERE workspace_id = \(bind: workspaceID)").all(decodingColumn: "id", as: String.self)
    }

    /// True when the row was there (the attachments go with it).
    public func delete(id: String, on db: DatabaseSession) async throws -> Bool {
        try await db.raw("DELETE FROM message_files WHERE file_id = \(bind: id)").run()
        return try await db.raw("DELETE FROM files WHERE id = \(bind: id) RETURNING id").first() != nil
    }

    /// Replaces a message's file summaries (a file of it was deleted).
    public func setSummaries(messageID: String, files: String?, on db: DatabaseSession) async throws {
        try await db.raw("UPDATE messages SET files = \(bind: files) WHERE id = \(bind: messageID)").run()
    }
}
