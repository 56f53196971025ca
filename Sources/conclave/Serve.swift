import ArgumentParser
import ConclaveServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (configured by CONCLAVE_* environment variables).")

    func run() async throws {
        try await exitingWithStatus { try await ConclaveCommands.serve() }
    }
}
