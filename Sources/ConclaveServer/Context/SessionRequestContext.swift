import ConclaveCore
import Hummingbird

/// A request made by a person signed in with a session, not with an API key: their sessions,
/// password and second factors, and managing agents and keys. Without a credential the group
/// answers 401; with an API key, 403.
struct SessionRequestContext: ChildRequestContext, ConclaveRequestContext {
    var coreContext: CoreRequestContextStorage
    let sessionID: String
    private let authenticated: AuthenticatedRequestContext

    init(context: AppRequestContext) throws {
        let authenticated = try AuthenticatedRequestContext(context: context)
        guard authenticated.principal.kind == .human, let sessionID = authenticated.principal.sessionID else {
            throw Problem.forbidden("This action needs a signed-in person, not an API key.")
        }
        self.coreContext = authenticated.coreContext
        self.sessionID = sessionID
        self.authenticated = authenticated
    }

    var principal: Principal { authenticated.principal }
    var requestID: String { authenticated.requestID }
    var clientIP: String { authenticated.clientIP }

    /// The contract's request body limit; `collect(upTo:)` enforces it while reading.
    var maxUploadSize: Int { RequestBodyLimit.maxBytes }
}
