import ConclaveCore
import HTTPTypes
import Hummingbird

/// The 1 MiB request body limit. A declared Content-Length over the limit is refused before a byte
/// of the body is read; a chunked body is cut off by `collect(upTo:)` the moment it passes the limit.
struct RequestBodyLimit: RouterMiddleware {
    typealias Context = AppRequestContext

    static let maxBytes = 1024 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), length >= 0 else {
                throw Problem.badRequest("Content-Length is not a number.")
            }
            if length > Self.maxBytes { throw Problem.contentTooLarge }
        }
        return try await next(request, context)
    }
}
