import ConclaveStore
import ServiceLifecycle

/// The authentication caches of one server and how they learn about revocations.
struct CredentialCaches: Sendable {
    struct CachedKey: Sendable {
        let record: APIKeyRecord
        let agentStatus: String?
    }

    static let channel = "conclave_auth"

    let sessions = CredentialCache<SessionRecord>()
    let keys = CredentialCache<CachedKey>()
    let database: any Database

    init(database: any Database) {
        self.database = database
        // On PostgreSQL other servers can revoke: cache only once their notifications are heard.
        if database is PostgresDatabase { setEnabled(false) }
    }

    func setEnabled(_ enabled: Bool) {
        sessions.setEnabled(enabled)
        keys.setEnabled(enabled)
    }

    /// Call after committing anything that can revoke access.
    func credentialsChanged() {
        sessions.invalidateAll()
        keys.invalidateAll()
        if let postgres = database as? PostgresDatabase {
            Task { await postgres.notify(channel: Self.channel, payload: "") }
        }
    }
}

/// Hears other servers' revocations (PostgreSQL only); caching is on only while it listens.
struct CredentialInvalidationListener: Service {
    let caches: CredentialCaches

    func run() async throws {
        guard let postgres = caches.database as? PostgresDatabase else {
            try await gracefulShutdown()
            return
        }
        let caches = self.caches
        try await cancelWhenGracefulShutdown {
            await postgres.listen(
                channel: CredentialCaches.channel,
                onListening: { caches.setEnabled(true) },
                onLost: { caches.setEnabled(false) }
            ) { _ in
                caches.sessions.invalidateAll()
                caches.keys.invalidateAll()
            }
        }
    }
}
