import ConclaveCore
import ConclaveServer
import ConclaveStore
import Testing

@Suite struct ConfigurationTests {
    @Test func defaultsNeedNoConfiguration() throws {
        let configuration = try ConclaveConfiguration.fromEnvironment([:], workingDirectory: "/srv/app")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8750)
        #expect(configuration.dataDirectory == "/srv/app/conclave-data")
        #expect(configuration.databaseLocation == .sqlite(path: "/srv/app/conclave-data/conclave.db"))
        #expect(configuration.environment == .development)
        #expect(configuration.corsOrigins.isEmpty)
        #expect(configuration.trustedProxies.isEmpty)
        #expect(!configuration.disableBootstrap)
        #expect(configuration.publicURL == "http://localhost:8750")
        #expect(configuration.rateLimits["bootstrap"].limit == 5)
    }

    @Test(arguments: [
        ("CONCLAVE_PORT", "notaport"), ("CONCLAVE_PORT", "70000"), ("CONCLAVE_ENV", "staging"),
        ("CONCLAVE_DATABASE_URL", "mysql://x"), ("CONCLAVE_DATABASE_URL", "sqlite://relative.db"),
        ("CONCLAVE_CORS_ORIGINS", "not an origin"), ("CONCLAVE_TRUSTED_PROXIES", "10.0.0.0/99"),
        ("CONCLAVE_DISABLE_BOOTSTRAP", "maybe"), ("CONCLAVE_BOOTSTRAP_RATE_LIMIT", "0"), ("CONCLAVE_RATE_LIMITS", "login=abc"),
("CONCLAVE_PUBLIC_URL", "ftp://example.com"),
        ("CONCLAVE_WEBAUTHN_USER_VERIFICATION", "sometimes"), ("CONCLAVE_LOG_LEVEL", "loud"),
    ])
    func invalidValuesNameTheirVariable(variable: String, value: String) {
        do {
            _ = try ConclaveConfiguration.fromEnvironment([variable: value])
            Issue.record("\(variable)=\(value) was accepted")
        } catch {
            #expect(error.variable == variable)
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func tlsCertificateWithoutKeyNamesTheMissingKey() {
        #expect(throws: ConfigurationError.self) { try ConclaveConfiguration.fromEnvironment(["CONCLAVE_TLS_CERT": "/etc/cert.pem"]) }
        do {
            _ = try ConclaveConfiguration.fromEnvironment(["CONCLAVE_TLS_CERT": "/etc/cert.pem"])
        } catch {
            #expect(error.variable == "CONCLAVE_TLS_KEY")
        }
    }

    @Test func shortSecretsAreRefusedInProductionWithoutEchoingThem() {
        do {
            _ = try ConclaveConfiguration.fromEnvironment(["CONCLAVE_ENV": "production", "CONCLAVE_JWT_SECRET": "hunter2-short"])
            Issue.record("a short secret was accepted in production")
        } catch {
            #expect(error.variable == "CONCLAVE_JWT_SECRET")
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func postgresURLsParseWithTLSMode() throws {
        let configuration = try ConclaveConfiguration.fromEnvironment([
            "CONCLAVE_DATABASE_URL": "postgres://app:s%40cret@db.internal:6432/conclave?sslmode=require"
        ])
        guard case .postgres(let settings) = configuration.databaseLocation else {
            Issue.record("not postgres")
            return
        }
        #expect(settings.host == "db.internal")
        #expect(settings.port == 6432)
        #expect(settings.username == "app")
        #expect(settings.password == "s@cret")
        #expect(settings.database == "conclave")
        #expect(settings.tls == .require)
        #expect(!configuration.databaseLocation.redacted.contains("s@cret"))
    }
}

@Suite struct DoctorTests {
    @Test func plaintextOnAPublicAddressWithoutProxiesIsFatal() throws {
        let configuration = try ConclaveConfiguration.fromEnvironment(["CONCLAVE_HOST": "0.0.0.0", "CONCLAVE_DATA_DIR": "/nonexistent-conclave"])
        let findings = Doctor(configuration: configuration).staticFindings()
        #expect(findings.contains { $0.severity == .fatal && $0.check == "listener" })
    }

    @Test func aDatabaseOffLoopbackWithoutVerifyFullIsAWarning() throws {
        func finding(_ url: String) throws -> Doctor.Finding? {
            let configuration = try ConclaveConfiguration.fromEnvironment([
                "CONCLAVE_DATABASE_URL": url, "CONCLAVE_DATA_DIR": "/nonexistent-conclave",
            ])
            return Doctor(configuration: configuration).staticFindings().first { $0.check == "database-tls" }
        }
        #expect(try finding("postgres://u@db.internal/db")?.severity == .warn)
        #expect(try finding("postgres://u@db.internal/db?sslmode=verify-ca")?.severity == .warn)
        #expect(try finding("postgres://u@db.internal/db?sslmode=verify-full")?.severity == .ok)
        #expect(try finding("postgres://u@127.0.0.1/db")?.severity == .ok)
        #expect(try finding("sqlite:///tmp/conclave.db") == nil)
    }

    @Test func trustedProxiesMakeAPublicListenerAcceptable() throws {
        let configuration = try ConclaveConfiguration.fromEnvironment([
            "CONCLAVE_HOST": "0.0.0.0", "CONCLAVE_TRUSTED_PROXIES": "10.0.0.0/8", "CONCLAVE_DATA_DIR": "/nonexistent-conclave",
        ])
        let findings = Doctor(configuration: configuration).staticFindings()
        #expect(!findings.contains { $0.severity == .fatal })
    }

    @Test func aShortMetricsTokenIsAWarningNotAStartupError() throws {
        let configuration = try ConclaveConfiguration.fromEnvironment(["CONCLAVE_METRICS_TOKEN": "short", "CONCLAVE_DATA_DIR": "/nonexistent-conclave"])
        #expect(configuration.metricsToken == "short")
        let findings = Doctor(configuration: configuration).staticFindings()
        #expect(findings.contains { $0.severity == .warn && $0.check == "metrics" && $0.message.contains("shorter than 16") })
        #expect(!findings.contains { $0.severity == .fatal && $0.check == "metrics" })
    }

    @Test func productionTurnsBootstrapOffUnlessExplicitlyEnabled() throws {
        let secrets = ["CONCLAVE_JWT_SECRET": String(repeating: "j", count: 40), "CONCLAVE_MASTER_KEY": String(repeating: "m", count: 40)]
        let production = secrets.merging(["CONCLAVE_ENV": "production", "CONCLAVE_DATA_DIR": "/nonexistent-conclave"]) { $1 }
        let byDefault = try ConclaveConfiguration.fromEnvironment(production)
        #expect(byDefault.disableBootstrap)
        #expect(Doctor(configuration: byDefault).staticFindings().contains { $0.severity == .ok && $0.check == "bootstrap" })
        let optedIn = try ConclaveConfiguration.fromEnvironment(production.merging(["CONCLAVE_DISABLE_BOOTSTRAP": "false"]) { $1 })
        #expect(!optedIn.disableBootstrap)
        #expect(Doctor(configuration: optedIn).staticFindings().contains { $0.severity == .warn && $0.check == "bootstrap" })
    }

    @Test func wildcardCORSAndBootstrapAreWarnings() throws {
        let configuration = try ConclaveConfiguration.fromEnvironment(["CONCLAVE_CORS_ORIGINS": "*", "CONCLAVE_DATA_DIR": "/nonexistent-conclave"])
        let findings = Doctor(configuration: configuration).staticFindings()
        #expect(findings.contains { $0.severity == .warn && $0.check == "cors" })
        #expect(findings.contains { $0.severity == .warn && $0.check == "bootstrap" })
        #expect(!findings.contains { $0.severity == .fatal })
    }
}
