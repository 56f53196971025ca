import ConclaveCore
import Hummingbird

/// A request made with a valid credential (an access token or an API key). Routes registered in
/// a group of this context cannot run without a principal: the group answers 401 (with
/// `WWW-Authenticate: Bearer`) before the handler.
struct AuthenticatedRequestContext: ChildRequestContext, ConclaveRequestContext {
    var coreContext: CoreRequestContextStorage
    let principal: Principal
    let requestID: String
    let clientIP: String
    /// The credential caches' generation read just before `principal` was authenticated (a
    /// stream that outlives the request re-checks the credential if anything changed since).
    let credentialGeneration: UInt64

    init(context: AppRequestContext) throws {
        guard let principal = context.principal else { throw Problem.unauthorized() }
        self.coreContext = context.coreContext
        self.principal = principal
        self.requestID = context.requestID
        self.clientIP = context.clientIP
        self.credentialGeneration = context.credentialGeneration
    }

    /// The contract's request body limit; `collect(upTo:)` enforces it while reading.
    var maxUploadSize: Int { RequestBodyLimit.maxBytes }

    /// The principal, which must hold `scope` if it authenticated with an API key (403 naming the
    /// missing scope otherwise). Sessions are limited by role alone.
    func principal(with scope: Scope) throws -> Principal {
        try principal(withAnyOf: [scope])
    }

    /// The principal, which must hold at least one of `scopes` if it authenticated with an API key
    /// (403 naming them otherwise): for reads that more than one scope's holders need.
    func principal(withAnyOf scopes: [Scope]) throws -> Principal {
        try principal.requiring(anyOf: scopes)
    }
}
