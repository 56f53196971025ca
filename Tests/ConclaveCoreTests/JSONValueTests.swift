import ConclaveCore
import Foundation
import Testing

@Suite struct JSONValueTests {
    @Test func keysSortByUTF16CodeUnitsAsRFC8785Says() {
        // U+1F600 (surrogates D83D DE00) sorts before U+FB33 in UTF-16 although its code point is
        // larger; ASCII keys sort bytewise; "é" (00E9) after every ASCII key.
        let value: JSONValue = ["\u{FB33}": 1, "\u{1F600}": 2, "é": 3, "b": 4, "B": 5, "ab": 6, "a": 7]
        #expect(value.canonicalString == "{\"B\":5,\"a\":7,\"ab\":6,\"b\":4,\"é\":3,\"\u{1F600}\":2,\"\u{FB33}\":1}")
    }

    @Test func canonicalFormSortsKeysAndDropsWhitespace() {
        let value: JSONValue = ["b": 1, "a": ["z": true, "y": nil], "c": ["x", 2]]
        #expect(value.canonicalString == #"{"a":{"y":null,"z":true},"b":1,"c":["x",2]}"#)
    }

    @Test func canonicalFormEscapesControlCharactersMinimally() {
        let value: JSONValue = .string("line\n\"quote\" \\ \u{01} é")
        #expect(value.canonicalString == "\"line\\n\\\"quote\\\" \\\\ \\u0001 é\"")
    }

    @Test func canonicalFormIsStableAcrossDecodeAndEncode() throws {
        let text = #"{"z": [1, 2.5, "three"], "a": {"nested": false}}"#
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let again = try JSONDecoder().decode(JSONValue.self, from: Data(decoded.canonicalBytes))
        #expect(decoded == again)
        #expect(decoded.canonicalString == #"{"a":{"nested":false},"z":[1,2.5,"three"]}"#)
    }
}
