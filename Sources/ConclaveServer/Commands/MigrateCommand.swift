import ConclaveStore

extension ConclaveCommands {
    /// `conclave migrate`: applies pending migrations (idempotent, one transaction) and says which.
    public static func migrate() async throws {
        let configuration = try CommandEnvironment.configuration()
        CommandEnvironment.restrictFileModes()
        try CommandEnvironment.prepareDataDirectory(configuration)
        let applied = try await DatabaseFactory.with(configuration.databaseLocation, logger: CommandEnvironment.quietLogger()) { database in
            try await Migrator(database: database).migrate()
        }
        print(applied.isEmpty ? "schema is current" : "applied migrations: \(applied.map(String.init).joined(separator: ", "))")
    }
}
