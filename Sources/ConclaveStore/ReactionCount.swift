/// One emoji's reactions on a message: how many principals reacted with it, and whether the
/// reader is one of them.
public struct ReactionCount: Sendable, Equatable, Decodable {
    public var messageID: String
    public var emoji: String
    public var count: Int64
    public var me: Bool

    public init(messageID: String, emoji: String, count: Int64, me: Bool) {
        self.messageID = messageID
        self.emoji = emoji
        self.count = count
        self.me = me
    }
}
