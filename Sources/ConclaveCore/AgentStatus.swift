/// Whether an agent may act: a paused agent's keys are refused (423) and its sockets closed.
public enum AgentStatus: String, Sendable, Codable, CaseIterable {
    case active
    case paused
}
