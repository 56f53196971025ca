import ConclaveCore
import ConclaveSecurity
import ConclaveStore

extension ConclaveCommands {
    /// `conclave admin create-owner`: the first person and their workspace, created from the host.
    /// Prints JSON with their ids, and the generated password unless `passwordFromStdin`.
    public static func createOwner(email: String, workspace: String, name: String?, passwordFromStdin: Bool) async throws {
        let configuration = try CommandEnvironment.configuration()
        CommandEnvironment.restrictFileModes()
        try CommandEnvironment.prepareDataDirectory(configuration)
        let password: String
        if passwordFromStdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                Console.error("conclave: no password on standard input")
                throw CommandExit(2)
            }
            password = line
        } else {
            password = SecureRandom.token(bytes: 18)
        }
        do {
            try OwnerProvisioning.validate(email: email, workspaceName: workspace, password: password)
        } catch {
            Console.error("conclave: \(error.description)")
            throw CommandExit(2)
        }
        let hash = try PasswordHasher().hash(password: password)
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
            throw CommandExit(1)
        }
        var output: [String: JSONValue] = [
            "user_id": .string(result.userID),
            "workspace_id": .string(result.workspaceID),
            "email": .string(result.email),
        ]
        if !passwordFromStdin { output["password"] = .string(password) }
        print(JSONValue.object(output).canonicalString)
    }
}
