import ConclaveCore
import Foundation
import Testing

@Suite struct RealtimeClientFrameTests {
    @Test func pingAndUnknownTypes() throws {
        #expect(try RealtimeClientFrame.parse(#"{"type":"ping"}"#) == .ping)
        #expect(try RealtimeClientFrame.parse(#"{"type":"ping","extra":[1,{"x":null}]}"#) == .ping)
        #expect(try RealtimeClientFrame.parse(#"{"type":"subscribe"}"#) == .unknown(type: "subscribe"))
        #expect(try RealtimeClientFrame.parse(#"{"type":""}"#) == .unknown(type: ""))
    }

    @Test func sendCarriesEveryField() throws {
        let text = #"""
            {"type":"send","channel_id":"ch_AAAAAAAAAA","text":"hi","client_msg_id":"m1","thread_id":"msg_AAAAAAAAAA",
             "metadata":{"k":[1,2.5,true,null]},"kind":"note"}
            """#
        guard case .send(let send) = try RealtimeClientFrame.parse(text) else {
            Issue.record("not a send frame")
            return
        }
        #expect(send.channelID == "ch_AAAAAAAAAA" && send.text == "hi" && send.clientMsgID == "m1")
        #expect(send.threadID == "msg_AAAAAAAAAA" && send.kind == "note")
        #expect(send.metadata == ["k": [1, .double(2.5), true, nil]])
        guard case .send(let empty) = try RealtimeClientFrame.parse(#"{"type":"send","text":null}"#) else {
            Issue.record("not a send frame")
            return
        }
        #expect([empty.channelID, empty.text, empty.clientMsgID, empty.threadID, empty.kind].allSatisfy { $0 == nil })
        #expect(empty.metadata == nil)
    }

    @Test func streamCarriesItsFields() throws {
        guard case .stream(let append) = try RealtimeClientFrame.parse(#"{"type":"stream","message_id":"msg_AAAAAAAAAA","append":"to"}"#) else {
            Issue.record("not a stream frame")
            return
        }
        #expect(append.messageID == "msg_AAAAAAAAAA" && append.append == "to" && append.final == nil && append.text == nil)
        guard case .stream(let final) = try RealtimeClientFrame.parse(#"{"type":"stream","message_id":"msg_AAAAAAAAAA","final":true,"text":"x"}"#) else {
            Issue.record("not a stream frame")
            return
        }
        #expect(final.final == true && final.text == "x" && final.append == nil)
        #expect(throws: RealtimeClientFrame.ParseError.notAJSONObjectWithType) {
            try RealtimeClientFrame.parse(#"{"type":"stream","final":"yes"}"#)
        }
    }

    @Test(arguments: [
        "", "not json", "null", "[]", #"[{"type":"ping"}]"#, "{}", #"{"type":5}"#, #"{"type":null}"#,
        // A field of the wrong JSON type makes the whole frame unreadable, whatever its type.
        #"{"type":"send","text":5}"#, #"{"type":"ping","channel_id":1}"#, #"{"type":"send","kind":["a"]}"#,
        #"{"type":"send","metadata":1e400}"#, #"{"type":"ping""#,
    ])
    func framesThatAreNotJSONObjectsWithATypeAreRefused(text: String) {
        #expect(throws: RealtimeClientFrame.ParseError.notAJSONObjectWithType) { try RealtimeClientFrame.parse(text) }
    }

    @Test func deeplyNestedMetadataIsRefusedOrParsedWithoutCrashing() {
        let depth = 10_000
        let text = #"{"type":"send","metadata":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        _ = try? RealtimeClientFrame.parse(text)
    }

    @Test func authFrame() throws {
        let minimal = try RealtimeAuthFrame.parse(#"{"type":"auth","token":"t"}"#)
        #expect(minimal.token == "t" && minimal.resumeFrom == nil && minimal.mentionsOnly == nil)
        let full = try RealtimeAuthFrame.parse(#"{"type":"auth","token":"t","resume_from":"c1.","mentions_only":true,"x":1}"#)
        #expect(full.token == "t" && full.resumeFrom == "c1." && full.mentionsOnly == true)
    }

    @Test(arguments: [
        ("{}", RealtimeAuthFrame.ParseError.malformed), (#"{"type":"auth"}"#, .malformed), (#"{"type":"auth","token":12345}"#, .malformed),
        (#"[{"type":"auth","token":"t"}]"#, .malformed), (#"{"type":"auth","token":"t","mentions_only":"yes"}"#, .malformed),
        (#"{"type":"ping","token":"t"}"#, .notAuth), (#"{"type":"AUTH","token":"t"}"#, .notAuth),
    ])
    func badAuthFramesAreRefused(text: String, error: RealtimeAuthFrame.ParseError) {
        #expect(throws: error) { try RealtimeAuthFrame.parse(text) }
    }

    @Test func authFramesOver8KiBAreRefusedBeforeParsing() throws {
        let prefix = #"{"type":"auth","token":""#
        let fits = prefix + String(repeating: "a", count: RealtimeAuthFrame.maxBytes - prefix.utf8.count - 2) + #""}"#
        #expect(fits.utf8.count == RealtimeAuthFrame.maxBytes)
        #expect(try RealtimeAuthFrame.parse(fits).token.count == RealtimeAuthFrame.maxBytes - prefix.utf8.count - 2)
        #expect(throws: RealtimeAuthFrame.ParseError.tooLarge) { try RealtimeAuthFrame.parse(fits + " ") }
    }
}
