import ArgumentParser
import ConclaveServer

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Audit log tools.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Walk the hash chains; exit 1 naming the first bad entry.")

        @Option(help: "Verify one workspace's chain (ws_…) instead of all chains.")
        var workspace: String?

        func run() async throws {
            try await exitingWithStatus { try await ConclaveCommands.verifyAudit(workspace: workspace) }
        }
    }
}
