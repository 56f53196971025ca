import ConclaveCore
import ConclaveStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// `Idempotency-Key` on authenticated POSTs outside /api/v1/auth/: the same key with the same body
/// replays the first response (status and body) for 24 h; with a different body → 422; while the
/// first is still running → 409. Responses that carry a secret (marked by the route with
/// `Conclave-No-Replay`) and 5xx responses are not stored, so the key can be retried.
/// A response that created a message (marked with `Conclave-Message`) stores only the message's
/// id: its replay shows the message as the caller may read it now (edited, a tombstone, or 404),
/// so no copy of its text outlives an edit or a deletion here.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    static let lifetimeMilliseconds: Int64 = 24 * 3600 * 1000
    static let noReplayHeader = HTTPField.Name("Conclave-No-Replay")!
    static let messageHeader = HTTPField.Name("Conclave-Message")!
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!

    let database: any Database
    /// The message as `principal` may read it now; throws (404) when it may not.
    let currentMessage: @Sendable (_ principal: Principal, _ messageID: String) async throws -> JSONValue

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // A file upload is streamed to disk, never buffered here: it is not replayable.
        guard request.method == .post, let principal = context.principal, !request.uri.path.hasPrefix("/api/v1/auth/"), !FileRoutes.isUpload(request),
            let key = request.headers[.idempotencyKey]
        else {
            var response = try await next(request, context)
            response.headers[Self.noReplayHeader] = nil
            response.headers[Self.messageHeader] = nil
            return response
        }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw Problem.badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters.")
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        request.body = RequestBody(buffer: body)
        var hasher = SHA256()
        hasher.update(data: Array((request.method.rawValue + " " + request.uri.path + "\n").utf8))
        hasher.update(data: Array(body.readableBytesView))
        let requestHash = hasher.finalize().map { String(format: "%02x", $0) }.joined()

        let now = Clock.milliseconds()
        let path = request.uri.path
        let method = request.method.rawValue
        let existing: IdempotencyRepository.Entry?
        do {
            existing = try await database.write { db in
                try await IdempotencyRepository().claim(
                    principalID: principal.id, key: key, method: method, path: path, requestHash: requestHash, now: now,
                    expiredBefore: now - Self.lifetimeMilliseconds, on: db
                )
            }
        } catch StoreError.conflict {
            throw Problem.conflict("A request with this Idempotency-Key is still in progress.")
        }
        if let existing {
            guard existing.requestHash == requestHash else {
                throw Problem.validation(field: "Idempotency-Key", "was already used with a different request")
            }
            guard existing.status != 0 else { throw Problem.conflict("A request with this Idempotency-Key is still in progress.") }
            var headers = HTTPFields()
            headers[Self.replayedHeader] = "true"
            let status = HTTPResponse.Status(code: existing.status)
            if let messageID = existing.resourceID {
                return JSONResponse.make(try await currentMessage(principal, messageID), status: status, headers: headers)
            }
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: existing.body)))
        }

        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            try? await database.write { db in try await IdempotencyRepository().release(principalID: principal.id, key: key, on: db) }
            throw error
        }
        var cleaned = response
        cleaned.headers[Self.noReplayHeader] = nil
        cleaned.headers[Self.messageHeader] = nil
        if response.headers[Self.noReplayHeader] != nil || response.status.code >= 500 {
            try await database.write { db in try await IdempotencyRepository().release(principalID: principal.id, key: key, on: db) }
            return cleaned
        }
        let messageID = response.headers[Self.messageHeader]
        let collected = try await Self.collect(response.body)
        let text = String(buffer: collected)
        let status = response.status.code
        try await database.write { db in
            try await IdempotencyRepository().complete(principalID: principal.id, key: key, status: status, body: text, resourceID: messageID, on: db)
        }
        cleaned.body = .init(byteBuffer: collected)
        return cleaned
    }

    static func collect(_ body: ResponseBody) async throws -> ByteBuffer {
        let sink = BufferSink()
        try await body.write(CollectingWriter(sink: sink))
        return sink.buffer.withLock { $0 }
    }

    final class BufferSink: Sendable {
        let buffer = Mutex(ByteBuffer())
    }

    struct CollectingWriter: ResponseBodyWriter {
        let sink: BufferSink

        mutating func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            sink.buffer.withLock { $0.writeBuffer(&buffer) }
        }

        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
