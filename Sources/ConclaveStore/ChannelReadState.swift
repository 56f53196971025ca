/// A principal's read state of one channel: whether it belongs to it, its read marker, and what
/// lies after the marker. Not a member: no marker and zero counts.
public struct ChannelReadState: Sendable, Equatable {
    public var isMember: Bool
    /// The principal's read marker; nil when it is not a member.
    public var lastReadSeq: Int64?
    /// Messages after the marker, not deleted and not sent by the principal, among the channel's
    /// newest `ChannelReadStateRepository.window`.
    public var unreadCount: Int64
    /// Those of the unread messages that mention the principal as a stream's `mentioned` does:
    /// `<@id>` of the principal or `<!channel>`, and not a notice.
    public var mentionCount: Int64

    public static let notMember = ChannelReadState(isMember: false, lastReadSeq: nil, unreadCount: 0, mentionCount: 0)

    public init(isMember: Bool, lastReadSeq: Int64?, unreadCount: Int64, mentionCount: Int64) {
        self.isMember = isMember
        self.lastReadSeq = lastReadSeq
        self.unreadCount = unreadCount
        self.mentionCount = mentionCount
    }
}
