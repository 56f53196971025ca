import ConclaveSecurity
import Crypto
import Foundation
import Hummingbird
import NIOCore

/// Encrypted file bytes under the data dir (`<data>/files/<id>`, mode 0600 in a 0700 directory).
///
/// An upload is read from the request body and sealed segment by segment (`SegmentedFileCipher`)
/// into a temporary file, renamed into place only when complete: at most one segment and one
/// body chunk are in memory, and a cut-off or refused upload leaves nothing behind. A download
/// opens one segment at a time into the response body.
struct LocalFileStore: Sendable {
    let directory: String

    init(dataDirectory: String) {
        self.directory = dataDirectory + "/files"
    }

    /// What an upload wrote: the plaintext's size and SHA-256 (lowercase hex).
    struct Written: Sendable {
        let size: Int64
        let sha256: String
    }

    /// Only ids the server generated (`fil_` + base62) name files, so a path never escapes.
    func path(of id: String) -> String { directory + "/" + id }

    /// Seals the body into the file `id`; throws `Problem.fileTooLarge` the moment it passes `limit`.
    func write(id: String, body: RequestBody, cipher: SegmentedFileCipher, limit: Int) async throws -> Written {
        try PrivateFile.ensureDirectory(directory)
        let temporary = directory + "/.upload-" + id
        let fd = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Problem.internalError }
        var closed = false
        defer { if !closed { close(fd); unlink(temporary) } }
        var hasher = SHA256()
        var pending: [UInt8] = []
        var index: UInt32 = 0
        var total = 0
        try Self.append(cipher.header, to: fd)
        for try await chunk in body {
            total += chunk.readableBytes
            guard total <= limit else { throw Problem.fileTooLarge(limit: limit) }
            let bytes = chunk.readableBytesView
            hasher.update(data: Array(bytes))
            pending.append(contentsOf: bytes)
            // A segment is sealed only once a byte after it is known: the last is marked final.
            while pending.count > SegmentedFileCipher.segmentSize {
                try Self.append(try cipher.seal(pending[0..<SegmentedFileCipher.segmentSize], index: index, final: false), to: fd)
                pending.removeFirst(SegmentedFileCipher.segmentSize)
                index += 1
            }
        }
        try Self.append(try cipher.seal(pending, index: index, final: true), to: fd)
        guard fsync(fd) == 0 else { throw Problem.internalError }
        close(fd)
        closed = true
        guard rename(temporary, path(of: id)) == 0 else {
            unlink(temporary)
            throw Problem.internalError
        }
        return Written(size: Int64(total), sha256: hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// The plaintext, opened segment by segment as the response is written.
    func body(id: String, key: Data, size: Int64) throws -> ResponseBody {
        guard let handle = FileHandle(forReadingAtPath: path(of: id)) else { throw Problem.notFound }
        return ResponseBody(contentLength: Int(size)) { writer in
            defer { try? handle.close() }
            let header = try handle.read(upToCount: SegmentedFileCipher.headerLength) ?? Data()
            let cipher = try SegmentedFileCipher(key: key, header: header)
            var index: UInt32 = 0
            var segment = try handle.read(upToCount: SegmentedFileCipher.sealedSegmentSize) ?? Data()
            while true {
                // A full segment followed by nothing more is the last one (sealed final).
                let next = segment.count == SegmentedFileCipher.sealedSegmentSize
                    ? try handle.read(upToCount: SegmentedFileCipher.sealedSegmentSize) ?? Data() : Data()
                let final = next.isEmpty
                let plaintext = try cipher.open(segment, index: index, final: final)
                try await writer.write(ByteBuffer(bytes: plaintext))
                if final { break }
                segment = next
                index += 1
            }
            try await writer.finish(nil)
        }
    }

    /// The whole plaintext of a small file.
    func contents(id: String, key: Data) throws -> Data {
        guard let stored = FileManager.default.contents(atPath: path(of: id)) else { throw Problem.notFound }
        return try SegmentedFileCipher.openAll(stored, key: key)
    }

    /// Deletes the temporary files of uploads a previous run did not finish (called at start,
    /// before any upload can be in flight).
    func removeAbandonedUploads() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(".upload-") { unlink(directory + "/" + name) }
    }

    /// Removes the bytes (already unreadable once the row and its wrapped key are gone).
    func erase(id: String) {
        unlink(path(of: id))
    }

    private static func append(_ data: Data, to fd: Int32) throws {
        let written = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw Problem.internalError }
    }
}
