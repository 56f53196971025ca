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

    let verifier: CredentialVerifier

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
        /// The client's address, for the audit entries a frame may cause (a loop-budget refusal).
        let clientIP: String
        let ackOrdering = AckOrdering()
    }

    func serve(
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, closer: SocketCloser, clientIP: String, logger: Logger
    ) async throws {
        let authenticated = OnceFlag()
        let frameReceived = OnceFlag()
        // Closing is not enough at the deadline: the read below would wait for a client that never
        // answers the close, holding the connection for good. The closer cuts it after a grace.
        let deadline = Task {
            try await Task.sleep(for: Self.authTimeout)
            guard !authenticated.isSet else { return }
            if frameReceived.isSet {
                // The client did its part; the database did not answer in time.
                await closer.close(.unexpectedServerError, reason: "credentials could not be verified; reconnect")
            } else {
                await closer.close(CloseCode.unauthorized, reason: "authenticate within 10 seconds")
            }
        }
        defer { deadline.cancel() }
        var messages = InboundMessageReader(inbound, maxSize: Self.maxInboundMessage)
        let first = try await Self.read(&messages, closer: closer)
        frameReceived.set()
        guard let auth = Self.authFrame(first) else {
            if first != nil { await closer.close(CloseCode.unauthorized, reason: "authenticate with the first frame") }
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

        let writer = Task {
            try await self.writeEvents(stream, check: opened.check, ackOrdering: opened.ackOrdering, outbound: outbound, closer: closer)
        }
        defer { writer.cancel() }
        let replay = Task { try await stream.replayPending() }
        defer { replay.cancel() }
        // Read here rather than in a callee: the first frame was read at this depth too, so both
        // reads reuse one stack slab of this long-lived task.
        while let message = try await Self.read(&messages, closer: closer) {
            guard try await handle(message, opened: opened, outbound: outbound, closer: closer) else { return }
        }
    }

    /// The next client message; nil when the client closed, or when the message broke a bound
    /// and the socket is being closed for it.
    static func read(_ messages: inout InboundMessageReader, closer: SocketCloser) async throws -> WebSocketMessage? {
        do {
            return try await messages.next()
        } catch let violation as InboundMessageReader.Violation {
            await closer.close(violation.closeCode, reason: violation.reason)
            return nil
        }
    }

    /// Authenticates the first frame, applies the connection limits, subscribes the stream and
    /// sends `ready`. Nil when it has closed the socket instead.
    func open(
        _ auth: RealtimeAuthFrame, clientIP: String, outbound: WebSocketOutboundWriter, closer: SocketCloser, authenticated: OnceFlag
    ) async throws -> OpenedStream? {
        // Failed authentications are limited per client IP before any lookup, as on REST.
        let failures = authenticator.failures
        if failures.refusal(clientIP: clientIP) != nil {
            await closer.close(CloseCode.tooManyConnections, reason: "too many failed authentications")
            return nil
        }
        // The generation before authenticating: a revocation racing with it is re-checked.
        let generation = verifier.generation
        let principal: Principal
        switch await verifier.authenticate(auth.token, clientIP: clientIP, within: Self.firstAuthenticationTimeout) {
        case .authenticated(let authenticated):
            principal = authenticated
        case .paused:
            await closer.close(CloseCode.locked, reason: "agent paused")
            return nil
        case .rejected(let costly):
            if costly { failures.record(clientIP: clientIP) }
            await closer.close(CloseCode.unauthorized, reason: "invalid credentials")
            return nil
        case .unavailable:
            // The database did not answer in time: the token may well be good, so not 4401.
            await closer.close(.unexpectedServerError, reason: "credentials could not be verified; reconnect")
            return nil
        }
        authenticated.set()
        guard dependencies.rateLimiter.consume(dependencies.configuration.rateLimits["ws_connect"], key: principal.id).allowed else {
            await closer.close(CloseCode.tooManyConnections, reason: "too many connection attempts")
            return nil
        }
        let capKey = principal.sessionID ?? principal.id
        let configuration = dependencies.configuration
        let cap = principal.kind == .agent ? configuration.socketsPerAgent : configuration.socketsPerSession
        guard registry.acquire(capKey, limit: cap) else {
            await closer.close(CloseCode.tooManyConnections, reason: "too many open sockets")
            return nil
        }
        var resume: StreamCursor?
        var resumeFailed = false
        if let text = auth.resumeFrom {
            resume = StreamCursor.decode(text)
            resumeFailed = resume == nil
        }
        let mentionsOnly = auth.mentionsOnly ?? false
        // The writer may be stuck in a write to a client that stopped reading: an overflow starts
        // the close without waiting for it (4408, and the connection is cut after a grace).
        let cutOff: @Sendable () -> Void = {
            Task { await closer.close(CloseCode.tooSlow, reason: "client is not reading fast enough", cutAfter: SocketCloser.slowReaderGrace) }
        }
        let interrupted: @Sendable () -> Void = {
            Task { await closer.close(.unexpectedServerError, reason: "the stream was interrupted; resume") }
        }
        var session = StreamSession(principal: principal, hub: hub, mentionsOnly: mentionsOnly, ephemeral: true, onOverflow: cutOff, onJoinFailure: interrupted)
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
            session = StreamSession(principal: principal, hub: hub, mentionsOnly: mentionsOnly, ephemeral: true, onOverflow: cutOff, onJoinFailure: interrupted)
            start = try await session.start(resume: nil)
        }
        if resumeFailed { try await send(["type": "resume_failed"], outbound) }
        var ready: [String: JSONValue] = ["type": "ready", "principal_id": .string(principal.id), "cursor": .string(start.encoded)]
        ready["session_id"] = principal.sessionID.map(JSONValue.string) ?? .null
        try await send(.object(ready), outbound)
        handedOver = true
        let check = CredentialCheck(token: auth.token, clientIP: clientIP, generation: generation)
        return OpenedStream(principal: principal, session: session, capKey: capKey, check: check, clientIP: clientIP)
    }

    static func inChildTask<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            return try await group.next()!
        }
    }

    /// Revocation reaches open sockets too: whenever any credential changes (here or, via NOTIFY,
    /// on another server) the stream is woken, and the socket's own credential is checked again
    /// before the next frame is written, and promptly when idle, and before the next client frame
    /// is acted on; the socket is closed with 4401 if it no longer authenticates, and with 1011
    /// if the database cannot say (the client resumes elsewhere or later). Either way nothing is
    /// written or acted on for an unverified credential.
    func standing(_ check: CredentialCheck, closer: SocketCloser) async -> CredentialVerifier.Standing {
        let standing = await verifier.standing(of: check)
        switch standing {
        case .active, .paused:
            break
        case .revoked:
            await closer.close(CloseCode.unauthorized, reason: "credentials revoked")
        case .unverifiable:
            await closer.close(.unexpectedServerError, reason: "credentials could not be verified; reconnect")
        }
        return standing
    }

    /// Inside the 10 s a client has to authenticate, so an outage is reported as 1011, not 4401.
    static let firstAuthenticationTimeout: Duration = .seconds(5)

    static func authFrame(_ message: WebSocketMessage?) -> RealtimeAuthFrame? {
        guard case .text(let text)? = message else { return nil }
        return try? RealtimeAuthFrame.parse(text)
    }

    func writeEvents(
        _ session: StreamSession, check: CredentialCheck, ackOrdering: AckOrdering, outbound: WebSocketOutboundWriter, closer: SocketCloser
    ) async throws {
        while !Task.isCancelled {
            let frames = await session.next()
            if frames.isEmpty { return }
            await ackOrdering.untilNoSendInFlight()
            // A paused agent still gets what was ordered before its agent.paused event, then 4423.
            switch await standing(check, closer: closer) {
            case .active, .paused: break
            case .revoked, .unverifiable: return
            }
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
                        await closer.close(CloseCode.locked, reason: "agent paused")
                        return
                    }
                }
            }
        }
    }

    /// Answers one client frame; false once the socket is closed. The credential is checked
    /// first (at no cost while no credential changed anywhere): a frame that arrives after a
    /// revocation is not acted on, and a paused agent's is refused with 423. Not inlined: its
    /// frame (and the send path's below it) is allocated only while a frame is handled, not for
    /// as long as an idle socket waits in `serve`.
    @inline(never)
    func handle(_ message: WebSocketMessage, opened: OpenedStream, outbound: WebSocketOutboundWriter, closer: SocketCloser) async throws -> Bool {
        guard case .text(let text) = message else {
            await closer.close(.unacceptableData, reason: "text frames only")
            return false
        }
        switch await standing(opened.check, closer: closer) {
        case .active:
            break
        case .paused:
            try await send(["type": "error", "status": 423, "title": "This agent is paused; an admin can resume it."], outbound)
            return true
        case .revoked, .unverifiable:
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
            opened.ackOrdering.sending()
            defer { opened.ackOrdering.sent() }
            try await handleSend(request, principal: opened.principal, clientIP: opened.clientIP, outbound: outbound)
        case .stream(let request):
            try await handleStream(request, principal: opened.principal, outbound: outbound)
        case .unknown:
            try await send(["type": "error", "status": 400, "title": "Unknown frame type."], outbound)
        }
        return true
    }

    func handleSend(_ frame: RealtimeSendFrame, principal: Principal, clientIP: String, outbound: WebSocketOutboundWriter) async throws {
        let clientMsgID: JSONValue = frame.clientMsgID.map(JSONValue.string) ?? .null
        do {
            guard principal.scopes?.contains(.messagesWrite) ?? true else {
                throw Problem.forbidden("This API key lacks the scope messages:write.")
            }
            guard let channelID = frame.channelID, Identifier.isWellFormed(channelID, kind: .channel) else {
                throw Problem.validation(field: "channel_id", "must be a channel id")
            }
            guard let text = frame.text else { throw Problem.validation(field: "text", "is required") }
            let request = MessageService.SendRequest(
                text: text, clientMsgID: frame.clientMsgID, threadID: frame.threadID, metadata: frame.metadata, kind: frame.kind,
                approval: try frame.approval.map(MessageService.ApprovalBody.init(json:)), fileIDs: frame.fileIDs
            )
            let result = try await MessageService(dependencies: dependencies).send(principal, channelID: channelID, request: request, clientIP: clientIP)
            try await send(["type": "ack", "client_msg_id": clientMsgID, "message": MessageJSON.message(result.message)], outbound)
        } catch StoreError.busy {
            // The database gave up on a contended write: retryable, as a REST send's 503 is.
            try await send(["type": "error", "client_msg_id": clientMsgID, "status": 503, "title": .string(Problem.busy.detail ?? "")], outbound)
        } catch let problem as Problem {
            try await send(Self.errorFrame(problem, naming: "client_msg_id", clientMsgID), outbound)
        } catch {
            try await send(["type": "error", "client_msg_id": clientMsgID, "status": 500, "title": "The server could not send the message."], outbound)
        }
    }

    /// An append is answered only when it fails (`error` with its `message_id`): a reply streamed
    /// at dozens of appends a second needs no ack for each. A final is answered `ack` with the
    /// finished message.
    func handleStream(_ frame: RealtimeStreamFrame, principal: Principal, outbound: WebSocketOutboundWriter) async throws {
        let messageID: JSONValue = frame.messageID.map(JSONValue.string) ?? .null
        do {
            guard principal.scopes?.contains(.messagesWrite) ?? true else {
                throw Problem.forbidden("This API key lacks the scope messages:write.")
            }
            guard let id = frame.messageID, Identifier.isWellFormed(id, kind: .message) else {
                throw Problem.validation(field: "message_id", "must be a message id")
            }
            let service = StreamedReplyService(dependencies: dependencies)
            switch (frame.append, frame.final) {
            case (let append?, nil), (let append?, false?):
                _ = try await service.append(principal, messageID: id, text: append)
            case (nil, true?):
                let message = try await service.finish(principal, messageID: id, text: frame.text)
                try await send(["type": "ack", "client_msg_id": .null, "message": MessageJSON.message(message)], outbound)
            default:
                throw Problem.validation(field: "append", "send either append (text to add) or final: true")
            }
        } catch let problem as Problem {
            try await send(Self.errorFrame(problem, naming: "message_id", messageID), outbound)
        } catch {
            try await send(["type": "error", "message_id": messageID, "status": 503, "title": "The server could not stream into the reply; retry."], outbound)
        }
    }

    /// The `error` frame for a refused `send` or `stream` frame: the status and detail of the
    /// REST answer, its field errors, and the id the frame named (`client_msg_id`, `message_id`).
    static func errorFrame(_ problem: Problem, naming key: String, _ id: JSONValue) -> JSONValue {
        var body: [String: JSONValue] = [
            "type": "error", key: id, "status": .int(Int64(problem.status)), "title": .string(problem.detail ?? problem.title),
        ]
        if !problem.errors.isEmpty {
            body["errors"] = .array(problem.errors.map { ["field": .string($0.field), "message": .string($0.message)] })
        }
        return .object(body)
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
