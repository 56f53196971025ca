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

    /// `principalID` joined `event.workspaceID` (whose `member.joined` is `event`): besides the
    /// usual wake-up, the principal's open streams, here and on every other server, start
    /// following that workspace from the join.
    func joined(_ principalID: String, event: WorkspaceEvent) {
        hub.deliver([event], workspaceID: event.workspaceID)
        hub.principalJoined(principalID, workspaceID: event.workspaceID, seq: event.seq)
        if let postgres = database as? PostgresDatabase {
            let join = JoinNotification(principalID: principalID, workspaceID: event.workspaceID, seq: event.seq)
            Task {
                await postgres.notify(channel: Self.channel, payload: event.workspaceID)
                await postgres.notify(channel: Self.channel, payload: join.payload)
            }
        }
    }
}

/// The NOTIFY payload that tells other servers about a join: `join <workspace> <principal> <seq>`
/// (a plain workspace id is a wake-up).
struct JoinNotification: Equatable {
    let principalID: String
    let workspaceID: String
    let seq: Int64

    var payload: String { "join \(workspaceID) \(principalID) \(seq)" }

    init(principalID: String, workspaceID: String, seq: Int64) {
        self.principalID = principalID
        self.workspaceID = workspaceID
        self.seq = seq
    }

    init?(payload: String) {
        let parts = payload.split(separator: " ")
        guard parts.count == 4, parts[0] == "join", let seq = Int64(parts[3]) else { return nil }
        self.init(principalID: String(parts[2]), workspaceID: String(parts[1]), seq: seq)
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
            await postgres.listen(channel: EventNotifier.channel, onListening: { hub.catchUpOnJoins() }) { payload in
                if let join = JoinNotification(payload: payload) {
                    hub.principalJoined(join.principalID, workspaceID: join.workspaceID, seq: join.seq)
                } else {
                    hub.notify(workspaceID: payload)
                }
            }
        }
    }
}
