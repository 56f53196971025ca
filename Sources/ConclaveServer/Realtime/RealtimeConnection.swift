import ConclaveCore
import ConclaveStore
import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import Synchronization

/// One WebSocket client: first-frame authentication, `ready`, optional resume, then events out
/// and `send` / `ping` in.
struct RealtimeConnection {
    static let authTimeout: Duration = .seconds(10)
    static let maxInboundMessage = 64 * 1024

    let dependencies: ServerDependencies
    let authenticator: AuthenticationMiddleware
    let hub: EventHub
    let registry: ConnectionRegistry

    enum CloseCode {
        static let unauthorized = WebSocketErrorCode.unknown(4401)
        static let locked = WebSocketErrorCode.unknown(4423)
        static let tooManyConnections = WebSocketErrorCode.unknown(4429)
        static let tooSlow = WebSocketErrorCode.unknown(4408)
    }

    func run(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel, clientIP: String, logger: Logger
    ) async throws {
        // A shutdown says goodbye (1001) to every socket, and cuts off one whose client stopped
        // reading, where the close frame would wait forever behind a full socket buffer.
        let closer = SocketCloser(outbound: outbound, channel: channel)
        try await withGracefulShutdownHandler {
            try await serve(inbound: inbound, outbound: outbound, closer: closer, clientIP: clientIP, logger: logger)
        } onGracefulShutdown: {
            Task { await closer.close(.goingAway, reason: "server shutting down") }
        }
    }

    /// What the socket's one-time setup hands to the loop that serves it.
    struct OpenedStream: Sendable {
        let principal: Principal
        let session: StreamSession
        let capKey: String
        let check: CredentialCheck
    }

    func serve(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, closer: SocketCloser, clientIP: String, logger: Logger
    ) async throws {
        // Closing the socket ends the read below, so the deadline needs no other coordination.
        let authenticated = OnceFlag()
        let frameReceived = OnceFlag()
        let deadline = Task {
            try await Task.sleep(for: Self.authTimeout)
            guard !authenticated.isSet else { return }
            if frameReceived.isSet {
                // The client did its part; the database did not answer in time.
                try? await outbound.close(.unexpectedServerError, reason: "credentials could not be verified; reconnect")
            } else {
                try? await outbound.close(CloseCode.unauthorized, reason: "authenticate within 10 seconds")
            }
        }
        defer { deadline.cancel() }
        var messages = inbound.messages(maxSize: Self.maxInboundMessage).makeAsyncIterator()
        let first = try await messages.next()
        frameReceived.set()
        guard let auth = Self.authFrame(first) else {
            try await outbound.close(CloseCode.unauthorized, reason: "authenticate with the first frame")
            return
        }
        // A task keeps the memory of its deepest call stack until it ends, and this one lives as
        // long as the socket: the one-time setup (authentication, database reads) runs in a child
        // task so that its frames are freed once the stream is open.
        let opened = try await Self.inChildTask {
            try await self.open(auth, clientIP: clientIP, outbound: outbound, closer: closer, authenticated: authenticated)
        }
        deadline.cancel()
        guard let opened else { return }
        defer { registry.release(opened.capKey) }
        let stream = opened.session
        defer { stream.finish() }
        let changes = dependencies.credentials.changes
        let observation = changes.observe(stream)
        defer { changes.stopObserving(observation) }
        // A change signalled between authentication and `observe` would otherwise go unnoticed.
        stream.credentialsMayHaveChanged()

        let writer = Task { try await self.writeEvents(stream, check: opened.check, outbound: outbound, closer: closer) }
        defer { writer.cancel() }
        let replay = Task { try await stream.replayPending() }
        defer { replay.cancel() }
        // Read here rather than in a callee: the first frame was read at this depth too, so both
        // reads reuse one stack slab of this long-lived task.
        let principal = opened.principal
        while let message = try await messages.next() {
            guard try await handle(message, principal: principal, outbound: outbound) else { return }
        }
    }

    /// Authenticates the first frame, applies the connection limits, subscribes the stream and
    /// sends `ready`. Nil when it has closed the socket instead.
    func open(
        _ auth: RealtimeAuthFrame, clientIP: String, outbound: WebSocketOutboundWriter, closer: SocketCloser, authenticated: OnceFlag
    ) async throws -> OpenedStream? {
        // The generation before authenticating: a revocation racing with it is re-checked.
        let generation = dependencies.credentials.sessions.generation
        let principal: Principal
        switch await authenticate(auth.token, clientIP: clientIP, within: Self.firstAuthenticationTimeout) {
        case .authenticated(let authenticated):
            principal = authenticated
        case .paused:
            try await outbound.close(CloseCode.locked, reason: "agent paused")
            return nil
        case .rejected:
            try await outbound.close(CloseCode.unauthorized, reason: "invalid credentials")
            return nil
        case .unavailable:
            // The database did not answer in time: the token may well be good, so not 4401.
            try await outbound.close(.unexpectedServerError, reason: "credentials could not be verified; reconnect")
            return nil
        }
        authenticated.set()
        guard dependencies.rateLimiter.consume(dependencies.configuration.rateLimits["ws_connect"], key: principal.id).allowed else {
            try await outbound.close(CloseCode.tooManyConnections, reason: "too many connection attempts")
            return nil
        }
        let capKey = principal.sessionID ?? principal.id
        let configuration = dependencies.configuration
        let cap = principal.kind == .agent ? configuration.socketsPerAgent : configuration.socketsPerSession
        guard registry.acquire(capKey, limit: cap) else {
            try await outbound.close(CloseCode.tooManyConnections, reason: "too many open sockets")
            return nil
        }
        var resume: StreamCursor?
        var resumeFailed = false
        if let text = auth.resume_from {
            resume = StreamCursor.decode(text)
            resumeFailed = resume == nil
        }
        let mentionsOnly = auth.mentions_only ?? false
        // The writer may be stuck in a write to a client that stopped reading: an overflow starts
        // the close without waiting for it (4408, and the connection is cut after a grace).
        let cutOff: @Sendable () -> Void = {
            Task { await closer.close(CloseCode.tooSlow, reason: "client is not reading fast enough", cutAfter: SocketCloser.slowReaderGrace) }
        }
        let interrupted: @Sendable () -> Void = {
            Task { await closer.close(.unexpectedServerError, reason: "the stream was interrupted; resume") }
        }
        var session = StreamSession(principal: principal, hub: hub, mentionsOnly: mentionsOnly, onOverflow: cutOff, onJoinFailure: interrupted)
        // Until the stream is handed to `serve`, any way out gives back the socket slot and ends
        // the (current) stream's subscriptions.
        var handedOver = false
        defer {
            if !handedOver {
                registry.release(capKey)
                session.finish()
            }
        }
        var start: StreamCursor
        do {
            start = try await session.start(resume: resume)
        } catch StreamSession.StartError.resumeFailed {
            session.finish()
            resumeFailed = true
            session = StreamSession(principal: principal, hub: hub, mentionsOnly: mentionsOnly, onOverflow: cutOff, onJoinFailure: interrupted)
            start = try await session.start(resume: nil)
        }
        if resumeFailed { try await send(["type": "resume_failed"], outbound) }
        var ready: [String: JSONValue] = ["type": "ready", "principal_id": .string(principal.id), "cursor": .string(start.encoded)]
        ready["session_id"] = principal.sessionID.map(JSONValue.string) ?? .null
        try await send(.object(ready), outbound)
        handedOver = true
        let check = CredentialCheck(token: auth.token, clientIP: clientIP, generation: generation)
        return OpenedStream(principal: principal, session: session, capKey: capKey, check: check)
    }

    static func inChildTask<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            return try await group.next()!
        }
    }

    /// Revocation reaches open sockets too: whenever any credential changes (here or, via NOTIFY,
    /// on another server) the stream is woken, and the socket's own credential is checked again
    /// before the next frame is written, and promptly when idle; the socket is closed with 4401 if
    /// it no longer authenticates.
    ///
    /// A database that cannot answer is not a revocation (losing the LISTEN connection bumps the
    /// generation, and the pool may hand out a connection that died with it): the check is retried
    /// briefly, and if the database stays unreachable the socket is closed with 1011 so the client
    /// resumes elsewhere or later. Either way no frame is written on an unverified credential.
    func credentialStillValid(_ check: CredentialCheck, outbound: WebSocketOutboundWriter) async -> Bool {
        let current = dependencies.credentials.sessions.generation
        guard check.needsCheck(generation: current) else { return true }
        var outcome = await authenticate(check.token, clientIP: check.clientIP)
        for delay in Self.credentialRetryDelays where outcome.isUnavailable && !Task.isCancelled {
            try? await Task.sleep(for: delay)
            outcome = await authenticate(check.token, clientIP: check.clientIP)
        }
        switch outcome {
        case .authenticated, .paused:
            check.validated(generation: current)
            return true
        case .rejected:
            try? await outbound.close(CloseCode.unauthorized, reason: "credentials revoked")
            return false
        case .unavailable:
            try? await outbound.close(.unexpectedServerError, reason: "credentials could not be verified; reconnect")
            return false
        }
    }

    /// Pauses between attempts; with `credentialAttemptTimeout` a database outage closes the
    /// socket within about ten seconds.
    static let credentialRetryDelays: [Duration] = [.milliseconds(200), .milliseconds(500), .seconds(1)]
    static let credentialAttemptTimeout: Duration = .seconds(2)
    /// Inside the 10 s a client has to authenticate, so an outage is reported as 1011, not 4401.
    static let firstAuthenticationTimeout: Duration = .seconds(5)

    enum Authentication: Sendable {
        case authenticated(Principal)
        /// An agent that is paused (423): refused at the first frame; an open socket delivers
        /// the agent.paused event, already ordered before anything newer, and then closes (4423).
        case paused
        case rejected
        case unavailable
    }

    /// Tells a credential that is refused from a database that did not answer (in time).
    func authenticate(_ token: String, clientIP: String, within timeout: Duration = credentialAttemptTimeout) async -> Authentication {
        let authenticator = self.authenticator
        // In its own task, so its stack is freed when it ends, and bounded in time: a query on a
        // connection the network dropped may never return.
        return await TimeLimit.run(timeout) { () -> Authentication in
            do {
                return .authenticated(try await authenticator.authenticate(token, clientIP: clientIP))
            } catch let problem as Problem where problem.status == 423 {
                return .paused
            } catch let problem as Problem where problem.status < 500 {
                return .rejected
            } catch {
                return .unavailable
            }
        } ?? .unavailable
    }

    static func authFrame(_ message: WebSocketMessage?) -> RealtimeAuthFrame? {
        guard case .text(let text)? = message else { return nil }
        return try? RealtimeAuthFrame.parse(text)
    }

    func writeEvents(_ session: StreamSession, check: CredentialCheck, outbound: WebSocketOutboundWriter, closer: SocketCloser) async throws {
        while !Task.isCancelled {
            let frames = await session.next()
            if frames.isEmpty { return }
            guard await credentialStillValid(check, outbound: outbound) else { return }
            for frame in frames {
                switch frame {
                case .overflow:
                    await closer.close(CloseCode.tooSlow, reason: "client is not reading fast enough", cutAfter: SocketCloser.slowReaderGrace)
                    return
                case .credentialCheck:
                    continue
                case .event(let json, let closesStream):
                    try await outbound.writeTextMessage(json.canonicalString)
                    if closesStream {
                        try await outbound.close(CloseCode.locked, reason: "agent paused")
                        return
                    }
                }
            }
        }
    }

    /// Answers one client frame; false once the socket is closed. Not inlined: its frame (and
    /// the send path's below it) is allocated only while a frame is handled, not for as long as
    /// an idle socket waits in `serve`.
    @inline(never)
    func handle(_ message: WebSocketMessage, principal: Principal, outbound: WebSocketOutboundWriter) async throws -> Bool {
        guard case .text(let text) = message else {
            try await outbound.close(.unacceptableData, reason: "text frames only")
            return false
        }
        guard let frame = try? RealtimeClientFrame.parse(text) else {
            try await send(["type": "error", "status": 400, "title": "The frame is not a JSON object with a type."], outbound)
            return true
        }
        switch frame {
        case .ping:
            try await send(["type": "pong"], outbound)
        case .send(let request):
            try await handleSend(request, principal: principal, outbound: outbound)
        case .unknown:
            try await send(["type": "error", "status": 400, "title": "Unknown frame type."], outbound)
        }
        return true
    }

    func handleSend(_ frame: RealtimeSendFrame, principal: Principal, outbound: WebSocketOutboundWriter) async throws {
        let clientMsgID: JSONValue = frame.client_msg_id.map(JSONValue.string) ?? .null
        do {
            guard principal.scopes?.contains(Scope.messagesWrite.rawValue) ?? true else {
                throw Problem.forbidden("This API key lacks the scope messages:write.")
            }
            guard let channelID = frame.channel_id, Identifier.isWellFormed(channelID, kind: .channel) else {
                throw Problem.validation(field: "channel_id", "must be a channel id")
            }
            guard let text = frame.text else { throw Problem.validation(field: "text", "is required") }
            let request = MessageService.SendRequest(
                text: text, client_msg_id: frame.client_msg_id, thread_id: frame.thread_id, metadata: frame.metadata, kind: frame.kind
            )
            let result = try await MessageService(dependencies: dependencies).send(principal, channelID: channelID, request: request)
            try await send(["type": "ack", "client_msg_id": clientMsgID, "message": MessageJSON.message(result.message)], outbound)
        } catch let problem as Problem {
            var body: [String: JSONValue] = [
                "type": "error", "client_msg_id": clientMsgID, "status": .int(Int64(problem.status)), "title": .string(problem.detail ?? problem.title),
            ]
            if !problem.errors.isEmpty {
                body["errors"] = .array(problem.errors.map { ["field": .string($0.field), "message": .string($0.message)] })
            }
            try await send(.object(body), outbound)
        } catch {
            try await send(["type": "error", "client_msg_id": clientMsgID, "status": 500, "title": "The server could not send the message."], outbound)
        }
    }

    func send(_ value: JSONValue, _ outbound: WebSocketOutboundWriter) async throws {
        try await outbound.writeTextMessage(value.canonicalString)
    }
}

/// A flag set once (the first frame arrived; it authenticated).
final class OnceFlag: Sendable {
    let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}

/// The credential a socket authenticated with, and the cache generation it was last checked at.
final class CredentialCheck: Sendable {
    let token: String
    let clientIP: String
    let checked: Mutex<UInt64>

    init(token: String, clientIP: String, generation: UInt64) {
        self.token = token
        self.clientIP = clientIP
        self.checked = Mutex(generation)
    }

    /// True while the credential has not been validated at `generation` (the writer and the idle
    /// watcher may both validate; neither writes a frame on the strength of the other's pending check).
    func needsCheck(generation: UInt64) -> Bool {
        checked.withLock { $0 != generation }
    }

    func validated(generation: UInt64) {
        checked.withLock { $0 = generation }
    }
}

extension RealtimeConnection.Authentication {
    var isUnavailable: Bool {
        if case .unavailable = self { return true }
        return false
    }
}
