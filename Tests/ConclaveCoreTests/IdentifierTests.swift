@testable import ConclaveCore
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

@Suite struct IdentifierOrderTests {
    @Test func messageIdentifiersSortByCreationTime() {
        var earlier: [UInt8] = []
        var later: [UInt8] = []
        Identifier.appendTime(milliseconds: 1_764_000_000_000, into: &earlier)
        Identifier.appendTime(milliseconds: 1_764_000_000_001, into: &later)
        #expect(earlier.count == Identifier.timeLength)
        #expect(earlier.lexicographicallyPrecedes(later))
        // Across a carry in every base62 digit, text order still follows time order.
        var before: [UInt8] = []
        var after: [UInt8] = []
        Identifier.appendTime(milliseconds: 62 * 62 * 62 - 1, into: &before)
        Identifier.appendTime(milliseconds: 62 * 62 * 62, into: &after)
        #expect(before.lexicographicallyPrecedes(after))
    }

    @Test func messageIdentifiersKeepTheirRandomPart() {
        let id = Identifier.generate(.message)
        // "msg_" + 8 time symbols + 20 random symbols, within the contract's 10...40.
        #expect(id.utf8.count == 4 + Identifier.timeLength + Identifier.randomLength)
        let ids = (0..<1000).map { _ in Identifier.generate(.message) }
        let timePrefixes = ids.map { String($0.dropFirst(4).prefix(Identifier.timeLength)) }
        #expect(timePrefixes == timePrefixes.sorted())
        #expect(Set(ids.map { $0.suffix(Identifier.randomLength) }).count == ids.count)
    }

    @Test func randomSymbolsAreSpreadOverTheWholeAlphabet() {
        var symbols: [UInt8] = []
        Identifier.appendRandom(count: 62 * 200, into: &symbols)
        var counts: [UInt8: Int] = [:]
        for symbol in symbols { counts[symbol, default: 0] += 1 }
        #expect(counts.count == 62)
        // Expected 200 each; an off-by-one in the rejection bound would skew a few symbols far more.
        #expect(counts.values.allSatisfy { (100...320).contains($0) })
    }
}
