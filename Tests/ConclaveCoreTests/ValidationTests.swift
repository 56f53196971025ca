import ConclaveCore
import Testing

@Suite struct ValidationTests {
    @Test(arguments: ["a@b.co", "owner@example.com", "first.last+tag@sub.example.org"])
    func validEmails(email: String) {
        #expect(Validation.email(email) == nil)
    }

    @Test(arguments: ["", "plain", "@example.com", "a@", "a@b", "a b@example.com", "a@.example.com", "a@example.com.", "a@@b.com"])
    func invalidEmails(email: String) {
        #expect(Validation.email(email) != nil)
    }

    @Test func displayNamesAreBoundedAndPrintable() {
        #expect(Validation.displayName("Acme") == nil)
        #expect(Validation.displayName("") != nil)
        #expect(Validation.displayName("   ") != nil)
        #expect(Validation.displayName(String(repeating: "x", count: 81)) != nil)
        #expect(Validation.displayName("bad\u{07}name") != nil)
    }
}
