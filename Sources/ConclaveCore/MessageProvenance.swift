/// Where a message came from, and how deep into a run of agent messages it is (contract v1.1
/// "Provenance and loop budget"): `hops` counts the agent messages in a row in the message's
/// thread (the top level of a channel is one thread) since the last human message there,
/// `triggerID`. A human message starts over at 0 with no trigger.
public struct MessageProvenance: Sendable, Equatable {
    public var kind: Principal.Kind
    /// The API key the sender used; nil for a signed-in session.
    public var keyID: String?
    public var hops: Int64
    public var triggerID: String?

    public init(kind: Principal.Kind, keyID: String?, hops: Int64, triggerID: String?) {
        self.kind = kind
        self.keyID = keyID
        self.hops = hops
        self.triggerID = triggerID
    }

    /// A thread's latest message, which carries the thread's state: its sender's kind, its id
    /// (the trigger of a run an agent starts after it) and its hops and trigger.
    public struct ThreadTip: Sendable, Equatable {
        public var senderKind: Principal.Kind
        public var messageID: String
        public var hops: Int64
        public var triggerID: String?

        public init(senderKind: Principal.Kind, messageID: String, hops: Int64, triggerID: String?) {
            self.senderKind = senderKind
            self.messageID = messageID
            self.hops = hops
            self.triggerID = triggerID
        }
    }

    /// The provenance of the sender's next message in a thread whose latest message is `tip`
    /// (nil: the thread is empty).
    public static func next(from sender: Principal, after tip: ThreadTip?) -> MessageProvenance {
        guard sender.kind == .agent else { return MessageProvenance(kind: sender.kind, keyID: sender.apiKeyID, hops: 0, triggerID: nil) }
        guard let tip else { return MessageProvenance(kind: .agent, keyID: sender.apiKeyID, hops: 1, triggerID: nil) }
        if tip.senderKind == .human {
            return MessageProvenance(kind: .agent, keyID: sender.apiKeyID, hops: 1, triggerID: tip.messageID)
        }
        return MessageProvenance(kind: .agent, keyID: sender.apiKeyID, hops: tip.hops + 1, triggerID: tip.triggerID)
    }

    /// Whether a workspace whose loop budget is `budget` refuses this message.
    public func exceeds(budget: Int64) -> Bool {
        kind == .agent && hops > budget
    }
}
