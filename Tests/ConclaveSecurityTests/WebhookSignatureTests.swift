import ConclaveSecurity
import Foundation
import Testing

/// Standard Webhooks signatures: the value Python's hmac gives for the same input, and one
/// signature per secret during a rotation.
@Suite struct WebhookSignatureTests {
    let secret = Data(0..<32)
    let body = Data(#"{"a":1}"#.utf8)

    @Test func matchesAnIndependentHMAC() {
        // python3: base64.b64encode(hmac.new(bytes(range(32)), b'dlv_1.1700000000.{"a":1}', hashlib.sha256).digest())
        #expect(WebhookSignature.sign(secret: secret, messageID: "dlv_1", timestamp: 1_700_000_000, body: body)
            == "v1,/PsU8eiWi1SXv3V5jwrQC2oLF5EE6sTRwbuiu3S/C/w=")
    }

    @Test func signsWithEverySecretDuringARotation() {
        let other = Data(repeating: 7, count: 32)
        let header = WebhookSignature.header(secrets: [secret, other], messageID: "dlv_1", timestamp: 1_700_000_000, body: body)
        let parts = header.split(separator: " ").map(String.init)
        #expect(parts.count == 2)
        #expect(parts[0] == WebhookSignature.sign(secret: secret, messageID: "dlv_1", timestamp: 1_700_000_000, body: body))
        #expect(parts[1] == WebhookSignature.sign(secret: other, messageID: "dlv_1", timestamp: 1_700_000_000, body: body))
        #expect(WebhookSignature.display(secret).hasPrefix("whsec_") && WebhookSignature.display(secret).count == 6 + 44)
    }
}
