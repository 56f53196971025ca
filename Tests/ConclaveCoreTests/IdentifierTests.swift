import ConclaveCore
import Testing

@Suite struct IdentifierTests {
    @Test(arguments: IdentifierKind.allCases)
    func generatedIdentifiersAreWellFormedAndOfTheirKind(kind: IdentifierKind) {
        let id = Identifier.generate(kind)
        #expect(Identifier.isWellFormed(id))
        #expect(Identifier.isWellFormed(id, kind: kind))
    }

    @Test func generatedIdentifiersDoNotRepeat() {
        let ids = Set((0..<10_000).map { _ in Identifier.generate(.message) })
        #expect(ids.count == 10_000)
    }

    @Test(arguments: [
        "ws_", "ws_short", "WS_abcdefghijk", "w_abcdefghijk", "works_abcdefghijk", "ws-abcdefghijk",
        "ws_abcdefghij!", "ws_" + String(repeating: "a", count: 41), "", "ws_abc/def/ghij", "ws_abcdefghijk\n", "../../etc/passwd",
    ])
    func malformedIdentifiersAreRejected(value: String) {
        #expect(!Identifier.isWellFormed(value))
    }

    @Test func wrongKindIsWellFormedButNotOfThatKind() {
        let id = Identifier.generate(.user)
        #expect(Identifier.isWellFormed(id))
        #expect(!Identifier.isWellFormed(id, kind: .workspace))
    }
}
