import ArgumentParser
import ConclaveServer

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    func run() async throws {
        try await exitingWithStatus { try await ConclaveCommands.migrate() }
    }
}
