import ConclaveCore
import Foundation
import Testing

@Suite struct StreamCursorCodecTests {
    // The server passes ConclaveSecurity's strict Base64URL; this module's tests use Foundation's.
    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: Substring) -> Data? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard)
    }

    static func cursor(_ body: String) -> String {
        "c1." + encode(Data(body.utf8))
    }

    @Test func encodesSortedAndRoundTrips() {
        let positions: [String: Int64] = ["ws_BBBBBBBBBB": 5, "ws_AAAAAAAAAA": 12]
        let text = StreamCursorCodec.encode(positions, base64URL: Self.encode)
        #expect(text == Self.cursor("ws_AAAAAAAAAA=12;ws_BBBBBBBBBB=5"))
        #expect(StreamCursorCodec.decode(text, base64URL: Self.decode) == positions)
    }

    @Test func emptyCursorIsNoPositions() {
        #expect(StreamCursorCodec.encode([:], base64URL: Self.encode) == "c1.")
        #expect(StreamCursorCodec.decode("c1.", base64URL: Self.decode) == [:])
    }

    @Test func largestSeqIsAccepted() {
        #expect(StreamCursorCodec.decode(Self.cursor("ws_AAAAAAAAAA=9223372036854775807"), base64URL: Self.decode) == ["ws_AAAAAAAAAA": .max])
    }

    @Test(arguments: [
        "garbage", "", "c2.", "C1.", "c1.!!!!", "c1." + String(repeating: "A", count: 5000),
        cursor("ws_AAAAAAAAAA"), cursor("ws_AAAAAAAAAA="), cursor("ws_AAAAAAAAAA=-1"), cursor("ws_AAAAAAAAAA=9223372036854775808"),
        cursor("ws_AAAAAAAAAA=1x"), cursor("ch_AAAAAAAAAA=1"), cursor("ws_short=1"), cursor("=1"), cursor("ws_AAAAAAAAAA=1;ws_BBBBBBBBBB"),
    ])
    func malformedCursorsAreRefused(text: String) {
        #expect(StreamCursorCodec.decode(text, base64URL: Self.decode) == nil)
    }

    @Test func cursorsOver8KiBAreRefused() {
        let fits = Self.cursor(String(repeating: "ws_AAAAAAAAAA=1;", count: 380))
        let tooLong = Self.cursor(String(repeating: "ws_AAAAAAAAAA=1;", count: 390))
        #expect(fits.utf8.count <= StreamCursorCodec.maxLength && tooLong.utf8.count > StreamCursorCodec.maxLength)
        #expect(StreamCursorCodec.decode(fits, base64URL: Self.decode) == ["ws_AAAAAAAAAA": 1])
        #expect(StreamCursorCodec.decode(tooLong, base64URL: Self.decode) == nil)
    }

    @Test func nonUTF8BodyIsRefused() {
        #expect(StreamCursorCodec.decode("c1." + Self.encode(Data([0xFF, 0xFE])), base64URL: Self.decode) == nil)
    }
}
