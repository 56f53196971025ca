import Foundation

/// The fields of clientDataJSON (WebAuthn §5.8.1) that a relying party checks.
public struct CollectedClientData: Sendable, Equatable, Decodable {
    /// `webauthn.create` or `webauthn.get`.
    public let type: String
    /// The challenge as base64url.
    public let challenge: String
    /// The origin the browser saw.
    public let origin: String
    /// Whether the ceremony ran in a cross-origin iframe.
    public let crossOrigin: Bool?
    /// The top-level origin, present for cross-origin ceremonies.
    public let topOrigin: String?

    /// clientDataJSON is a few hundred bytes in practice; anything huge is an attack on the parser.
    public static let maxLength = 16 * 1024

    /// Parses clientDataJSON.
    public init(json: some DataProtocol) throws(WebAuthnError) {
        guard json.count <= Self.maxLength else { throw .malformedClientData }
        do {
            self = try JSONDecoder().decode(CollectedClientData.self, from: Data(json))
        } catch {
            throw .malformedClientData
        }
    }

    /// Checks type, challenge, origin and cross-origin use (WebAuthn §7.1 steps 7–10, §7.2 steps 11–14).
    func verify(expectedType: String, expectedChallenge: some DataProtocol, allowedOrigins: Set<String>) throws(WebAuthnError) {
        guard type == expectedType else { throw .unexpectedCeremonyType }
        guard let challengeBytes = Base64URL.decode(challenge), ConstantTime.equals(challengeBytes, expectedChallenge) else {
            throw .challengeMismatch
        }
        guard allowedOrigins.contains(origin) else { throw .originMismatch }
        // Embedding our sign-in in someone else's frame is never legitimate for this server.
        guard crossOrigin != true, topOrigin == nil else { throw .crossOriginNotAllowed }
    }
}
