import Crypto
import Foundation

/// Standard Webhooks signing (https://www.standardwebhooks.com): a secret is `whsec_` + base64 of
/// 32 random bytes; a delivery's signature is `v1,` + base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>"),
/// and during a secret rotation one per valid secret, space-separated.
public enum WebhookSignature {
    public static let secretPrefix = "whsec_"

    /// A new secret's 32 random bytes.
    public static func newSecret() -> Data { SecureRandom.bytes(count: 32) }

    /// The secret as shown to its owner once.
    public static func display(_ secret: Data) -> String { secretPrefix + secret.base64EncodedString() }

    /// `v1,<base64>` for one secret.
    public static func sign(secret: Data, messageID: String, timestamp: Int64, body: Data) -> String {
        var signed = Data("\(messageID).\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header value: one signature per secret, space-separated.
    public static func header(secrets: [Data], messageID: String, timestamp: Int64, body: Data) -> String {
        secrets.map { sign(secret: $0, messageID: messageID, timestamp: timestamp, body: body) }.joined(separator: " ")
    }
}
