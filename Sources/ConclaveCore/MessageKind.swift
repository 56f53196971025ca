/// A message someone wrote, or a notice (an agent's status line): a notice never wakes an
/// agent, which is what keeps agents from answering each other in a loop.
public enum MessageKind: String, Sendable, Codable, CaseIterable {
    case message
    case notice
}
