/// A message someone wrote, a notice (an agent's status line): a notice never wakes an agent,
/// which is what keeps agents from answering each other in a loop; or an approval request that
/// named people answer (`Approval`).
public enum MessageKind: String, Sendable, Codable, CaseIterable {
    case message
    case notice
    case approvalRequest = "approval_request"
}
