import ConclaveCore
import Testing

/// How a thread's latest message turns into the next message's provenance (contract v1.1).
@Suite struct MessageProvenanceTests {
    let agent = Principal(id: "agt_abcdefghij", kind: .agent, apiKeyID: "key_abcdefghij")
    let person = Principal(id: "usr_abcdefghij", kind: .human, sessionID: "ses_abcdefghij")

    @Test func aPersonAlwaysStartsOver() {
        let after = MessageProvenance.ThreadTip(senderKind: .agent, messageID: "msg_a", hops: 7, triggerID: "msg_h")
        #expect(MessageProvenance.next(from: person, after: after) == MessageProvenance(kind: .human, keyID: nil, hops: 0, triggerID: nil))
        let script = Principal(id: "usr_abcdefghij", kind: .human, apiKeyID: "key_personal01")
        #expect(MessageProvenance.next(from: script, after: nil).keyID == "key_personal01")
    }

    @Test func agentsCountFromTheLastPersonsMessage() {
        let human = MessageProvenance.ThreadTip(senderKind: .human, messageID: "msg_h", hops: 0, triggerID: nil)
        let first = MessageProvenance.next(from: agent, after: human)
        #expect(first == MessageProvenance(kind: .agent, keyID: "key_abcdefghij", hops: 1, triggerID: "msg_h"))
        let tip = MessageProvenance.ThreadTip(senderKind: .agent, messageID: "msg_a", hops: first.hops, triggerID: first.triggerID)
        #expect(MessageProvenance.next(from: agent, after: tip) == MessageProvenance(kind: .agent, keyID: "key_abcdefghij", hops: 2, triggerID: "msg_h"))
        #expect(MessageProvenance.next(from: agent, after: nil) == MessageProvenance(kind: .agent, keyID: "key_abcdefghij", hops: 1, triggerID: nil))
    }

    @Test func onlyAnAgentPastTheBudgetIsRefused() {
        #expect(!MessageProvenance(kind: .agent, keyID: nil, hops: 20, triggerID: nil).exceeds(budget: 20))
        #expect(MessageProvenance(kind: .agent, keyID: nil, hops: 21, triggerID: nil).exceeds(budget: 20))
        #expect(!MessageProvenance(kind: .human, keyID: nil, hops: 0, triggerID: nil).exceeds(budget: 1))
    }
}
