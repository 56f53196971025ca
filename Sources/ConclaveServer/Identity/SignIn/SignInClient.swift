import HTTPTypes
import Hummingbird

/// Where a sign-in comes from: recorded on the session it creates and in its audit entries.
struct SignInClient: Sendable {
    let ip: String
    let userAgent: String?

    init(_ request: Request, _ context: AppRequestContext) {
        self.ip = context.clientIP
        self.userAgent = request.headers[.userAgent]
    }
}
