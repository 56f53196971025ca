/// One field-level validation failure, reported in a problem's `errors` array.
public struct FieldError: Sendable, Equatable, Codable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// An RFC 9457 problem: the only shape in which Conclave reports an error to a client.
///
/// Every message here is written for the client. Internal details (SQL, paths, stack traces) never
/// become a `Problem`; they are logged by request id and the client sees a generic 500.
public struct Problem: Error, Sendable, Equatable {
    public var status: Int
    public var title: String
    public var detail: String?
    public var errors: [FieldError]
    /// Extra headers the response must carry (`Retry-After`, `WWW-Authenticate`, `Allow`).
    public var headers: [String: String]
    /// A type more specific than the status's, for a refusal a client must act on in its own way
    /// (`reauthentication_required`); nil for the status's own type.
    public var specificType: String?

    public init(
        status: Int, title: String, detail: String? = nil, errors: [FieldError] = [], headers: [String: String] = [:],
        specificType: String? = nil
    ) {
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.specificType = specificType
    }

    /// The problem type URI; a stable, documented slug per status (or the specific type).
    public var type: String {
        "https://conclave.dev/problems/" + (specificType ?? Problem.slug(for: status))
    }

    static func slug(for status: Int) -> String {
        switch status {
        case 400: "bad-request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not-found"
        case 405: "method-not-allowed"
        case 409: "conflict"
        case 413: "content-too-large"
        case 415: "unsupported-media-type"
        case 422: "validation-failed"
        case 423: "locked"
        case 429: "rate-limited"
        case 503: "unavailable"
        default: status >= 500 ? "internal" : "error"
        }
    }
}

extension Problem {
    public static func badRequest(_ detail: String) -> Problem {
        Problem(status: 400, title: "Bad Request", detail: detail)
    }

    public static func unauthorized(_ detail: String = "Authentication is required.") -> Problem {
        Problem(status: 401, title: "Unauthorized", detail: detail, headers: ["WWW-Authenticate": "Bearer realm=\"conclave\""])
    }

    public static func forbidden(_ detail: String) -> Problem {
        Problem(status: 403, title: "Forbidden", detail: detail)
    }

    /// A proof a signed-in caller had to give again (the current password, a TOTP or backup code)
    /// was wrong: 403, with the field named so a client can point at it. Not 422: the request is
    /// valid, the caller did not prove it may do this. (Not 401 either: the session is fine.)
    public static func proofRefused(field: String, _ message: String) -> Problem {
        Problem(
            status: 403, title: "Forbidden", detail: "The \(field) given is not correct.",
            errors: [FieldError(field: field, message: message)]
        )
    }

    /// Adding or removing a sign-in factor needs a recent sign-in (contract v1.1): the session
    /// proved the password (or a passkey with user verification) too long ago, and the request
    /// carries no `current_password`.
    public static let reauthenticationRequired = Problem(
        status: 403, title: "Reauthentication Required",
        detail: "This needs a sign-in within the last 10 minutes: send current_password with the request, or sign in again.",
        specificType: "reauthentication_required"
    )

    public static let notFound = Problem(status: 404, title: "Not Found", detail: "The resource does not exist or is not visible to you.")

    public static func methodNotAllowed(allowed: [String]) -> Problem {
        Problem(
            status: 405,
            title: "Method Not Allowed",
            detail: "This path does not support that method.",
            headers: ["Allow": allowed.joined(separator: ", ")]
        )
    }

    public static func conflict(_ detail: String) -> Problem {
        Problem(status: 409, title: "Conflict", detail: detail)
    }

    public static let contentTooLarge = Problem(status: 413, title: "Content Too Large", detail: "The request body exceeds the limit of 1 MiB.")

    /// An upload over CONCLAVE_MAX_FILE_BYTES.
    public static func fileTooLarge(limit: Int) -> Problem {
        Problem(status: 413, title: "Content Too Large", detail: "The file exceeds the limit of \(limit) bytes.")
    }

    public static let unsupportedMediaType = Problem(
        status: 415,
        title: "Unsupported Media Type",
        detail: "Send the request body as application/json."
    )

    public static func validation(_ errors: [FieldError], detail: String = "The request is well formed but invalid.") -> Problem {
        Problem(status: 422, title: "Unprocessable Content", detail: detail, errors: errors)
    }

    public static func validation(field: String, _ message: String) -> Problem {
        validation([FieldError(field: field, message: message)])
    }

    public static func rateLimited(retryAfterSeconds: Int) -> Problem {
        Problem(
            status: 429,
            title: "Too Many Requests",
            detail: "Rate limit exceeded; retry later.",
            headers: ["Retry-After": String(max(1, retryAfterSeconds))]
        )
    }

    /// An agent's message would make its thread's run of agent messages longer than the
    /// workspace's loop budget (contract v1.1). Not a rate limit: waiting does not help, a human
    /// message in the thread does, so there is no `Retry-After`.
    public static func loopBudgetExhausted(budget: Int64) -> Problem {
        Problem(
            status: 429, title: "Loop Budget Exhausted",
            detail: "This thread already holds \(budget) agent messages in a row; a person must post in it before an agent may again.",
            specificType: "loop-budget-exhausted"
        )
    }

    public static let internalError = Problem(status: 500, title: "Internal Server Error", detail: "The server could not complete the request.")

    public static let unavailable = Problem(status: 503, title: "Service Unavailable", detail: "The service is not ready.")

    /// The database gave up on the write after retrying it (contention with other writes); nothing
    /// was changed, and the same request may be sent again.
    public static let busy = Problem(
        status: 503,
        title: "Service Unavailable",
        detail: "The server is busy with conflicting changes; nothing was changed. Retry the request.",
        headers: ["Retry-After": "1"]
    )
}
