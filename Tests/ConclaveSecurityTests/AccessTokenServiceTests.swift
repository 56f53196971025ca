import ConclaveSecurity
import Crypto
import Foundation
import JWTKit
import Testing

@Suite struct AccessTokenServiceTests {
    static let secret = Array("an-access-token-secret-of-32-bytes!!".utf8)
    static let issuer = "http://localhost:8750"

    static func service(secret: [UInt8] = secret, previous: [[UInt8]] = []) async -> AccessTokenService {
        await AccessTokenService(currentSecret: secret, previousSecrets: previous, issuer: issuer)
    }

    /// Builds a token by hand, so the test does not share code with the service it checks.
    static func handMade(header: [String: Any], claims: [String: Any], key: [UInt8]?) throws -> String {
        let headerPart = Base64URL.encode(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        let claimsPart = Base64URL.encode(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let input = headerPart + "." + claimsPart
        guard let key else { return input + "." }
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: key))
        return input + "." + Base64URL.encode(Data(mac))
    }

    static func claims(expiresIn: TimeInterval = 600, typ: String = "access", aud: String = "conclave-api", iss: String = issuer) -> [String: Any] {
        let now = Date().timeIntervalSince1970.rounded(.down)
        return ["iss": iss, "aud": [aud], "sub": "usr_aaaaaaaaaaaa", "sid": "ses_aaaaaaaaaaaa", "typ": typ, "iat": now, "exp": now + expiresIn, "jti": "x"]
    }

    static func kid(of token: String) throws -> String {
        let header = try JSONSerialization.jsonObject(with: Base64URL.decode(token.split(separator: ".")[0])!) as! [String: Any]
        return header["kid"] as! String
    }

    @Test func issuedTokensVerify() async throws {
        let service = await Self.service()
        let token = try await service.issue(userID: "usr_aaaaaaaaaaaa", sessionID: "ses_aaaaaaaaaaaa")
        let claims = await service.verify(token)
        #expect(claims?.sub.value == "usr_aaaaaaaaaaaa")
        #expect(claims?.sid == "ses_aaaaaaaaaaaa")
        #expect(claims.map { $0.exp.value.timeIntervalSince($0.iat.value) } == 900)
    }

    @Test func handMadeTokensWithTheRightKeyVerifySoTheNegativeCasesMeanSomething() async throws {
        let service = await Self.service()
        let kid = try Self.kid(of: try await service.issue(userID: "usr_aaaaaaaaaaaa", sessionID: "ses_aaaaaaaaaaaa"))
        let token = try Self.handMade(header: ["alg": "HS256", "typ": "JWT", "kid": kid], claims: Self.claims(), key: Self.secret)
        #expect(await service.verify(token) != nil)
    }

    @Test func forgeriesAreRefused() async throws {
        let service = await Self.service()
        let kid = try Self.kid(of: try await service.issue(userID: "usr_aaaaaaaaaaaa", sessionID: "ses_aaaaaaaaaaaa"))
        let forgeries = [
            try Self.handMade(header: ["alg": "none", "typ": "JWT", "kid": kid], claims: Self.claims(), key: nil),
            try Self.handMade(header: ["alg": "HS256", "typ": "JWT", "kid": kid], claims: Self.claims(), key: Array("another key of at least 32 bytes!!!!".utf8)),
            try Self.handMade(header: ["alg": "HS512", "typ": "JWT", "kid": kid], claims: Self.claims(), key: Self.secret),
            try Self.handMade(header: ["alg": "HS256", "typ": "JWT", "kid": "k000000000000"], claims: Self.claims(), key: Self.secret),
            try Self.handMade(header: ["alg": "HS256", "typ": "JWT"], claims: Self.claims(), key: Self.secret),
            try Self.handMade(header: ["alg": "HS256", "typ": "JWT", "kid": kid], claims: Self.claims(expiresIn: -10), key: Self.secret),
            try Self.handMade(header: ["alg": "HS256", "typ": "JWT", "kid": kid], claims: Self.claims(typ: "refresh"), key: Self.secret),
            try Self.handMade(header: ["alg": "HS256", "typ": "JWT", "kid": kid], claims: Self.claims(aud: "other"), key: Self.secret),
            try Self.handMade(header: ["alg": "HS256", "typ": "JWT", "kid": kid], claims: Self.claims(iss: "https://evil.example"), key: Self.secret),
            "not.a.jwt", "", "a.b", String(repeating: "a", count: 5000),
        ]
        for forgery in forgeries {
            #expect(await service.verify(forgery) == nil, "accepted: \(forgery.prefix(60))")
        }
    }

    @Test func onlyTheCanonicalSpellingOfTheSignatureIsAccepted() async throws {
        let service = await Self.service()
        let token = try await service.issue(userID: "usr_aaaaaaaaaaaa", sessionID: "ses_aaaaaaaaaaaa")
        let signature = token.split(separator: ".")[2]
        // 32 MAC bytes fill 43 symbols with 2 unused low bits, zero in the canonical spelling;
        // setting one names the same bytes to a lenient decoder.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let lastSymbol = try #require(signature.last)
        let last = try #require(alphabet.firstIndex(of: lastSymbol))
        #expect(signature.count == 43 && last & 0b11 == 0)
        let trailingBits = String(token.dropLast()) + String(alphabet[last | 0b01])
        let respellings = [token + "=", trailingBits, trailingBits + "="]

        // jwt-kit on its own accepts every respelling, so the refusal below is the service's.
        let jwtKit = JWTKeyCollection()
        await jwtKit.add(hmac: HMACKey(key: SymmetricKey(data: Self.secret)), digestAlgorithm: .sha256, kid: JWKIdentifier(string: try Self.kid(of: token)))
        for respelling in respellings {
            #expect((try? await jwtKit.verify(respelling, as: AccessTokenClaims.self)) != nil, "jwt-kit refused: \(respelling.suffix(8))")
            #expect(await service.verify(respelling) == nil, "accepted: \(respelling.suffix(8))")
        }
        #expect(await service.verify(token) != nil)
    }

    @Test func aTamperedPayloadIsRefused() async throws {
        let service = await Self.service()
        let token = try await service.issue(userID: "usr_aaaaaaaaaaaa", sessionID: "ses_aaaaaaaaaaaa")
        var parts = token.split(separator: ".").map(String.init)
        var claims = try JSONSerialization.jsonObject(with: Base64URL.decode(parts[1])!) as! [String: Any]
        claims["sub"] = "usr_bbbbbbbbbbbb"
        parts[1] = Base64URL.encode(try JSONSerialization.data(withJSONObject: claims))
        #expect(await service.verify(parts.joined(separator: ".")) == nil)
    }

    @Test func rotationKeepsTokensOfThePreviousSecretValid() async throws {
        let newSecret = Array("a brand new signing secret, 32+ bytes".utf8)
        let old = await Self.service()
        let oldToken = try await old.issue(userID: "usr_aaaaaaaaaaaa", sessionID: "ses_aaaaaaaaaaaa")
        let rotated = await Self.service(secret: newSecret, previous: [Self.secret])
        #expect(await rotated.verify(oldToken) != nil)
        let newToken = try await rotated.issue(userID: "usr_aaaaaaaaaaaa", sessionID: "ses_aaaaaaaaaaaa")
        #expect(try Self.kid(of: newToken) != Self.kid(of: oldToken))
        let afterRotationWindow = await Self.service(secret: newSecret)
        #expect(await afterRotationWindow.verify(oldToken) == nil)
        #expect(await afterRotationWindow.verify(newToken) != nil)
    }
}
