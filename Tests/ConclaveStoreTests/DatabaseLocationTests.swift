import ConclaveStore
import Foundation
import Testing

/// CONCLAVE_DATABASE_URL's TLS settings, with libpq's meaning.
@Suite struct DatabaseLocationTests {
    func settings(_ url: String) throws -> DatabaseLocation.PostgresSettings {
        guard case .postgres(let settings) = try DatabaseLocation.parse(url) else { throw DatabaseLocation.ParseError.invalid("not postgres") }
        return settings
    }

    @Test func withoutSSLModeOnlyLoopbackMayFallBackToPlaintext() throws {
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "[::1]"] {
            #expect(try settings("postgres://u@\(host)/db").tls == .prefer, "\(host)")
        }
        for host in ["db.internal", "10.0.0.5", "127.evil.example", "[fd00::5]"] {
            #expect(try settings("postgres://u@\(host)/db").tls == .require, "\(host)")
        }
    }

    @Test func everyLibpqModeIsKept() throws {
        let modes: [String: DatabaseLocation.PostgresSettings.TLSMode] = [
            "disable": .disable, "allow": .prefer, "prefer": .prefer, "require": .require, "verify-ca": .verifyCA, "verify-full": .verifyFull,
        ]
        for (text, mode) in modes {
            #expect(try settings("postgres://u@db.internal/db?sslmode=\(text)").tls == mode)
        }
    }

    @Test func sslrootcertNamesAReadableFileOrTheSystemRoots() throws {
        let ca = FileManager.default.temporaryDirectory.appendingPathComponent("conclave-test-ca-\(UUID().uuidString).pem").path
        try Data("not checked here".utf8).write(to: URL(fileURLWithPath: ca))
        defer { try? FileManager.default.removeItem(atPath: ca) }
        #expect(try settings("postgres://u@db.internal/db?sslmode=verify-full&sslrootcert=\(ca)").rootCertificatePath == ca)
        #expect(try settings("postgres://u@db.internal/db?sslmode=verify-full&sslrootcert=system").rootCertificatePath == nil)
        #expect(throws: DatabaseLocation.ParseError.self) { try DatabaseLocation.parse("postgres://u@h/db?sslrootcert=/nonexistent/ca.pem") }
    }

    @Test func anUnknownModeIsRefusedWithoutEchoingWhatMayBeThePassword() {
        do {
            _ = try DatabaseLocation.parse("postgres://u:pw@h/db?sslmode=verify-all")
            Issue.record("an unknown sslmode was accepted")
        } catch {
            #expect(error.description.contains("'verify-all'"))
        }
        do {
            _ = try DatabaseLocation.parse("postgres://u:pw@h/db?sslmode=x9Secret%21")
            Issue.record("an unknown sslmode was accepted")
        } catch {
            #expect(!error.description.contains("Secret"))
        }
    }
}
