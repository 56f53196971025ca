import ArgumentParser
import ConclaveServer
import ConclaveStore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    func run() async throws {
        let configuration = try CommandEnvironment.configuration()
        CommandEnvironment.restrictFileModes()
        try CommandEnvironment.prepareDataDirectory(configuration)
        let applied = try await DatabaseFactory.with(configuration.databaseLocation, logger: CommandEnvironment.quietLogger()) { database in
            try await Migrator(database: database).migrate()
        }
        print(applied.isEmpty ? "schema is current" : "applied migrations: \(applied.map(String.init).joined(separator: ", "))")
    }
}
