import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Serves the web console: `/` and `/invite` (whose token stays in the fragment, never sent
/// here) answer the shell page, `/console/<file>` its scripts and styles. Every response carries
/// the console's own Content-Security-Policy (contract v1.1): scripts and styles only from this
/// origin, no inline code, Trusted Types required for every DOM sink.
struct ConsoleRoutes {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        + "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
        + "frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

    let files: [String: ServedConsoleFile]

    init(files: [String: ConsoleFile] = ConsoleFiles.all) {
        self.files = files.mapValues(ServedConsoleFile.init)
    }

    func register(on router: Router<AppRequestContext>) {
        for page in ["/", "/invite"] {
            router.get(RouterPath(page)) { request, _ -> Response in
                try serve("index.html", request: request)
            }
        }
        router.get("/console/:file") { request, context -> Response in
            let name = context.parameters.get("file") ?? ""
            // The shell is served at `/` only, so one URL holds the page and its policy.
            guard name != "index.html" else { throw Problem.notFound }
            return try serve(name, request: request)
        }
    }

    private func serve(_ name: String, request: Request) throws -> Response {
        guard let file = files[name] else { throw Problem.notFound }
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        headers[.crossOriginOpenerPolicy] = "same-origin"
        headers[.permissionsPolicy] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
        // Revalidate every time: a new binary must never run beside an old cached module.
        headers[.cacheControl] = "no-cache"
        headers[.eTag] = file.etag
        headers[.vary] = "Accept-Encoding"
        if request.headers[.ifNoneMatch]?.split(separator: ",").contains(where: {
            $0.trimmingCharacters(in: .whitespaces) == file.etag
        }) == true {
            return Response(status: .notModified, headers: headers)
        }
        if Self.acceptsGzip(request.headers[.acceptEncoding]) {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.gzip))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.plain))
    }

    /// Whether `Accept-Encoding` admits gzip (RFC 9110 12.5.3: `gzip` or `*`, with a q-value
    /// above zero).
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard parts.first == "gzip" || parts.first == "*" else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }
}

extension HTTPField.Name {
    static let crossOriginOpenerPolicy = HTTPField.Name("Cross-Origin-Opener-Policy")!
    static let permissionsPolicy = HTTPField.Name("Permissions-Policy")!
}
