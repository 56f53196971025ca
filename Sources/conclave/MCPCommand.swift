import ArgumentParser
import ConclaveServer

struct MCP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve MCP over stdio for one agent (CONCLAVE_URL, CONCLAVE_API_KEY), relaying to the server's POST /mcp."
    )

    func run() async throws {
        try await exitingWithStatus { try await ConclaveCommands.mcp() }
    }
}
