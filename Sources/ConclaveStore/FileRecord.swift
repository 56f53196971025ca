/// An uploaded file's row (migration 0019). `wrappedKey` is the file's own key sealed under the
/// server's file-key box, bound to the file's id.
public struct FileRecord: Sendable, Equatable, Decodable {
    public var id: String
    public var workspaceID: String
    public var uploaderID: String
    public var name: String
    public var contentType: String
    public var size: Int64
    public var sha256: String
    public var wrappedKey: String
    public var createdAt: Int64

    public init(id: String, workspaceID: String, uploaderID: String, name: String, contentType: String, size: Int64, sha256: String,
                wrappedKey: String, createdAt: Int64) {
        self.id = id
        self.workspaceID = workspaceID
        self.uploaderID = uploaderID
        self.name = name
        self.contentType = contentType
        self.size = size
        self.sha256 = sha256
        self.wrappedKey = wrappedKey
        self.createdAt = createdAt
    }
}
