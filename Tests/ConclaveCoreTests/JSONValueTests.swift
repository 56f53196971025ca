import ConclaveCore
import Foundation
import Testing

@Suite struct JSONValueTests {
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
