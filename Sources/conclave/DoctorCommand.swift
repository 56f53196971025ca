import ArgumentParser
import ConclaveServer
import ConclaveStore
import Foundation

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the production checklist; exits 1 on any fatal finding.")

    func run() async throws {
        let configuration = try CommandEnvironment.configuration()
        let doctor = ConclaveServer.Doctor(configuration: configuration)
        var findings = doctor.staticFindings()
        findings.append(await databaseFinding(doctor: doctor, configuration: configuration))
        for finding in findings { print(finding) }
        if findings.contains(where: { $0.severity == .fatal }) {
            throw ExitCode(1)
        }
    }

    func databaseFinding(doctor: ConclaveServer.Doctor, configuration: ConclaveConfiguration) async -> ConclaveServer.Doctor.Finding {
        if case .sqlite(let path) = configuration.databaseLocation, !FileManager.default.fileExists(atPath: path) {
            return .init(severity: .ok, check: "database", message: "\(path) will be created on first start")
        }
        let reachable = (try? await DatabaseFactory.with(configuration.databaseLocation, logger: CommandEnvironment.quietLogger()) { database in
            await database.ping()
        }) ?? false
        return doctor.databaseFinding(reachable: reachable)
    }
}
