import ArgumentParser
import ConclaveServer

struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Administrative tasks.", subcommands: [CreateOwner.self])

    struct CreateOwner: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-owner",
            abstract: "Create a person who owns a new workspace. Prints a one-time password unless --password-stdin."
        )

        @Option(help: "The owner's email address.")
        var email: String

        @Option(help: "The new workspace's name.")
        var workspace: String

        @Option(help: "The owner's display name (default: the email's local part).")
        var name: String?

        @Flag(help: "Read the password from the first line of standard input instead of generating one.")
        var passwordStdin = false

        func run() async throws {
            try await exitingWithStatus {
                try await ConclaveCommands.createOwner(email: email, workspace: workspace, name: name, passwordFromStdin: passwordStdin)
            }
        }
    }
}
