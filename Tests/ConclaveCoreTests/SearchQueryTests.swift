import ConclaveCore
import Testing

/// `q` is parsed into words, prefixes and phrases; only those words reach FTS5 / to_tsquery.
@Suite struct SearchQueryTests {
    typealias Term = SearchQuery.Term

    @Test func wordsPrefixesAndPhrases() throws {
        let query = try SearchQuery(parsing: #"Deploy  app* "the Blue  green" rollout"#)
        #expect(query.terms == [
            Term(words: ["deploy"]), Term(words: ["app"], prefix: true), Term(words: ["the", "blue", "green"]), Term(words: ["rollout"]),
        ])
        #expect(query.ftsMatchExpression == #""deploy" AND "app" * AND "the" + "blue" + "green" AND "rollout""#)
        #expect(query.tsqueryExpression == "('deploy') & ('app':*) & ('the' <-> 'blue' <-> 'green') & ('rollout')")
    }

    @Test func punctuatedWordIsThePhraseOfItsParts() throws {
        #expect(try SearchQuery(parsing: "foo-bar v1.25*").terms == [Term(words: ["foo", "bar"]), Term(words: ["v1", "25"], prefix: true)])
        #expect(try SearchQuery(parsing: "\"open quote never closed").terms == [Term(words: ["open", "quote", "never", "closed"])])
        #expect(try SearchQuery(parsing: "\"rolling rel\"*").terms == [Term(words: ["rolling", "rel"], prefix: true)])
        #expect(try SearchQuery(parsing: "café Ünïcode 東京").terms.map(\.words) == [["café"], ["ünïcode"], ["東京"]])
    }

    /// FTS5 and tsquery operators typed by the user are separators or plain words, never syntax.
    @Test(arguments: [
        #"a" OR "b"#, "x NEAR(y z)", "col:secret", "-evil", "^start", "a & !b | c", "x <-> y", "'quoted' :*", "(\"nested\")", "x\u{0}y",
        "robert'); DROP TABLE messages;--",
    ])
    func operatorsAreNeutralised(_ text: String) throws {
        let query = try SearchQuery(parsing: text)
        for word in query.terms.flatMap(\.words) {
            #expect(word.unicodeScalars.allSatisfy(SearchTokenizer.isWordScalar))
        }
        #expect(!query.ftsMatchExpression.contains("NEAR("))
        #expect(query.ftsMatchExpression.filter { $0 == "\"" }.count == 2 * query.terms.flatMap(\.words).count)
        #expect(!query.tsqueryExpression.contains("!"))
        #expect(!query.tsqueryExpression.contains("|"))
    }

    @Test func refusals() {
        #expect(throws: SearchQuery.Failure.empty) { try SearchQuery(parsing: "") }
        #expect(throws: SearchQuery.Failure.empty) { try SearchQuery(parsing: "  \"\" * -- !! 🎉") }
        #expect(throws: SearchQuery.Failure.tooLong) { try SearchQuery(parsing: String(repeating: "a", count: 257)) }
        #expect(throws: SearchQuery.Failure.tooManyWords) { try SearchQuery(parsing: Array(repeating: "w", count: 17).joined(separator: " ")) }
        #expect(throws: SearchQuery.Failure.wordTooLong) { try SearchQuery(parsing: String(repeating: "a", count: 65)) }
        #expect(throws: SearchQuery.Failure.prefixTooShort) { try SearchQuery(parsing: "a*") }
        #expect((try? SearchQuery(parsing: String(repeating: "a", count: 64))) != nil)
    }

    @Test func highlightsAreScalarRanges() throws {
        let text = "Deploy the app; deployment of the Blue green app. 🎉 deploy"
        let ranges = try SearchQuery(parsing: "deploy*").highlights(in: text)
        #expect(ranges == [0..<6, 16..<26, 52..<58])
        #expect(try SearchQuery(parsing: "\"blue green\" app").highlights(in: text) == [11..<14, 34..<44, 45..<48])
        #expect(try SearchQuery(parsing: "missing").highlights(in: text) == [])
    }

    @Test func tokenizerSplitsOnEverythingButLettersAndNumbers() {
        #expect(SearchTokenizer.tokens(in: "a_b-c.d@e/f 12€ x").map(\.word) == ["a", "b", "c", "d", "e", "f", "12", "x"])
    }
}
