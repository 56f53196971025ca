import ConclaveCore
import Hummingbird

/// Refuses (400) a request whose path is not in canonical form: an empty segment (`//api/…`,
/// `/api//v1`), a dot segment (`.`, `..`, also percent-encoded), or a backslash. The router skips
/// empty segments while the middlewares match on the path's text (`/api/` decides whether a
/// request is authenticated and limited): `//api/v1/me` reached its handler with neither. The
/// two must never disagree on what was asked for. (A percent-encoded slash stays data inside
/// one segment, as in an invite token, and is not refused: the router never splits on it.)
struct CanonicalPathMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isCanonical(request.head.path ?? "/"), Self.isCanonical(request.uri.path) else {
            throw Problem.badRequest("The request path is not in canonical form.")
        }
        return try await next(request, context)
    }

    static let dotSegments: Set<String> = [".", "..", "%2e", "%2e%2e", ".%2e", "%2e."]

    /// Whether the path of a request target (origin form; any query is ignored) is canonical.
    /// The absolute form (`http://host/path`) is judged by its path.
    static func isCanonical(_ target: String) -> Bool {
        var path = Substring(target.prefix { $0 != "?" && $0 != "#" })
        if !path.hasPrefix("/"), let scheme = path.firstRange(of: "://") {
            path = path[scheme.upperBound...].drop { $0 != "/" }
        }
        guard path.hasPrefix("/"), !path.contains("\\") else { return false }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for (index, segment) in segments.enumerated() {
            // One trailing slash (`/api/v1/me/`) is the only empty segment allowed.
            if segment.isEmpty, index != segments.count - 1 { return false }
            if dotSegments.contains(segment.lowercased()) { return false }
        }
        return true
    }
}
