import ArgumentParser
import ConclaveCore
import ConclaveSecurity
import ConclaveServer
import ConclaveStore
import Foundation

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
            let configuration = try CommandEnvironment.configuration()
            CommandEnvironment.restrictFileModes()
            try CommandEnvironment.prepareDataDirectory(configuration)
            let password: String
            if passwordStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    Console.error("conclave: no password on standard input")
                    throw ExitCode(2)
                }
                password = line
            } else {
                password = SecureRandom.token(bytes: 18)
            }
            do {
                try OwnerProvisioning.validate(email: email, workspaceName: workspace, password: password)
            } catch {
                Console.error("conclave: \(error.description)")
                throw ExitCode(2)
            }
            let hash = try PasswordHasher().hash(password: password)
            let (email, workspace, name) = (self.email, self.workspace, self.name)
            let result: OwnerProvisioning.Result
            do {
                result = try await DatabaseFactory.with(configuration.databaseLocation, logger: CommandEnvironment.quietLogger()) { database in
                    try await Migrator(database: database).migrate()
                    return try await OwnerProvisioning.createOwner(
                        database: database, email: email, name: name, workspaceName: workspace, passwordHash: hash
                    )
                }
            } catch let error as OwnerProvisioning.ProvisioningError {
                Console.error("conclave: \(error.description)")
                throw ExitCode(1)
            }
            var output: [String: JSONValue] = [
                "user_id": .string(result.userID),
                "workspace_id": .string(result.workspaceID),
                "email": .string(result.email),
            ]
            if !passwordStdin { output["password"] = .string(password) }
            print(JSONValue.object(output).canonicalString)
        }
    }
}
