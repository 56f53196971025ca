import ConclaveCore
import ConclaveStore
import Logging
import Synchronization

/// Fans committed events out to live streams.
///
/// One feed per workspace with listeners. A feed reads the workspace's log once per wake-up (one
/// query per workspace, never per recipient) and offers each event to every listener in seq order.
/// Feeds wake when this server commits an event (`notify`), when another server's notification
/// arrives, and at least every `pollInterval`, so a lost notification delays but never loses an event.
final class EventHub: Sendable {
    static let pollInterval: Duration = .seconds(2)
    static let batchSize = 500

    let database: any Database
    let logger: Logger
    let feeds = Mutex<[String: WorkspaceFeed]>([:])
    /// Statuses fanned out and not yet cleared (`StatusBoard`).
    let statuses = StatusBoard()
    /// This server among those sharing the database: its own ephemeral notifications come back
    /// to it and are ignored.
    let origin = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    /// Open streams by principal, so a workspace the principal joins reaches its open streams.
    let streams = Mutex<[String: [ObjectIdentifier: StreamSession]]>([:])

    init(database: any Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Starts delivering `workspaceID`'s events after `seq` to `listener`. Returns the feed's
    /// position at registration: events after it arrive live; events up to it the caller replays.
    func subscribe(_ listener: any EventListener, workspaceID: String) async throws -> Int64 {
        let head = try await database.read { db in try await EventLog().head(workspaceID: workspaceID, on: db) }
        // Added under the lock: otherwise the feed's last other listener could unsubscribe in
        // between, stopping and dropping the feed this listener then waits on forever.
        return feeds.withLock { feeds in
            if let existing = feeds[workspaceID] { return existing.add(listener) }
            let feed = WorkspaceFeed(workspaceID: workspaceID, startAfter: head, hub: self)
            feeds[workspaceID] = feed
            feed.start()
            return feed.add(listener)
        }
    }

    func unsubscribe(_ listener: any EventListener, workspaceID: String) {
        feeds.withLock { feeds in
            guard let feed = feeds[workspaceID] else { return }
            if feed.remove(listener) == 0 {
                feed.stop()
                feeds.removeValue(forKey: workspaceID)
            }
        }
    }

    func register(_ stream: StreamSession) {
        streams.withLock { $0[stream.principal.id, default: [:]][ObjectIdentifier(stream)] = stream }
    }

    func unregister(_ stream: StreamSession) {
        streams.withLock { streams in
            streams[stream.principal.id]?.removeValue(forKey: ObjectIdentifier(stream))
            if streams[stream.principal.id]?.isEmpty == true { streams.removeValue(forKey: stream.principal.id) }
        }
    }

    /// `principalID` joined `workspaceID` at `seq`: its open streams follow the workspace from there.
    func principalJoined(_ principalID: String, workspaceID: String, seq: Int64) {
        let joining = streams.withLock { $0[principalID].map { Array($0.values) } ?? [] }
        for stream in joining {
            Task {
                do {
                    try await stream.join(workspaceID: workspaceID, after: seq - 1)
                } catch {
                    logger.warning("stream could not follow a joined workspace", metadata: ["workspace_id": .string(workspaceID)])
                }
            }
        }
    }

    /// Joins announced by other servers while this one could not LISTEN were missed: each open
    /// stream's principal has its memberships read once, and a workspace joined but not
    /// followed is followed from its join.
    func catchUpOnJoins() {
        let byPrincipal = streams.withLock { $0.mapValues { Array($0.values) } }
        guard !byPrincipal.isEmpty else { return }
        let database = self.database
        Task {
            for (principalID, open) in byPrincipal {
                guard let joins = try? await database.read({ db in try await WorkspaceRepository().joinSeqs(of: principalID, on: db) })
                else { continue }
                for (workspaceID, seq) in joins where open.contains(where: { !$0.follows(workspaceID) }) {
                    principalJoined(principalID, workspaceID: workspaceID, seq: seq)
                }
            }
        }
    }

    /// Something was committed in `workspaceID`: wake its feed.
    func notify(workspaceID: String) {
        let feed = feeds.withLock { $0[workspaceID] }
        feed?.wake()
    }

    /// Events this server has just committed. When they directly follow what the feed has
    /// delivered they go out at once, without reading them back; otherwise (an earlier commit's
    /// events have not arrived yet) the feed reads the log as for any other wake-up.
    func deliver(_ events: [WorkspaceEvent], workspaceID: String) {
        guard let feed = feeds.withLock({ $0[workspaceID] }) else { return }
        if !feed.offerIfNext(events) { feed.wakeSoon() }
    }

    /// An ephemeral event for this server's live sockets in its workspace (none is read back
    /// from anywhere: a socket not open now never gets it).
    func deliverEphemeral(_ event: EphemeralEvent) {
        feeds.withLock { $0[event.workspaceID] }?.offerEphemeral(event)
    }

    /// A principal's status changed (here or on another server): delivered now, and cleared by
    /// this server at its TTL unless replaced or cleared before.
    func statusChanged(_ event: EphemeralEvent, principalID: String, ttlSeconds: Int) {
        let generation = statuses.record(event, principalID: principalID)
        deliverEphemeral(event)
        guard let generation else { return }
        Task { [statuses] in
            try? await Task.sleep(for: .seconds(ttlSeconds))
            if let cleared = statuses.expire(channelID: event.channelID, principalID: principalID, generation: generation) {
                self.deliverEphemeral(cleared)
            }
        }
    }

    var listenerCount: Int {
        feeds.withLock { $0.values.reduce(0) { $0 + $1.count } }
    }
}

/// Receives a workspace's events in order. Implementations must not block: they queue.
protocol EventListener: AnyObject, Sendable {
    func offer(_ event: WorkspaceEvent)
    /// An event that is not in the log (no seq): offered once, live only.
    func offerEphemeral(_ event: EphemeralEvent)
}

extension EventListener {
    func offerEphemeral(_ event: EphemeralEvent) {}
}

/// The pump of one workspace.
final class WorkspaceFeed: Sendable {
    struct State {
        var listeners: [ObjectIdentifier: any EventListener] = [:]
        var delivered: Int64
        var task: Task<Void, Never>?
        var pendingWake = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Committed events handed over ahead of an earlier one (their senders' tasks resumed out
        /// of commit order), held until the gap fills so they need not be read back.
        var early: [Int64: WorkspaceEvent] = [:]
        var wakeScheduled = false
    }

    /// Events held back at most: past this the feed reads the log instead.
    static let maxEarly = 1024
    /// How long a gap may wait for its event to be handed over before the feed reads the log.
    static let gapWait: Duration = .milliseconds(20)

    let workspaceID: String
    unowned let hub: EventHub
    let state: Mutex<State>

    init(workspaceID: String, startAfter: Int64, hub: EventHub) {
        self.workspaceID = workspaceID
        self.hub = hub
        self.state = Mutex(State(delivered: startAfter))
    }

    var count: Int { state.withLock { $0.listeners.count } }

    func add(_ listener: any EventListener) -> Int64 {
        state.withLock { state in
            state.listeners[ObjectIdentifier(listener)] = listener
            return state.delivered
        }
    }

    func remove(_ listener: any EventListener) -> Int {
        state.withLock { state in
            state.listeners.removeValue(forKey: ObjectIdentifier(listener))
            return state.listeners.count
        }
    }

    /// Offers `events` in seq order, holding back any that arrive ahead of an earlier one; true
    /// when nothing is missing.
    func offerIfNext(_ events: [WorkspaceEvent]) -> Bool {
        state.withLock { state in
            for event in events where event.seq > state.delivered { state.early[event.seq] = event }
            Self.offerEarly(&state, statuses: hub.statuses)
            if state.early.count > Self.maxEarly { state.early.removeAll() }
            return state.early.isEmpty
        }
    }

    /// Offers the held-back events that now continue the sequence, and drops any already out.
    private static func offerEarly(_ state: inout State, statuses: StatusBoard) {
        guard !state.early.isEmpty else { return }
        while let event = state.early.removeValue(forKey: state.delivered + 1) {
            state.delivered = event.seq
            offer(event, to: state.listeners.values, statuses: statuses)
        }
        if let lowest = state.early.keys.min(), lowest <= state.delivered {
            state.early = state.early.filter { $0.key > state.delivered }
        }
    }

    /// Offers one logged event; a new message then clears its sender's status in the channel,
    /// after the message on every socket.
    private static func offer(_ event: WorkspaceEvent, to listeners: Dictionary<ObjectIdentifier, any EventListener>.Values, statuses: StatusBoard) {
        for listener in listeners { listener.offer(event) }
        if let cleared = statuses.clear(by: event) {
            for listener in listeners { listener.offerEphemeral(cleared) }
        }
    }

    func offerEphemeral(_ event: EphemeralEvent) {
        state.withLock { state in
            for listener in state.listeners.values { listener.offerEphemeral(event) }
        }
    }

    /// Wakes the feed after `gapWait` unless the gap has filled by then: the missing event is
    /// usually a concurrent commit of this server whose hand-over is microseconds away.
    func wakeSoon() {
        let schedule = state.withLock { state -> Bool in
            guard !state.wakeScheduled else { return false }
            state.wakeScheduled = true
            return true
        }
        guard schedule else { return }
        Task { [self] in
            try? await Task.sleep(for: Self.gapWait)
            let stillMissing = state.withLock { state -> Bool in
                state.wakeScheduled = false
                return !state.early.isEmpty
            }
            if stillMissing { wake() }
        }
    }

    func start() {
        let task = Task { [self] in await self.run() }
        state.withLock { $0.task = task }
    }

    func stop() {
        let (task, waiter) = state.withLock { state -> (Task<Void, Never>?, CheckedContinuation<Void, Never>?) in
            let waiter = state.waiter
            state.waiter = nil
            return (state.task, waiter)
        }
        task?.cancel()
        waiter?.resume()
    }

    func wake() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pendingWake = true
            return nil
        }
        waiter?.resume()
    }

    /// Waits for a wake-up or the poll interval, whichever comes first.
    func sleep() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let resumeNow = self.state.withLock { state -> Bool in
                        if state.pendingWake || Task.isCancelled {
                            state.pendingWake = false
                            return true
                        }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                // Only a timer that ran out may wake the feed: a cancelled one (the feed woke
                // first) must not leave a pending wake behind, or the next sleep returns at once.
                guard (try? await Task.sleep(for: EventHub.pollInterval)) != nil else { return }
                self.wake()
            }
            await group.next()
            group.cancelAll()
        }
    }

    func run() async {
        while !Task.isCancelled {
            await drain()
            await sleep()
        }
    }

    func drain() async {
        while !Task.isCancelled {
            let after = state.withLock { $0.delivered }
            let workspaceID = self.workspaceID
            let events: [WorkspaceEvent]
            do {
                events = try await hub.database.read { db in
                    try await EventLog().read(workspaceID: workspaceID, after: after, limit: EventHub.batchSize, on: db)
                }
            } catch {
                if Task.isCancelled { return }
                hub.logger.warning("event feed read failed", metadata: ["workspace_id": .string(workspaceID)])
                return
            }
            guard !events.isEmpty else { return }
            // Offered under the feed's lock so a listener added concurrently sees either all of
            // this batch live or none of it (and replays it): never half.
            // Events handed over directly by this server's commits may already be out: skip them.
            state.withLock { state in
                for event in events where event.seq > state.delivered {
                    state.delivered = event.seq
                    Self.offer(event, to: state.listeners.values, statuses: hub.statuses)
                }
                Self.offerEarly(&state, statuses: hub.statuses)
            }
            if events.count < EventHub.batchSize { return }
        }
    }
}
