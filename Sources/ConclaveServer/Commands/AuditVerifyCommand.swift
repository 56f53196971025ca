import ConclaveStore

extension ConclaveCommands {
    /// `conclave audit verify`: walks the hash chains (or one workspace's); status 1 naming the
    /// first changed or missing entry.
    public static func verifyAudit(workspace: String?) async throws {
        let configuration = try CommandEnvironment.configuration()
        let report = try await DatabaseFactory.with(configuration.databaseLocation, logger: CommandEnvironment.quietLogger()) { database in
            try await AuditVerifier(database: database).verify(chain: workspace)
        }
        if let finding = report.finding {
            print("audit verify: FAILED: \(finding)")
            throw CommandExit(1)
        }
        print("audit verify: ok (\(report.entriesChecked) entries in \(report.chainsChecked) chain(s))")
    }
}
