import ConclaveStore
import ServiceLifecycle

/// Tells every server sharing the database that a workspace's log grew.
///
/// Locally the hub is woken directly. On PostgreSQL a `pg_notify` carrying the workspace id reaches
/// the other servers, whose `EventNotificationListener` wakes their hubs; each hub then reads the
/// log from its own last seq, so a lost notification only delays delivery until the next poll.
struct EventNotifier: Sendable {
    static let channel = "conclave_events"

    let hub: EventHub
    let database: any Database

    func published(workspaceID: String, events: [WorkspaceEvent] = []) {
        if events.isEmpty {
            hub.notify(workspaceID: workspaceID)
        } else {
            hub.deliver(events, workspaceID: workspaceID)
        }
        if let postgres = database as? PostgresDatabase {
            Task { await postgres.notify(channel: Self.channel, payload: workspaceID) }
        }
    }
}

/// LISTENs for other servers' notifications (PostgreSQL only) for the server's lifetime.
struct EventNotificationListener: Service {
    let hub: EventHub
    let database: any Database

    func run() async throws {
        guard let postgres = database as? PostgresDatabase else {
            // Nothing to listen to, but a service that returns early stops the whole group.
            try await gracefulShutdown()
            return
        }
        let hub = self.hub
        try await cancelWhenGracefulShutdown {
            await postgres.listen(channel: EventNotifier.channel) { workspaceID in hub.notify(workspaceID: workspaceID) }
        }
    }
}
