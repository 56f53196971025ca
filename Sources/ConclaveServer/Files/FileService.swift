import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import Hummingbird

/// Uploading, reading and deleting files. A file is visible to its uploader (while a member of
/// its workspace) and to whoever may read a live message it is attached to now; to anyone else
/// it does not exist (404).
struct FileService {
    /// Files one message may hold.
    static let maxFilesPerMessage = 10

    let dependencies: ServerDependencies

    var store: LocalFileStore { LocalFileStore(dataDirectory: dependencies.configuration.dataDirectory) }

    /// Reads the body into a new encrypted file and records it; nothing is kept if the body is
    /// refused (over the limit) or cut off.
    func upload(_ principal: Principal, workspaceID: String, name: String, contentType: String, body: RequestBody) async throws -> FileRecord {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .filesWrite)
        let id = Identifier.generate(.file)
        let key = SegmentedFileCipher.generateKey()
        let written = try await store.write(
            id: id, body: body, cipher: try SegmentedFileCipher(key: key), limit: dependencies.configuration.maxFileBytes)
        let file = FileRecord(
            id: id, workspaceID: workspaceID, uploaderID: principal.id, name: name, contentType: contentType, size: written.size,
            sha256: written.sha256, wrappedKey: Base64URL.encode(try dependencies.keys.fileKeyBox.seal(key, associatedData: Data(id.utf8))),
            createdAt: Clock.milliseconds())
        do {
            try await dependencies.database.write { db in
                _ = try await dependencies.requireRole(principal, in: workspaceID, for: .filesWrite, on: db)
                try await FileRepository().insert(file, on: db)
            }
        } catch {
            store.erase(id: id)
            throw error
        }
        return file
    }

    /// Removes the bytes of files whose rows a committed transaction deleted.
    func eraseBytes(of fileIDs: [String]) {
        for fileID in fileIDs { store.erase(id: fileID) }
    }

    /// The file if `principal` may read it now; 404 otherwise.
    func readable(_ principal: Principal, fileID: String) async throws -> FileRecord {
        let (found, channels) = try await dependencies.database.read { db in
            (try await FileRepository().find(id: fileID, on: db), try await FileRepository().channelsHolding(fileID: fileID, on: db))
        }
        guard let file = found else { throw Problem.notFound }
        _ = try await dependencies.requireRole(principal, in: file.workspaceID, for: .filesRead)
        if file.uploaderID == principal.id { return file }
        for channelID in channels {
            if (try? await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .read)) != nil {
                return file
            }
        }
        throw Problem.notFound
    }

    /// The whole plaintext in memory: for small files only (`get_file`).
    func contents(_ file: FileRecord) throws -> Data {
        try store.contents(id: file.id, key: try key(of: file))
    }

    /// The file's own key, unwrapped.
    private func key(of file: FileRecord) throws -> Data {
        guard let wrapped = Base64URL.decode(file.wrappedKey),
            let key = try? dependencies.keys.fileKeyBox.open(wrapped, associatedData: Data(file.id.utf8))
        else { throw Problem.internalError }
        return key
    }

    /// The plaintext as a streamed response body.
    func content(_ file: FileRecord) throws -> ResponseBody {
        try store.body(id: file.id, key: try key(of: file), size: file.size)
    }

    /// Erases the file (row, key, bytes) and drops it from the messages that held it. The
    /// uploader may; so may an admin or owner of its workspace (signed in, not by API key), audited.
    func delete(_ principal: Principal, fileID: String, clientIP: String) async throws {
        let file = try await readable(principal, fileID: fileID)
        let moderating = file.uploaderID != principal.id
        if moderating {
            let role = try await dependencies.requireRole(principal, in: file.workspaceID, for: .filesRead)
            guard role == .owner || role == .admin, principal.scopes == nil else {
                throw Problem.forbidden("Only the uploader, an admin or an owner may delete a file.")
            }
        }
        try await dependencies.database.write { db in
            let role = try await dependencies.requireRole(principal, in: file.workspaceID, for: .filesRead, on: db)
            if moderating, role != .owner, role != .admin { throw Problem.forbidden("Only the uploader, an admin or an owner may delete a file.") }
            let files = FileRepository()
            let holders = try await files.messagesHolding(fileID: file.id, on: db)
            guard try await files.delete(id: file.id, on: db) else { throw Problem.notFound }
            try await Self.dropSummary(of: file.id, from: holders, on: db)
            if moderating {
                try await dependencies.audit(
                    AuditEvent(actor: AuditActor(id: principal.id, kind: .human, ip: clientIP), action: "file.deleted_by_moderator",
                               target: file.id, workspaceID: file.workspaceID, details: ["uploader_id": .string(file.uploaderID)]),
                    on: db
                )
            }
        }
        store.erase(id: file.id)
        dependencies.events.published(workspaceID: file.workspaceID)
        await dependencies.database.flushErasures()
    }

    /// The deleted file leaves the messages that showed it, and every event about them.
    static func dropSummary(of fileID: String, from messageIDs: [String], on db: DatabaseSession) async throws {
        for messageID in messageIDs {
            guard var message = try await MessageRepository().find(id: messageID, on: db) else { continue }
            message.files = FileSummary.stored(FileSummary.decode(message.files).filter { $0.id != fileID })
            try await FileRepository().setSummaries(messageID: messageID, files: message.files, on: db)
            let reactions = try await ReactionRepository().counts(messageIDs: [messageID], readerID: nil, on: db)[messageID] ?? []
            try await EventLog().scrub(messageID: messageID, data: MessageJSON.message(message, reactions: reactions, forEvent: true), on: db)
        }
    }

    /// The files a new message attaches, checked: at most ten, distinct, in the channel's
    /// workspace, each uploaded by the sender or readable by it now (else 422 naming `file_ids`,
    /// the same for a file that does not exist, so ids of invisible files reveal nothing).
    func attachable(_ principal: Principal, fileIDs: [String], workspaceID: String) async throws -> [FileRecord] {
        guard fileIDs.count <= Self.maxFilesPerMessage else {
            throw Problem.validation(field: "file_ids", "must list at most \(Self.maxFilesPerMessage) files")
        }
        guard Set(fileIDs).count == fileIDs.count else { throw Problem.validation(field: "file_ids", "must not repeat a file") }
        var files: [FileRecord] = []
        for fileID in fileIDs {
            guard Identifier.isWellFormed(fileID, kind: .file),
                let file = try? await readable(principal, fileID: fileID), file.workspaceID == workspaceID
            else {
                throw Problem.validation(field: "file_ids", "must be files of this workspace that you uploaded or can read")
            }
            files.append(file)
        }
        return files
    }
}
