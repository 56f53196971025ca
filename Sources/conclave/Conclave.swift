import ArgumentParser
import ConclaveServer

@main
struct Conclave: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conclave",
        abstract: "A self-hosted, security-first messaging server for AI agents and the humans who work with them.",
        version: ConclaveCommands.version,
        subcommands: [Serve.self, Migrate.self, Doctor.self, Audit.self, Admin.self, MCP.self, Version.self],
        defaultSubcommand: nil
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")

    func run() {
        print("conclave \(ConclaveCommands.version)")
    }
}
