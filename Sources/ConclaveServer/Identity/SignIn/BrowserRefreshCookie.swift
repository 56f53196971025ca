import ConclaveCore
import Foundation
import HTTPTypes
import Hummingbird

/// Contract v1.1 "Refresh in the browser": a client that sends `X-Conclave-Client: browser` gets
/// its refresh token as the HttpOnly cookie `conclave_refresh` instead of in the body (script in
/// the page, an injected one included, can never read it), and refreshes with that cookie only
/// together with the header and a same-origin `Origin`. The header makes a cross-site request
/// a CORS preflight that the allowlist refuses; SameSite=Strict keeps the cookie off cross-site
/// requests; the Origin check refuses what gets past both.
struct BrowserRefreshCookie {
    static let name = "conclave_refresh"
    static let clientHeader = HTTPField.Name("X-Conclave-Client")!
    static let path = "/api/v1/auth"

    let configuration: ConclaveConfiguration

    static func isBrowser(_ request: Request) -> Bool {
        request.headers[clientHeader]?.lowercased() == "browser"
    }

    /// A sign-in's answer (login, second factor, passkey, invite sign-up, refresh) for
    /// `request`'s client: for a browser the refresh token leaves the body for the cookie;
    /// others get the body as it is.
    func response(_ json: JSONValue, to request: Request, status: HTTPResponse.Status = .ok, headers: HTTPFields) -> Response {
        guard Self.isBrowser(request), case .object(var body) = json, case .string(let refreshToken)? = body["refresh_token"] else {
            return JSONResponse.make(json, status: status, headers: headers)
        }
        body["refresh_token"] = nil
        var headers = headers
        headers[.setCookie] = cookie(value: refreshToken, maxAge: SessionIssuer.sessionLifetimeMilliseconds / 1000)
        return JSONResponse.make(.object(body), status: status, headers: headers)
    }

    /// The cookie that removes the refresh cookie (logout).
    var removal: String { cookie(value: "", maxAge: 0) }

    /// The refresh token a browser's refresh presents: 403 unless the request comes from this
    /// server's own origin, 401 without the cookie.
    func refreshToken(of request: Request) throws -> String {
        guard let origin = request.headers[.origin], ServerOrigin(configuration: configuration).matches(origin, request: request) else {
            throw Problem.forbidden("A browser refresh must come from this server's own origin.")
        }
        guard let token = Self.cookieValue(named: Self.name, in: request.headers[values: .cookie]), !token.isEmpty else {
            throw Problem.unauthorized("The refresh token is not valid.")
        }
        return token
    }

    private func cookie(value: String, maxAge: Int64) -> String {
        var attributes = ["\(Self.name)=\(value)", "Path=\(Self.path)", "Max-Age=\(maxAge)", "HttpOnly", "SameSite=Strict"]
        if configuration.tlsEnabled || configuration.publicURL.lowercased().hasPrefix("https://") { attributes.append("Secure") }
        return attributes.joined(separator: "; ")
    }

    /// The value of the cookie `name` in `Cookie` header lines (`a=1; b=2`), if present once.
    static func cookieValue(named name: String, in lines: [String]) -> String? {
        let values = lines.flatMap { $0.split(separator: ";") }.compactMap { pair -> String? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { return nil }
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
        // Two cookies of one name (one planted for a parent path or domain) are not told apart.
        return values.count == 1 ? values[0] : nil
    }
}
