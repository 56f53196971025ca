/// Configuration values the server cannot use, every one of them. Each finding names its variable
/// and never echoes a secret's value.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public let variable: String
        public let reason: String

        public var description: String { "\(variable): \(reason)" }
    }

    public let findings: [Finding]

    public init(_ findings: [Finding]) {
        self.findings = findings
    }

    public init(variable: String, reason: String) {
        self.findings = [Finding(variable: variable, reason: reason)]
    }

    /// The first finding's variable (most errors have one).
    public var variable: String { findings.first?.variable ?? "" }

    /// One line per finding.
    public var description: String { findings.map(\.description).joined(separator: "\n") }
}
