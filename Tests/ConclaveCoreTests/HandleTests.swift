import ConclaveCore
import Testing

@Suite struct HandleTests {
    @Test(arguments: ["a", "bob", "j.doe", "x_y-z", "0day", "bob.", String(repeating: "a", count: 32)])
    func validHandles(text: String) {
        #expect(Handle(text)?.value == text)
        #expect(Handle.problem(with: text) == nil)
    }

    @Test(arguments: ["", "Bob", "-bob", ".bob", "_bob", "bo b", "bob@x", "bób", String(repeating: "a", count: 33)])
    func invalidHandles(text: String) {
        #expect(Handle(text) == nil)
        #expect(Handle.problem(with: text)?.hasPrefix("must be") == true)
    }

    @Test(arguments: ["channel", "here", "everyone", "usr_abcdefghij", "agt_0123456789abcdef"])
    func reservedHandles(text: String) {
        #expect(Handle(text) == nil)
        #expect(Handle.problem(with: text) == "is reserved")
    }

    @Test(arguments: [
        ("Alice Smith", "alice-smith"),
        ("  José Müller ", "jose-muller"),
        ("O'Brien", "obrien"),
        ("J. R. R. Tolkien", "j.r.r.tolkien"),
        ("__Build-Bot__", "build-bot"),
        ("Ünïcödé!!!", "unicode"),
        ("deploy_bot v2", "deploy_bot-v2"),
        ("Channel", "channel-2"),
        ("张伟", "member"),
        ("!!!", "member"),
        ("A Very Long Display Name That Goes On And On", "a-very-long-display-name-that-go"),
        ("abcdefghijklmnopqrstuvwxyz01234 5", "abcdefghijklmnopqrstuvwxyz01234"),
    ])
    func derivation(name: String, expected: String) {
        let handle = Handle.derived(from: name, fallback: .member)
        #expect(handle.value == expected)
        #expect(Handle(handle.value) != nil)
    }

    @Test func numberedHandlesStayWithinTheLimit() {
        #expect(Handle("bob")!.numbered(2).value == "bob-2")
        let long = Handle(String(repeating: "a", count: 32))!
        #expect(long.numbered(12).value == String(repeating: "a", count: 29) + "-12")
        #expect(Handle("abcdefghijklmnopqrstuvwxyz0123.x")!.numbered(3).value == "abcdefghijklmnopqrstuvwxyz0123-3")
    }

    func stored(_ text: String, _ members: [String: String]) -> String {
        let candidates = HandleMentions.candidates(in: text)
        let ids = Dictionary(uniqueKeysWithValues: members.map { (Handle($0.key)!, $0.value) })
        return HandleMentions.rewrite(text, candidates: candidates, ids: ids)
    }

    @Test(arguments: [
        ("@bob hi", "<@usr_bob0000000> hi"),
        ("hi @bob", "hi <@usr_bob0000000>"),
        ("hi @bob.", "hi <@usr_bob0000000>."),
        ("@bob, @bob!", "<@usr_bob0000000>, <@usr_bob0000000>!"),
        ("(@bob)", "(<@usr_bob0000000>)"),
        ("@Bob?", "<@usr_bob0000000>?"),
        ("@bob-", "<@usr_bob0000000>-"),
        ("@j.doe: look", "<@usr_jdoe000000>: look"),
        ("@j.doe.", "<@usr_jdoe000000>."),
        ("@bob\n@j.doe", "<@usr_bob0000000>\n<@usr_jdoe000000>"),
        ("é @bob", "é <@usr_bob0000000>"),
    ])
    func handlesOfMembersBecomeMentions(text: String, expected: String) {
        #expect(stored(text, ["bob": "usr_bob0000000", "j.doe": "usr_jdoe000000"]) == expected)
    }

    @Test(arguments: [
        "mail bob@example.com", "x.@bob", "a/@bob", "<@bob>", "@bobby", "@bob.smith", "@bob_2", "@bobé", "é@bob", "@bob@example.com",
        "@nobody", "@", "@-bob", "@@bob",
    ])
    func otherTextStaysAsWritten(text: String) {
        #expect(stored(text, ["bob": "usr_bob0000000"]) == text)
    }

    @Test func theLongestHandleWins() {
        #expect(stored("@bob.", ["bob": "usr_bob0000000", "bob.": "usr_bobdot00000"]) == "<@usr_bobdot00000>")
        #expect(HandleMentions.candidates(in: "@bob..").first?.handles.map(\.value) == ["bob..", "bob.", "bob"])
    }

    @Test func atMostAHundredWordsAreConsidered() {
        let text = Array(repeating: "@bob", count: 150).joined(separator: " ")
        #expect(HandleMentions.candidates(in: text).count == HandleMentions.maxCandidates)
        #expect(HandleMentions.handles(in: HandleMentions.candidates(in: text)).map(\.value) == ["bob"])
    }
}
