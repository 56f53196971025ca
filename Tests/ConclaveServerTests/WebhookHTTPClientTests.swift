@testable import ConclaveServer
import Foundation
import Testing

/// `Retry-After` in both of RFC 9110's forms, and the URL parts a delivery attempt uses.
@Suite struct WebhookHTTPClientTests {
    @Test func retryAfterSecondsAndHTTPDate() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)  // Tue, 14 Nov 2023 22:13:20 GMT
        #expect(WebhookHTTPClient.retryAfterMilliseconds("120", now: now) == 120_000)
        #expect(WebhookHTTPClient.retryAfterMilliseconds(" 0 ", now: now) == 0)
        #expect(WebhookHTTPClient.retryAfterMilliseconds("Tue, 14 Nov 2023 22:14:20 GMT", now: now) == 60_000)
        #expect(WebhookHTTPClient.retryAfterMilliseconds("Tue, 14 Nov 2023 22:00:00 GMT", now: now) == 0)
        #expect(WebhookHTTPClient.retryAfterMilliseconds("soon", now: now) == nil)
    }

    @Test func urlPartsForTheAttempt() throws {
        let mapped = try #require(WebhookURL("http://[::ffff:127.0.0.1]:8080/a/b?x=1"))
        #expect(mapped.host == "::ffff:127.0.0.1" && mapped.port == 8080 && mapped.requestTarget == "/a/b?x=1")
        #expect(mapped.hostHeader == "[::ffff:127.0.0.1]:8080" && mapped.isIPLiteral && !mapped.isTLS)
        let named = try #require(WebhookURL("https://hooks.example.com"))
        #expect(named.port == 443 && named.requestTarget == "/" && named.hostHeader == "hooks.example.com" && !named.isIPLiteral)
        for bad in ["ftp://x/", "http://user:pw@x/", "http:///nohost", "http://x/#frag", "not a url", "//x/"] {
            #expect(WebhookURL(bad) == nil, "\(bad) accepted")
        }
    }
}
