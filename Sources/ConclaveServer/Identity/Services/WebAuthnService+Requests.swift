import ConclaveCore
import Foundation

extension WebAuthnService {
    /// `RegistrationResponseJSON` as `PublicKeyCredential.toJSON()` produces it, plus an optional
    /// name and the optional `current_password` proof.
    struct RegistrationRequest: Decodable, Sendable {
        struct AttestationResponse: Decodable, Sendable {
            let clientDataJSON: String
            let attestationObject: String
            let transports: [String]?
        }

        let id: String
        let rawId: String
        let type: String
        let response: AttestationResponse
        /// Sent by `toJSON()`; decoded so a strict body accepts them, and not used.
        let authenticatorAttachment: String?
        let clientExtensionResults: JSONValue?
        let name: String?
        let currentPassword: String?

        enum CodingKeys: String, CodingKey {
            case id, rawId, type, response, name, authenticatorAttachment, clientExtensionResults
            case currentPassword = "current_password"
        }
    }

    struct LoginOptionsRequest: Decodable, Sendable {
        let email: String?
    }

    /// `AuthenticationResponseJSON`.
    struct AssertionCredential: Decodable, Sendable {
        struct AssertionResponse: Decodable, Sendable {
            let clientDataJSON: String
            let authenticatorData: String
            let signature: String
            let userHandle: String?
        }

        let id: String
        let rawId: String
        let type: String
        let response: AssertionResponse
    }

    struct LoginVerifyRequest: Decodable, Sendable {
        let ceremonyID: String
        let credential: AssertionCredential

        enum CodingKeys: String, CodingKey {
            case ceremonyID = "ceremony_id"
            case credential
        }
    }
}
