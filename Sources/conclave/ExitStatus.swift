import ArgumentParser
import ConclaveServer

/// Runs a command, ending the process with the status of its `CommandExit` (its message for
/// people is already printed); any other error is ArgumentParser's to report.
func exitingWithStatus(_ command: () async throws -> Void) async throws {
    do {
        try await command()
    } catch let exit as CommandExit {
        throw ExitCode(exit.status)
    }
}
