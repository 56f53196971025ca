import ConclaveCore
import ConclaveStore
import Synchronization

/// One principal's live event stream across its workspaces, shared by the WebSocket and long-poll.
///
/// Events arrive from the hub per workspace in seq order. On resume, events between the client's
/// cursor and the feed's position are replayed from the log first while live ones wait in a
/// buffer; duplicates are dropped by seq, so every event is delivered exactly once and in order.
/// The outbound queue is bounded: a reader that falls behind is cut off, never buffered without limit.
final class StreamSession: EventListener, CredentialChangeObserver {
    enum Frame: Sendable {
        case event(JSONValue, closesStream: Bool)
        case overflow
        /// Some credential may have been revoked: check this stream's before writing anything more.
        case credentialCheck
    }

    enum StartError: Error { case resumeFailed }

    struct State {
        var filters: [String: EventFilter] = [:]
        var positions: [String: Int64] = [:]
        var replaying: Set<String> = []
        var buffered: [String: [WorkspaceEvent]] = [:]
        var pendingReplay: [String: Int64] = [:]
        var queue: [Frame] = []
        var overflowed = false
        var finished = false
        var credentialCheckDue = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    let principal: Principal
    let hub: EventHub
    let maxQueued: Int
    let mentionsOnly: Bool
    /// Whether ephemeral events (`status.updated`) are delivered: to sockets, which are live;
    /// not to long polls, whose every event must carry a cursor of its own.
    let ephemeral: Bool
    let state = Mutex(State())

    /// Called once when the queue overflows. The reader of the queue may be stuck writing to a
    /// client that stopped reading, and would never see the `.overflow` frame: this lets the
    /// socket be cut off without it.
    let onOverflow: (@Sendable () -> Void)?

    /// Set for a stream that follows workspaces joined while it is open (the WebSocket's), and
    /// called when it could not follow one (a database error): the stream then misses events, so
    /// its socket is closed and the client resumes. Long-poll streams do not follow joins: the
    /// next poll's cursor picks the workspace up from the join.
    let onJoinFailure: (@Sendable () -> Void)?

    init(
        principal: Principal, hub: EventHub, maxQueued: Int = 1024, mentionsOnly: Bool, ephemeral: Bool = false,
        onOverflow: (@Sendable () -> Void)? = nil,
        onJoinFailure: (@Sendable () -> Void)? = nil
    ) {
        self.principal = principal
        self.hub = hub
        self.maxQueued = maxQueued
        self.mentionsOnly = mentionsOnly
        self.ephemeral = ephemeral
        self.onOverflow = onOverflow
        self.onJoinFailure = onJoinFailure
    }

    var workspaceIDs: [String] { state.withLock { Array($0.filters.keys) } }

    func follows(_ workspaceID: String) -> Bool { state.withLock { $0.filters[workspaceID] != nil } }

    /// Subscribes to every workspace of the principal and returns the cursor the stream starts
    /// after. With `resume`, the events after it are replayed by `replayPending`; live events wait
    /// in a buffer meanwhile. A workspace the cursor does not name, joined since it was made, is
    /// replayed from the join. A cursor this server cannot honour throws `resumeFailed`.
    func start(resume: StreamCursor?) async throws -> StreamCursor {
        let principal = self.principal
        // Before reading the memberships, so that a join committed meanwhile is not missed.
        if onJoinFailure != nil { hub.register(self) }
        let (memberships, joinSeqs) = try await hub.database.read { db -> ([(String, [String: Int64], Set<String>)], [String: Int64]) in
            let workspaces = try await WorkspaceRepository().workspaces(of: principal.id, after: nil, limit: 1000, on: db)
            var result: [(String, [String: Int64], Set<String>)] = []
            let channels = ChannelRepository()
            for (workspace, _) in workspaces {
                result.append((
                    workspace.id,
                    try await channels.membershipsJoinedAt(principalID: principal.id, workspaceID: workspace.id, on: db),
                    try await channels.memberships(principalID: principal.id, workspaceID: workspace.id, kind: .dm, on: db)
                ))
            }
            let joinSeqs = resume == nil ? [:] : try await WorkspaceRepository().joinSeqs(of: principal.id, on: db)
            return (result, joinSeqs)
        }
        var start: [String: Int64] = [:]
        for (workspaceID, channels, dms) in memberships {
            // Replayed from the join, the memberships are learnt from the log as they happened.
            let fromJoin = resume.map { $0.positions[workspaceID] == nil && joinSeqs[workspaceID] != nil } ?? false
            let claimed = state.withLock { state -> Bool in
                // Already followed from a join signalled while this stream was starting.
                guard state.filters[workspaceID] == nil else { return false }
                state.filters[workspaceID] = fromJoin
                    ? EventFilter(principal: principal, mentionsOnly: mentionsOnly, channels: [:], dmChannels: [])
                    : EventFilter(principal: principal, mentionsOnly: mentionsOnly, channels: channels, dmChannels: dms)
                state.replaying.insert(workspaceID)
                return true
            }
            guard claimed else { continue }
            let feedPosition = try await hub.subscribe(self, workspaceID: workspaceID)
            var from = feedPosition
            if fromJoin, let joinSeq = joinSeqs[workspaceID] {
                // Committed, so in the log even if this server's feed has not read that far yet.
                from = joinSeq - 1
            } else if let position = resume?.positions[workspaceID] {
                guard position <= feedPosition else { throw StartError.resumeFailed }
                from = position
            }
            if from < feedPosition {
                // Events after the cursor were removed by retention: they cannot be replayed.
                let prunedThrough = try await hub.database.read { db in try await EventLog().prunedThrough(workspaceID: workspaceID, on: db) }
                guard from >= prunedThrough else { throw StartError.resumeFailed }
            }
            start[workspaceID] = from
            state.withLock { state in
                state.positions[workspaceID] = from
                state.pendingReplay[workspaceID] = feedPosition
            }
        }
        return StreamCursor(positions: start)
    }

    /// Follows a workspace the principal joined while this stream is open, from `seq` (just
    /// before its `member.joined`). Its channel memberships are learnt from the log from there.
    func join(workspaceID: String, after seq: Int64) async throws {
        let principal = self.principal
        let claimed = state.withLock { state -> Bool in
            guard !state.finished, state.filters[workspaceID] == nil else { return false }
            state.filters[workspaceID] = EventFilter(principal: principal, mentionsOnly: mentionsOnly, channels: [:], dmChannels: [])
            state.replaying.insert(workspaceID)
            return true
        }
        guard claimed else { return }
        do {
            let feedPosition = try await hub.subscribe(self, workspaceID: workspaceID)
            let open = state.withLock { state -> Bool in
                guard !state.finished else { return false }
                // Events up to `seq` are dropped, also when this server's feed has not reached it yet.
                state.positions[workspaceID] = seq
                state.pendingReplay[workspaceID] = feedPosition
                return true
            }
            // `finish` ran while subscribing and may have missed this subscription.
            guard open else {
                hub.unsubscribe(self, workspaceID: workspaceID)
                return
            }
            try await replayPending(only: workspaceID)
        } catch {
            onJoinFailure?()
            throw error
        }
    }

    /// Replays what `start` left pending, with back-pressure: it waits while the queue is half
    /// full, so a long backlog streams to a reading client instead of overflowing. With `stopAt`
    /// (long-poll) it stops once that many frames are queued; the client continues from the last
    /// cursor it received.
    func replayPending(stopAt: Int? = nil, only workspaceID: String? = nil) async throws {
        let pending = state.withLock { state -> [String: Int64] in
            if let workspaceID {
                return state.pendingReplay.removeValue(forKey: workspaceID).map { [workspaceID: $0] } ?? [:]
            }
            let pending = state.pendingReplay
            state.pendingReplay = [:]
            return pending
        }
        for (workspaceID, until) in pending.sorted(by: { $0.key < $1.key }) {
            var cursor = state.withLock { $0.positions[workspaceID] ?? until }
            while cursor < until {
                if try await waitForRoom(stopAt: stopAt) == false { return }
                let from = cursor
                let events = try await hub.database.read { db in
                    try await EventLog().read(workspaceID: workspaceID, after: from, limit: 100, on: db)
                }
                let relevant = events.filter { $0.seq <= until }
                state.withLock { state in
                    for event in relevant { process(event, state: &state) }
                }
                guard let last = events.last, last.seq < until else { break }
                cursor = last.seq
            }
            state.withLock { state in
                state.replaying.remove(workspaceID)
                for event in state.buffered.removeValue(forKey: workspaceID) ?? [] { process(event, state: &state) }
            }
        }
    }

    /// False when the replay should stop (long-poll has enough, or the stream ended).
    private func waitForRoom(stopAt: Int?) async throws -> Bool {
        while true {
            let (count, done) = state.withLock { ($0.queue.count, $0.finished || $0.overflowed) }
            if done { return false }
            if let stopAt {
                if count >= stopAt {
                    finish()
                    return false
                }
                return true
            }
            if count < maxQueued / 2 { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func offer(_ event: WorkspaceEvent) {
        state.withLock { state in
            if state.replaying.contains(event.workspaceID) {
                state.buffered[event.workspaceID, default: []].append(event)
                if state.buffered[event.workspaceID]!.count > maxQueued * 4 { overflow(&state) }
            } else {
                process(event, state: &state)
            }
        }
    }

    /// A status is for the channel's current members (as this stream knows them) reading the
    /// channel, never on a `mentions_only` stream (it wakes no one), and dropped rather than
    /// queued when the client is behind: it is stale by the time a slow reader would see it.
    func offerEphemeral(_ event: EphemeralEvent) {
        guard ephemeral, !mentionsOnly else { return }
        state.withLock { state in
            guard !state.overflowed, !state.finished, let filter = state.filters[event.workspaceID], !filter.removed,
                filter.channels[event.channelID] != nil, filter.scopeAllows(event.type), state.queue.count < maxQueued / 2
            else { return }
            let cursor = StreamCursor(positions: state.positions).encoded
            state.queue.append(.event(filter.render(ephemeral: event, cursor: cursor), closesStream: false))
            resumeWaiter(&state)
        }
    }

    private func process(_ event: WorkspaceEvent, state: inout State) {
        guard !state.overflowed, !state.finished, var filter = state.filters[event.workspaceID] else { return }
        guard event.seq > state.positions[event.workspaceID] ?? 0 else { return }
        state.positions[event.workspaceID] = event.seq
        let admitted = filter.admit(event)
        state.filters[event.workspaceID] = filter
        guard admitted else { return }
        let cursor = StreamCursor(positions: state.positions).encoded
        let closes = event.type == .agentPaused && principal.kind == .agent
        guard state.queue.count < maxQueued else {
            overflow(&state)
            return
        }
        state.queue.append(.event(filter.render(event, cursor: cursor), closesStream: closes))
        resumeWaiter(&state)
    }

    private func overflow(_ state: inout State) {
        let first = !state.overflowed
        state.overflowed = true
        state.queue = [.overflow]
        resumeWaiter(&state)
        if first { onOverflow?() }
    }

    private func resumeWaiter(_ state: inout State) {
        if let waiter = state.waiter {
            state.waiter = nil
            waiter.resume()
        }
    }

    func credentialsMayHaveChanged() {
        state.withLock { state in
            state.credentialCheckDue = true
            resumeWaiter(&state)
        }
    }

    /// Waits until frames are queued (or the stream ends) and takes up to `max` of them, led by
    /// `.credentialCheck` when a credential change was signalled since the last call.
    func next(max: Int = 64) async -> [Frame] {
        while true {
            let (frames, done): ([Frame], Bool) = state.withLock { state in
                var frames: [Frame] = []
                if state.credentialCheckDue {
                    state.credentialCheckDue = false
                    frames.append(.credentialCheck)
                }
                if !state.queue.isEmpty {
                    let count = Swift.min(max, state.queue.count)
                    frames.append(contentsOf: state.queue.prefix(count))
                    state.queue.removeFirst(count)
                }
                return (frames, state.finished && frames.isEmpty)
            }
            if !frames.isEmpty || done { return frames }
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    if !state.queue.isEmpty || state.finished || state.credentialCheckDue { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    /// Frames already queued, without waiting.
    func takeQueued(max: Int) -> [Frame] {
        state.withLock { state in
            let count = Swift.min(max, state.queue.count)
            let frames = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return frames
        }
    }

    var cursor: StreamCursor { state.withLock { StreamCursor(positions: $0.positions) } }

    /// Stops the stream: wakes a waiting reader and unsubscribes from every feed.
    func finish() {
        let workspaces = state.withLock { state -> [String] in
            state.finished = true
            resumeWaiter(&state)
            return Array(state.filters.keys)
        }
        for workspaceID in workspaces { hub.unsubscribe(self, workspaceID: workspaceID) }
        hub.unregister(self)
    }
}
