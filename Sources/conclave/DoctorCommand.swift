import ArgumentParser
import ConclaveServer

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the production checklist; exits 1 on any fatal finding.")

    func run() async throws {
        try await exitingWithStatus { try await ConclaveCommands.doctor() }
    }
}
