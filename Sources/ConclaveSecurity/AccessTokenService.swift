import Crypto
import Foundation
import Synchronization
import JWTKit

/// The claims of a Conclave access token.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    public var sub: SubjectClaim
    public var sid: String
    public var typ: String
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    public var jti: IDClaim

    /// jwt-kit calls this after the signature checks out; `AccessTokenService` checks issuer,
    /// audience and type itself because they depend on its configuration.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Issues and verifies access JWTs.
///
/// Exactly one algorithm is accepted (HS256), decided by the server, never by the token: the header
/// is checked before any key is touched, so `alg: none`, `alg: RS256` key-confusion and unknown
/// `kid`s are refused up front. Each secret gets a `kid` derived from its hash, so a new signing
/// secret can be introduced while tokens signed with the previous one (listed in
/// CONCLAVE_JWT_PREVIOUS_SECRETS) stay valid until they expire.
public final class AccessTokenService: Sendable {
    public static let lifetimeSeconds: Int = 900
    public static let tokenType = "access"

    let keys: JWTKeyCollection
    let currentKid: String
    let knownKids: Set<String>
    /// The server's public URL. Settable once the listening port is known (port 0 picks one),
    /// before any token is issued.
    private let issuerName: Mutex<String>
    let audience: String

    var issuer: String { issuerName.withLock { $0 } }

    /// Names the issuer from now on: for a server told to pick its own port, the URL with it.
    public func useIssuer(_ issuer: String) {
        issuerName.withLock { $0 = issuer }
    }

    public init(currentSecret: [UInt8], previousSecrets: [[UInt8]] = [], issuer: String, audience: String = "conclave-api") async {
        let keys = JWTKeyCollection()
        var kids = Set<String>()
        for secret in [currentSecret] + previousSecrets {
            let kid = Self.kid(for: secret)
            kids.insert(kid)
            await keys.add(hmac: HMACKey(key: SymmetricKey(data: secret)), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        }
        self.keys = keys
        self.currentKid = Self.kid(for: currentSecret)
        self.knownKids = kids
        self.issuerName = Mutex(issuer)
        self.audience = audience
    }

    static func kid(for secret: [UInt8]) -> String {
        let digest = SHA256.hash(data: Array("conclave-jwt-kid".utf8) + secret)
        return "k" + digest.prefix(6).map { String(format: "%02x", $0) }.joined()
    }

    public func issue(userID: String, sessionID: String, now: Date = Date()) async throws -> String {
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessTokenClaims(
            iss: IssuerClaim(value: issuer),
            aud: AudienceClaim(value: [audience]),
            sub: SubjectClaim(value: userID),
            sid: sessionID,
            typ: Self.tokenType,
            iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(TimeInterval(Self.lifetimeSeconds))),
            jti: IDClaim(value: SecureRandom.token(bytes: 16))
        )
        var header = JWTHeader()
        header.typ = "JWT"
        header.alg = "HS256"
        return try await keys.sign(claims, kid: JWKIdentifier(string: currentKid), header: header)
    }

    /// The claims of a valid token, or nil for anything else (malformed, forged, expired, wrong
    /// issuer, audience or type). Callers answer 401 without saying which.
    public func verify(_ token: String, now: Date = Date()) async -> AccessTokenClaims? {
        guard token.utf8.count <= 4096 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, Self.isCanonicalSignature(parts[2]),
            let headerData = Base64URL.decode(parts[0]),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            header["alg"] as? String == "HS256",
            let kid = header["kid"] as? String, knownKids.contains(kid),
            header["crit"] == nil
        else { return nil }
        if let typ = header["typ"], typ as? String != "JWT" { return nil }
        guard let claims = try? await keys.verify(token, as: AccessTokenClaims.self) else { return nil }
        guard claims.iss.value == issuer, claims.aud.value.contains(audience), claims.typ == Self.tokenType,
            claims.iat.value <= now.addingTimeInterval(60), claims.exp.value > now
        else { return nil }
        return claims
    }

    /// jwt-kit also accepts a signature with `=` padding or non-zero unused low bits, which gives
    /// one token several accepted spellings; anything that compares or logs token strings would
    /// take them for different tokens. Only the canonical unpadded base64url gets through here.
    static func isCanonicalSignature(_ segment: Substring) -> Bool {
        guard !segment.isEmpty, let bytes = Base64URL.decode(segment) else { return false }
        return Base64URL.encode(bytes) == segment
    }
}
