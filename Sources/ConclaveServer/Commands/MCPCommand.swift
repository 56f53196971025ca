import Foundation
import Logging

extension ConclaveCommands {
    /// `conclave mcp`: the stdio MCP server for one agent (`MCPStdioRelay`), configured by
    /// CONCLAVE_URL (default http://localhost:8750) and CONCLAVE_API_KEY. Stdout carries only
    /// protocol messages; problems go to stderr, never with the key.
    public static func mcp() async throws(CommandExit) {
        // Stdout is the protocol channel: anything logged goes to stderr.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let environment = ProcessInfo.processInfo.environment
        guard let key = environment["CONCLAVE_API_KEY"], !key.isEmpty else {
            Console.error("conclave mcp: set CONCLAVE_API_KEY to the agent's API key")
            throw CommandExit(2)
        }
        let url = environment["CONCLAVE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://localhost:8750"
        guard let upstream = MCPUpstream(baseURL: url, apiKey: key) else {
            Console.error("conclave mcp: CONCLAVE_URL must be an http:// or https:// URL")
            throw CommandExit(2)
        }
        do {
            try await MCPStdioRelay.run(upstream: upstream)
        } catch {
            Console.error("conclave mcp: cannot use stdin/stdout")
            throw CommandExit(1)
        }
    }
}
