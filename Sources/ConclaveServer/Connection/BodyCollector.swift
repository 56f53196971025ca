import HTTPTypes
import Hummingbird
import NIOCore

/// Reads a response body into one buffer, up to `limit` bytes (nil past it).
final class BodyCollector: ResponseBodyWriter {
    let limit: Int
    private var buffer = ByteBuffer()
    private var overflowed = false

    init(limit: Int) {
        self.limit = limit
    }

    var body: ByteBuffer? { overflowed ? nil : buffer }

    func write(_ part: ByteBuffer) async throws {
        guard !overflowed, buffer.readableBytes + part.readableBytes <= limit else {
            overflowed = true
            return
        }
        var part = part
        buffer.writeBuffer(&part)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
