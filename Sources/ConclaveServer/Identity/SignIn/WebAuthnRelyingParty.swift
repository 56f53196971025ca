import ConclaveSecurity
import Foundation

/// This server as a WebAuthn relying party: the RP ID is the host of CONCLAVE_PUBLIC_URL and the
/// one allowed origin is that URL's scheme://host[:port] (a default port left out, as browsers
/// report it); user verification follows CONCLAVE_WEBAUTHN_USER_VERIFICATION.
struct WebAuthnRelyingParty: Sendable {
    let rpID: String
    let origin: String
    let userVerification: ConclaveConfiguration.UserVerification

    /// Display name of the relying party in authenticator prompts.
    static let name = "Conclave"

    init(configuration: ConclaveConfiguration) {
        let components = URLComponents(string: configuration.publicURL)
        let scheme = (components?.scheme ?? "http").lowercased()
        // The configuration refuses a public URL without a host, so the fallback is never used.
        let host = (components?.host ?? "localhost").lowercased()
        let printableHost = host.contains(":") ? "[\(host)]" : host
        var origin = "\(scheme)://\(printableHost)"
        if let port = components?.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            origin += ":\(port)"
        }
        self.rpID = host
        self.origin = origin
        self.userVerification = configuration.webauthnUserVerification
    }

    var requiresUserVerification: Bool { userVerification == .required }

    var registrationVerifier: WebAuthnRegistrationVerifier {
        WebAuthnRegistrationVerifier(rpID: rpID, origin: origin, requireUserVerification: requiresUserVerification)
    }

    var assertionVerifier: WebAuthnAssertionVerifier {
        WebAuthnAssertionVerifier(rpID: rpID, origin: origin, requireUserVerification: requiresUserVerification)
    }
}
