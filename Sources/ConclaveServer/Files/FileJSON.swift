import ConclaveCore
import ConclaveStore

/// The API shape of a file's metadata.
enum FileJSON {
    static func file(_ file: FileRecord) -> JSONValue {
        [
            "id": .string(file.id), "workspace_id": .string(file.workspaceID), "name": .string(file.name), "size": .int(file.size),
            "content_type": .string(file.contentType), "sha256": .string(file.sha256),
            "created_at": .string(Clock.rfc3339(milliseconds: file.createdAt)), "uploader": .string(file.uploaderID),
        ]
    }
}
