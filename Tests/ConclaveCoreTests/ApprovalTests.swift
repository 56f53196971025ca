import ConclaveCore
import Testing

/// Who may be asked, what may be chosen, and what a reader sees as time passes.
@Suite struct ApprovalTests {
    static let person = "usr_aaaaaaaaaaaa"

    @Test func defaultsAndStatuses() throws {
        var approval = try Approval.requested(approvers: [Self.person], options: nil, expiresInSeconds: 10, now: 1_000).get()
        #expect(approval.options == ["approve", "deny"] && approval.expiresAt == 11_000)
        #expect(approval.status(now: 10_999) == "pending" && approval.isOpen)
        #expect(approval.status(now: 11_000) == "expired")
        approval.choice = "deny"
        #expect(approval.status(now: 5_000) == "denied" && !approval.isOpen)
        approval.choice = "hold"
        #expect(approval.status(now: 50_000) == "hold")
        #expect(Approval.status(for: "approve") == "approved")
    }

    @Test func refusesWhatCannotBeAskedOrChosen() {
        let cases: [([String], [String]?, Int?, String)] = [
            ([], nil, nil, "approval.approvers"),
            (["agt_aaaaaaaaaaaa"], nil, nil, "approval.approvers"),
            ([Self.person, Self.person], nil, nil, "approval.approvers"),
            (Array(repeating: Self.person, count: 21).enumerated().map { "usr_aaaaaaaaaa\($0.offset + 10)" }, nil, nil, "approval.approvers"),
            ([Self.person], ["only"], nil, "approval.options"),
            ([Self.person], ["a", "a"], nil, "approval.options"),
            ([Self.person], ["expired", "x"], nil, "approval.options"),
            ([Self.person], ["", "x"], nil, "approval.options"),
            ([Self.person], ["line\nbreak", "x"], nil, "approval.options"),
            ([Self.person], [String(repeating: "o", count: 65), "x"], nil, "approval.options"),
            ([Self.person], nil, 0, "approval.expires_in"),
            ([Self.person], nil, 30 * 24 * 3600 + 1, "approval.expires_in"),
        ]
        for (approvers, options, expiresIn, field) in cases {
            guard case .failure(let invalid) = Approval.requested(approvers: approvers, options: options, expiresInSeconds: expiresIn, now: 0) else {
                Issue.record("accepted \(approvers) \(String(describing: options)) \(String(describing: expiresIn))")
                continue
            }
            #expect(invalid.field == field)
        }
    }
}
