import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// The WebAuthn JSON forms Conclave reads and writes: unpadded base64url fields, credential
/// descriptors, and a stored passkey as the API shows it.
enum WebAuthnJSON {
    /// Decodes an unpadded base64url field (422 naming it otherwise).
    static func binary(_ text: String, field: String, allowEmpty: Bool = false) throws -> Data {
        guard let data = Base64URL.decode(text), allowEmpty || !data.isEmpty else {
            throw Problem.validation(field: field, "must be non-empty base64url without padding")
        }
        return data
    }

    /// A `PublicKeyCredentialDescriptorJSON` for allow and exclude lists.
    static func descriptor(_ credential: WebAuthnRepository.Credential) -> JSONValue {
        descriptor(id: credential.credentialID, transports: credential.transports)
    }

    /// Always with `transports`, sorted and distinct as browsers report them (empty when none were
    /// reported), so that real descriptors and `PasskeyDecoys` share one shape.
    static func descriptor(id: String, transports: [String]) -> JSONValue {
        ["type": "public-key", "id": .string(id), "transports": .array(Set(transports).sorted().map(JSONValue.string))]
    }

    /// A credential as the API shows it: no key material, no credential ID.
    static func credential(_ credential: WebAuthnRepository.Credential) -> JSONValue {
        [
            "id": .string(credential.id),
            "name": .string(credential.name),
            "algorithm": .string(algorithmName(credential.algorithm)),
            "attestation_format": .string(credential.attestationFormat),
            "aaguid": .string(uuidString(credential.aaguid)),
            "backup_eligible": .bool(credential.backupEligible),
            "backed_up": .bool(credential.backupState),
            "transports": .array(credential.transports.map(JSONValue.string)),
            "created_at": .string(Clock.rfc3339(milliseconds: credential.createdAt)),
            "created_by_session": credential.createdSessionID.map(JSONValue.string) ?? .null,
            "last_used_at": credential.lastUsedAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
        ]
    }

    static func algorithmName(_ algorithm: Int64) -> String {
        switch COSEAlgorithm(rawValue: algorithm) {
        case .es256: "ES256"
        case .eddsa: "EdDSA"
        case nil: String(algorithm)
        }
    }

    /// The AAGUID in its usual UUID spelling (all zeros for authenticators that hide their model).
    static func uuidString(_ base64url: String) -> String {
        guard let bytes = Base64URL.decode(base64url), bytes.count == 16 else { return "" }
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }
}
