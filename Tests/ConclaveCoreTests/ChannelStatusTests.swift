import ConclaveCore
import Testing

/// A status is one short line shown beside a name: bounded, plain, and never kept for long.
@Suite struct ChannelStatusTests {
    @Test func defaultsAndBounds() throws {
        let status = try ChannelStatus(state: .typing)
        #expect(status.ttlSeconds == 10)
        #expect(status.text == nil)
        #expect(try ChannelStatus(state: .working, text: String(repeating: "é", count: 100), ttlSeconds: 120).ttlSeconds == 120)
        #expect(try ChannelStatus(state: .thinking, text: "").text == nil)
    }

    @Test func ttlOutsideOneTo120IsRefused() {
        for ttl in [0, -1, 121, Int.max] {
            #expect(throws: ChannelStatus.Invalid.self) { try ChannelStatus(state: .typing, ttlSeconds: ttl) }
        }
    }

    @Test func textIsOneShortPlainLine() throws {
        let refused = [
            String(repeating: "a", count: 101), "two\nlines", "tab\there", "bell\u{7}", "c1\u{85}", "evil\u{202E}txt.exe",
            "isolate\u{2067}x", "mark\u{200F}", "sep\u{2028}",
        ]
        for text in refused {
            #expect(throws: ChannelStatus.Invalid.self) { try ChannelStatus(state: .working, text: text) }
        }
        #expect(throws: ChannelStatus.Invalid.self) { try ChannelStatus(state: .idle, text: "done") }
        #expect(try ChannelStatus(state: .working, text: "Reading 3 files… 👩‍💻").text == "Reading 3 files… 👩‍💻")
    }
}
