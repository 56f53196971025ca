import HTTPTypes
import NIOCore

/// An HTTP/1.1 response as the bytes a connection handler writes beneath Hummingbird (which
/// then closes the connection): the status line, the headers, an exact `Content-Length` and
/// `Connection: close`.
enum RawResponse {
    static func bytes(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) -> ByteBuffer {
        var head = "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        for field in headers where ![.contentLength, .connection, .transferEncoding].contains(field.name) {
            head += "\(field.name.rawName): \(field.value)\r\n"
        }
        head += "Content-Length: \(body.readableBytes)\r\nConnection: close\r\n\r\n"
        var buffer = ByteBuffer(string: head)
        buffer.writeImmutableBuffer(body)
        return buffer
    }
}
