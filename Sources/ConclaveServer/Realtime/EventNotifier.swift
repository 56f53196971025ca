import ConclaveCore
import ConclaveStore
import ServiceLifecycle

/// Tells every server sharing the database that a workspace's log grew.
///
/// Locally the hub is woken directly. Where other servers share the database (PostgreSQL), a
/// notification carrying the workspace id reaches them, whose `EventNotificationListener` wakes their hubs; each hub then reads the
/// log from its own last seq, so a lost wake-up only delays delivery until the next poll
/// (`EventHub.pollInterval`). It is sent after the commit, outside the transaction: a NOTIFY
/// inside would serialise the commits of every send. A join cannot wait for a poll (nothing
/// polls for it), so its notification is part of the join's transaction
/// (`WorkspaceRepository.addMember`).
struct EventNotifier: Sendable {
    static let channel = NotificationChannel.events

    let hub: EventHub
    let database: any Database

    func published(workspaceID: String, events: [WorkspaceEvent] = []) {
        if events.isEmpty {
            hub.notify(workspaceID: workspaceID)
        } else {
            hub.deliver(events, workspaceID: workspaceID)
        }
        if let notifications = database.notifications {
            Task { await notifications.notify(channel: Self.channel, payload: workspaceID) }
        }
    }

    /// A principal's status changed on this server: its sockets here get it at once, the other
    /// servers' through a notification (best effort, like the status itself: a lost one is a
    /// "typing…" not shown).
    func statusChanged(_ event: EphemeralEvent, principalID: String, ttlSeconds: Int) {
        hub.statusChanged(event, principalID: principalID, ttlSeconds: ttlSeconds)
        if let notifications = database.notifications,
            let payload = EphemeralNotification(origin: hub.origin, ttlSeconds: ttlSeconds, event: event).payload
        {
            Task { await notifications.notify(channel: Self.channel, payload: payload) }
        }
    }

    /// An ephemeral event other than a status (`message.delta`): to this server's sockets at
    /// once, to the others' through a notification (best effort: a lost delta is text a client
    /// sees at the final, or on reading the message).
    func ephemeral(_ event: EphemeralEvent) {
        hub.deliverEphemeral(event)
        if let notifications = database.notifications,
            let payload = EphemeralNotification(origin: hub.origin, ttlSeconds: 1, event: event).payload
        {
            Task { await notifications.notify(channel: Self.channel, payload: payload) }
        }
    }

    /// `principalID` joined `event.workspaceID` (whose `member.joined` is `event`): besides the
    /// usual wake-up, the principal's open streams here start following that workspace from the
    /// join (other servers heard of it from the join's own transaction).
    func joined(_ principalID: String, event: WorkspaceEvent) {
        hub.deliver([event], workspaceID: event.workspaceID)
        hub.principalJoined(principalID, workspaceID: event.workspaceID, seq: event.seq)
        if let notifications = database.notifications {
            Task { await notifications.notify(channel: Self.channel, payload: event.workspaceID) }
        }
    }
}

/// Listens for other servers' notifications (where there can be any: PostgreSQL) for the server's lifetime.
struct EventNotificationListener: Service {
    let hub: EventHub
    let database: any Database

    func run() async throws {
        guard let notifications = database.notifications else {
            // Nothing to listen to, but a service that returns early stops the whole group.
            try await gracefulShutdown()
            return
        }
        let hub = self.hub
        try await cancelWhenGracefulShutdown {
            await notifications.listen(channel: EventNotifier.channel, onListening: { hub.catchUpOnJoins() }, onLost: {}) { payload in
                if let remote = EphemeralNotification(payload: payload) {
                    guard remote.origin != hub.origin else { return }
                    if remote.event.type == .statusUpdated, let principalID = remote.event.data["principal_id"]?.stringValue {
                        hub.statusChanged(remote.event, principalID: principalID, ttlSeconds: remote.ttlSeconds)
                    } else if remote.event.type == .messageDelta {
                        hub.deliverEphemeral(remote.event)
                    }
                } else if let join = JoinNotification(payload: payload) {
                    hub.principalJoined(join.principalID, workspaceID: join.workspaceID, seq: join.seq)
                } else {
                    hub.notify(workspaceID: payload)
                }
            }
        }
    }
}
