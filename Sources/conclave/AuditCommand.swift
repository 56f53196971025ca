import ArgumentParser
import ConclaveServer
import ConclaveStore

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Audit log tools.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Walk the hash chains; exit 1 naming the first bad entry.")

        @Option(help: "Verify one workspace's chain (ws_…) instead of all chains.")
        var workspace: String?

        func run() async throws {
            let configuration = try CommandEnvironment.configuration()
            let workspace = self.workspace
            let report = try await DatabaseFactory.with(configuration.databaseLocation, logger: CommandEnvironment.quietLogger()) { database in
                try await AuditVerifier(database: database).verify(chain: workspace)
            }
            if let finding = report.finding {
                print("audit verify: FAILED: \(finding)")
                throw ExitCode(1)
            }
            print("audit verify: ok (\(report.entriesChecked) entries in \(report.chainsChecked) chain(s))")
        }
    }
}
