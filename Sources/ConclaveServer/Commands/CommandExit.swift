/// How a command of the `conclave` binary ends when it does not succeed: its process exit status.
/// The message for people was already printed (standard error) when this is thrown.
public struct CommandExit: Error, Sendable, Equatable {
    public let status: Int32

    public init(_ status: Int32) {
        self.status = status
    }
}
