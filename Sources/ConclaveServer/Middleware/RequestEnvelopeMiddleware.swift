import ConclaveCore
import ConclaveStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// The outermost layer: gives each request an id and a client IP, turns every error into an
/// RFC 9457 problem that reveals nothing internal, adds the security headers to every response
/// (errors included), and logs and counts the request.
struct RequestEnvelopeMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    let clientAddressResolver: ClientAddressResolver
    let routeTable: RouteTable
    let tlsEnabled: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        context.requestID = Identifier.generate(.request)
        context.clientIP = clientAddressResolver.clientIP(peer: context.remoteAddress, forwardedFor: request.headers[values: .xForwardedFor])
        context.logger[metadataKey: "request_id"] = .string(context.requestID)

        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = ProblemResponse.make(problem(for: error, request: request, context: context))
        }
        applyHeaders(to: &response, request: request, requestID: context.requestID)

        let elapsed = ContinuousClock.now - started
        let route = context.endpointPath ?? "unmatched"
        let status = response.status.code
        Counter(label: "conclave_http_requests_total", dimensions: [("route", route), ("method", request.method.rawValue), ("status", String(status))]).increment()
        Timer(label: "conclave_http_request_duration_seconds", dimensions: [("route", route)]).recordNanoseconds(elapsed.nanoseconds)
        if status == 401 { Counter(label: "conclave_auth_failures_total").increment() }
        if status == 429 { Counter(label: "conclave_rate_limit_rejections_total").increment() }
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                // The route template, never the raw path: paths can carry secrets (invite tokens).
                "route": .string(route),
                "status": .stringConvertible(status),
                "duration_ms": .string(String(format: "%.2f", elapsed.milliseconds)),
                "client_ip": .string(context.clientIP),
            ]
        )
        return response
    }

    func problem(for error: any Error, request: Request, context: Context) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case is NIOTooManyBytesError:
            return .contentTooLarge
        case is HTTPParserError:
            // Met while reading the body (an unknown transfer coding, a broken chunk): the
            // client's request, not the server, is at fault.
            return .badRequest("The request is not valid HTTP/1.1.")
        case let storeError as StoreError:
            return Problem(storeError)
        case let httpError as HTTPError:
            switch httpError.status.code {
            case 404:
                let allowed = routeTable.allowedMethods(for: request.uri.path)
                return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed: allowed)
            case 413: return .contentTooLarge
            case 400: return .badRequest("The request could not be understood.")
            case 401: return .unauthorized()
            case 405: return .methodNotAllowed(allowed: routeTable.allowedMethods(for: request.uri.path))
            case 415: return .unsupportedMediaType
            case 400..<500:
                return Problem(status: httpError.status.code, title: httpError.status.reasonPhrase)
            default:
                break
            }
        default:
            break
        }
        // Internal: the type name goes to the log under the request id; the client learns nothing.
        context.logger.error("unhandled error", metadata: ["error_type": .string(String(reflecting: type(of: error)))])
        return .internalError
    }

    func applyHeaders(to response: inout Response, request: Request, requestID: String) {
        for (name, value) in SecurityHeaders.fields(tlsEnabled: tlsEnabled) {
            // The console's pages bring their own (equally strict) policy; every other response
            // gets the API's, which allows nothing at all.
            if name == .contentSecurityPolicy, response.headers[name] != nil { continue }
            response.headers[name] = value
        }
        response.headers[.xRequestID] = requestID
        if response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
    }
}

/// The security headers every response carries (contract, Conventions). One list for the
/// middleware and for the responses written beneath the router (`FirstRequestGuard`).
enum SecurityHeaders {
    static func fields(tlsEnabled: Bool) -> [(HTTPField.Name, String)] {
        var fields: [(HTTPField.Name, String)] = [
            (.xContentTypeOptions, "nosniff"),
            (.xFrameOptions, "DENY"),
            (.referrerPolicy, "no-referrer"),
            (.contentSecurityPolicy, "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
            (.crossOriginResourcePolicy, "same-origin"),
        ]
        if tlsEnabled {
            fields.append((.strictTransportSecurity, "max-age=63072000; includeSubDomains"))
        }
        return fields
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let crossOriginResourcePolicy = HTTPField.Name("Cross-Origin-Resource-Policy")!
    static let xRequestID = HTTPField.Name("X-Request-Id")!
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let rateLimitLimit = HTTPField.Name("RateLimit-Limit")!
    static let rateLimitRemaining = HTTPField.Name("RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("RateLimit-Reset")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    var milliseconds: Double { Double(nanoseconds) / 1_000_000 }
}
