import ConclaveSecurity
import ConclaveStore
import ServiceLifecycle

/// The authentication caches of one server and how they learn about revocations.
struct CredentialCaches: Sendable {
    static let channel = NotificationChannel.credentials

    /// Keyed by session id.
    let sessions = CredentialCache<String, SessionRecord>()
    /// Keyed by the key's MAC, which the request has computed anyway.
    let keys = CredentialCache<TokenDigest, CachedAPIKey>()
    /// Fires after every invalidation, so open sockets re-check without polling.
    let changes = CredentialChangeSignal()
    let database: any Database

    init(database: any Database) {
        self.database = database
        // Where other servers can revoke (PostgreSQL): cache only once their notifications are heard.
        if database.notifications != nil { setEnabled(false) }
    }

    /// Whether other servers' revocations are heard (always on SQLite: there are none).
    var isListening: Bool { sessions.isEnabled }

    func setEnabled(_ enabled: Bool) {
        sessions.setEnabled(enabled)
        keys.setEnabled(enabled)
        changes.signal()
    }

    /// Drops what this server cached (a revocation here or, through NOTIFY, on another server).
    func invalidateLocally() {
        sessions.invalidateAll()
        keys.invalidateAll()
        changes.signal()
    }

    /// Call after committing anything that can revoke access. Other servers hear of the
    /// revocations the store makes from their own transactions (`NotificationChannel`); the
    /// NOTIFY here, after the commit, also covers any change made another way.
    func credentialsChanged() {
        invalidateLocally()
        if let notifications = database.notifications {
            Task { await notifications.notify(channel: Self.channel, payload: "") }
        }
    }
}

/// Hears other servers' revocations (where there can be any: PostgreSQL); caching is on only while it listens.
///
/// While it cannot listen, another server's revocation would go unheard: requests then read
/// the database every time (no cache), and open sockets re-check their credential every
/// `recheckWhileDeaf`, so a revoked one is closed within that time, and a socket whose
/// credential cannot be checked at all (the database is gone) is closed 1011. A LISTEN
/// connection that went silent (the network dropped it without closing it) counts as lost once
/// a round trip on it goes unanswered (the store probes each LISTEN connection every few seconds).
struct CredentialInvalidationListener: Service {
    static let recheckWhileDeaf: Duration = .seconds(5)

    let caches: CredentialCaches

    func run() async throws {
        guard let notifications = caches.database.notifications else {
            try await gracefulShutdown()
            return
        }
        let caches = self.caches
        try await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await notifications.listen(
                        channel: CredentialCaches.channel,
                        onListening: { caches.setEnabled(true) },
                        onLost: { caches.setEnabled(false) }
                    ) { _ in
                        caches.invalidateLocally()
                    }
                }
                group.addTask {
                    while (try? await Task.sleep(for: Self.recheckWhileDeaf)) != nil {
                        if !caches.isListening { caches.invalidateLocally() }
                    }
                }
            }
        }
    }
}
