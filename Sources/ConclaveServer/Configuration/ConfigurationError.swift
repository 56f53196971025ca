/// A configuration value the server cannot use. The message names the variable and never echoes
/// a secret's value.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let variable: String
    public let reason: String

    public init(variable: String, reason: String) {
        self.variable = variable
        self.reason = reason
    }

    public var description: String { "\(variable): \(reason)" }
}
