import ConclaveCore
import HTTPTypes
import Hummingbird

/// The 1 MiB request body limit (a file upload's is CONCLAVE_MAX_FILE_BYTES, counted again as it is read). A declared Content-Length over the limit is refused before a byte
/// of the body is read; a chunked body is cut off by `collect(upTo:)` the moment it passes the limit.
struct RequestBodyLimit: RouterMiddleware {
    typealias Context = AppRequestContext

    static let maxBytes = 1024 * 1024

    /// The limit of the file upload route.
    var maxFileBytes = 25 * 1024 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), length >= 0 else {
                throw Problem.badRequest("Content-Length is not a number.")
            }
            if FileRoutes.isUpload(request) {
                if length > maxFileBytes { throw Problem.fileTooLarge(limit: maxFileBytes) }
            } else if length > Self.maxBytes {
                throw Problem.contentTooLarge
            }
        }
        return try await next(request, context)
    }
}
