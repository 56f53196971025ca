import ConclaveCore
import Testing

/// A reaction is one emoji or a `:short_name:`, never text.
@Suite struct ReactionEmojiTests {
    @Test(arguments: [
        "👍", "❤️", "🎉", "👍🏽", "👩‍👩‍👧‍👦", "🧑🏾‍💻", "🇫🇷", "1️⃣", "#️⃣", "©️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
        ":thumbsup:", ":+1:", ":party_parrot-2:", ":" + String(repeating: "a", count: 62) + ":",
    ])
    func accepts(_ text: String) {
        #expect(ReactionEmoji(text)?.value == text)
    }

    @Test(arguments: [
        "", "a", "ok", "1", "#", "©", "👍👍", "👍 ", " 👍", "\u{200D}", "\u{FE0F}", "\u{20E3}", "::", ":bad name:", ":Upper:", ":a", "a:",
        ":" + String(repeating: "a", count: 63) + ":", "<script>", ":a:b:", "👍a",
    ])
    func refuses(_ text: String) {
        #expect(ReactionEmoji(text) == nil)
    }
}
