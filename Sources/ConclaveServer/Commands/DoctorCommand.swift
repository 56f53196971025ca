import ConclaveStore
import Foundation

extension ConclaveCommands {
    /// `conclave doctor`: the production checklist, one line per finding; status 1 on a fatal one.
    public static func doctor() async throws(CommandExit) {
        let configuration = try CommandEnvironment.configuration()
        let doctor = Doctor(configuration: configuration)
        var findings = doctor.staticFindings()
        findings.append(await databaseFinding(doctor: doctor, configuration: configuration))
        for finding in findings { print(finding) }
        if findings.contains(where: { $0.severity == .fatal }) {
            throw CommandExit(1)
        }
    }

    static func databaseFinding(doctor: Doctor, configuration: ConclaveConfiguration) async -> Doctor.Finding {
        if case .sqlite(let path) = configuration.databaseLocation, !FileManager.default.fileExists(atPath: path) {
            return .init(severity: .ok, check: "database", message: "\(path) will be created on first start")
        }
        let reachable = (try? await DatabaseFactory.with(configuration.databaseLocation, logger: CommandEnvironment.quietLogger()) { database in
            await database.ping()
        }) ?? false
        return doctor.databaseFinding(reachable: reachable)
    }
}
