import ConclaveCore
import Testing

/// Event names and visibilities are stored as text and sent on the wire: their raw values are
/// the contract, whatever the Swift names.
@Suite struct EventTypeTests {
    @Test func everyEventTypeHasItsContractName() {
        #expect(EventType.allCases.map(\.rawValue) == [
            "message.created", "message.updated", "message.deleted", "channel.created", "channel.updated", "member.joined",
            "member.left", "agent.paused", "read.updated", "reaction.added", "reaction.removed", "status.updated", "message.delta",
            "approval.resolved",
        ])
        for type in EventType.allCases {
            #expect(type.rawValue.hasPrefix("\(type.subject)."))
        }
    }

    @Test func visibilityRoundTripsThroughItsStoredText() {
        for visibility: EventVisibility in [.workspace, .channel, .principal("agt_abcdefghij")] {
            #expect(EventVisibility(rawValue: visibility.rawValue) == visibility)
        }
        #expect(EventVisibility.principal("usr_abcdefghij").rawValue == "principal:usr_abcdefghij")
        #expect(EventVisibility(rawValue: "principal:") == nil)
        #expect(EventVisibility(rawValue: "everyone") == nil)
    }
}
