import Foundation
import NIOCore

/// One file of the web console as embedded in the binary (scripts/gen-console).
struct ConsoleFile: Sendable {
    let contentType: String
    /// A strong validator of the file's bytes, quoted as an `ETag` value.
    let etag: String
    let plainBase64: String
    let gzipBase64: String
}

/// A console file ready to serve: its bytes plain and gzip-compressed, decoded once at start-up.
struct ServedConsoleFile: Sendable {
    let contentType: String
    let etag: String
    let plain: ByteBuffer
    let gzip: ByteBuffer

    init(_ file: ConsoleFile) {
        contentType = file.contentType
        etag = file.etag
        plain = ByteBuffer(bytes: Data(base64Encoded: file.plainBase64) ?? Data())
        gzip = ByteBuffer(bytes: Data(base64Encoded: file.gzipBase64) ?? Data())
    }
}
