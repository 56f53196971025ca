import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOSSL
import ServiceLifecycle

/// Sends webhook deliveries from the durable queue. Every tick (200 ms) it routes new events into
/// the queue (`WebhookOutbox`), then leases the due deliveries that head their endpoint's queue
/// and sends each once: a lease (`leased_until`, compare-and-set) keeps two servers from sending
/// one delivery at the same time, and a server that dies mid-attempt leaves a lease that simply
/// expires (60 s), after which any server sends it again with the same `webhook-id`.
struct WebhookDispatcher: Service {
    static let tick: Duration = .milliseconds(200)
    static let leaseMilliseconds: Int64 = 60_000
    static let maxInFlight = 16

    let database: any Database
    let box: SecretBox
    let resolver: WebhookAddressResolver
    let schedule: WebhookRetrySchedule
    let logger: Logger
    /// This process's lease name.
    let owner = "srv_" + SecureRandom.token(bytes: 12)
    let client = WebhookHTTPClient()

    init(dependencies: ServerDependencies) {
        database = dependencies.database
        box = dependencies.keys.webhookBox
        resolver = WebhookAddressResolver(allowPrivate: dependencies.configuration.webhookAllowPrivate)
        schedule = WebhookRetrySchedule(baseMilliseconds: Int64(dependencies.configuration.webhookRetryBaseMS))
        logger = dependencies.logger
    }

    func run() async throws {
        // Migrations run before the listener opens; the first pass waits for them.
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        if database.notifications == nil {
            // One process owns this database (SQLite): any lease left is from a previous run that died.
            try? await database.write { db in try await WebhookDeliveryRepository().releaseAllLeases(on: db) }
        }
        let inFlight = NIOLockedValueBox(0)
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                do {
                    try await WebhookOutbox(database: database).routeOnce()
                    let room = Self.maxInFlight - inFlight.withLockedValue { $0 }
                    if room > 0 {
                        for delivery in try await claim(limit: room) {
                            inFlight.withLockedValue { $0 += 1 }
                            group.addTask {
                                await attempt(delivery)
                                inFlight.withLockedValue { $0 -= 1 }
                            }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("webhook dispatch failed; retrying", metadata: ["error_type": .string(String(describing: type(of: error)))])
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.tick) }
            }
        }
    }

    func claim(limit: Int) async throws -> [WebhookDeliveryRecord] {
        let now = Clock.milliseconds()
        let due = try await database.read { db in try await WebhookDeliveryRepository().dueHeads(now: now, limit: limit, on: db) }
        var claimed: [WebhookDeliveryRecord] = []
        for delivery in due {
            let owner = self.owner
            let won = try await database.write { db in
                try await WebhookDeliveryRepository().claim(id: delivery.id, owner: owner, until: now + Self.leaseMilliseconds, now: now, on: db)
            }
            if won { claimed.append(delivery) }
        }
        return claimed
    }

    /// One attempt and its bookkeeping; errors are recorded on the delivery, never thrown.
    func attempt(_ delivery: WebhookDeliveryRecord) async {
        let started = Clock.milliseconds()
        do {
            guard let webhook = try await database.read({ db in try await WebhookRepository().find(id: delivery.webhookID, on: db) }) else { return }
            guard let body = try await body(of: delivery, for: webhook) else {
                try await finish(delivery, status: .dead, started: started, httpStatus: nil, error: "the event is no longer in the log (retention)")
                return
            }
            let outcome = await send(body, delivery: delivery, webhook: webhook)
            if let status = outcome.status, (200..<300).contains(status) {
                try await finish(delivery, status: .delivered, started: started, httpStatus: status, error: nil)
            } else if outcome.status == 410 {
                try await database.write { db in
                    try await WebhookRepository().disable(id: webhook.id, reason: "the receiver answered 410 Gone", now: Clock.milliseconds(), on: db)
                }
                try await finish(delivery, status: .dead, started: started, httpStatus: 410, error: "410 Gone: the endpoint is disabled")
            } else {
                let next = Clock.milliseconds()
                    + schedule.delay(afterFailures: Int(delivery.attempts) + 1, retryAfterMilliseconds: outcome.retryAfter, unit: Double.random(in: 0..<1))
                let alive = schedule.allows(nextAttemptAt: next, createdAt: delivery.createdAt)
                try await finish(
                    delivery, status: alive ? .pending : .dead, next: next, started: started, httpStatus: outcome.status,
                    error: outcome.error ?? "the receiver answered \(outcome.status ?? 0)"
                )
            }
        } catch {
            logger.warning("webhook attempt bookkeeping failed", metadata: ["delivery_id": .string(delivery.id)])
        }
    }

    /// The signed body: the event as the log holds it now, or a test delivery's fixed payload.
    func body(of delivery: WebhookDeliveryRecord, for webhook: WebhookRecord) async throws -> Data? {
        guard let seq = delivery.eventSeq else { return Data(delivery.payload.utf8) }
        let events = try await database.read { db in try await EventLog().read(workspaceID: webhook.workspaceID, after: seq - 1, limit: 1, on: db) }
        guard let event = events.first, event.seq == seq else { return nil }
        return Data(WebhookPayload.render(event, for: webhook).canonicalBytes)
    }

    func send(_ body: Data, delivery: WebhookDeliveryRecord, webhook: WebhookRecord) async -> (status: Int?, retryAfter: Int64?, error: String?) {
        guard let url = WebhookURL(webhook.url) else { return (nil, nil, "the URL is not usable") }
        do {
            var secrets = [try box.open(Data(base64Encoded: webhook.secret) ?? Data(), associatedData: Data(webhook.id.utf8))]
            if let previous = webhook.previousSecret, let until = webhook.previousSecretUntil, until > Clock.milliseconds() {
                secrets.append(try box.open(Data(base64Encoded: previous) ?? Data(), associatedData: Data(webhook.id.utf8)))
            }
            let address = try await resolver.resolve(url)
            let timestamp = Int64(Date().timeIntervalSince1970)
            let headers = [
                ("webhook-id", delivery.id),
                ("webhook-timestamp", String(timestamp)),
                ("webhook-signature", WebhookSignature.header(secrets: secrets, messageID: delivery.id, timestamp: timestamp, body: body)),
            ]
            let answer = try await client.post(to: address, url: url, headers: headers, body: body)
            let error = (300..<400).contains(answer.status) ? "redirect (\(answer.status)) not followed" : nil
            return (answer.status, answer.retryAfterMilliseconds, error)
        } catch let refusal as WebhookAddressResolver.Refusal {
            return (nil, nil, refusal.description)
        } catch let failure as WebhookHTTPClient.Failure {
            return (nil, nil, failure.description)
        } catch let error as NIOSSLError {
            return (nil, nil, "TLS failed (\(Self.tlsReason(error)))")
        } catch is SecretBox.BoxError {
            return (nil, nil, "the signing secret could not be opened (master key changed?)")
        } catch {
            return (nil, nil, "connection failed (\(type(of: error)))")
        }
    }

    static func tlsReason(_ error: NIOSSLError) -> String {
        if case .handshakeFailed = error { return "handshake failed: the certificate was not accepted" }
        return String(describing: error).prefix(80).description
    }

    func finish(
        _ delivery: WebhookDeliveryRecord, status: WebhookDeliveryRecord.Status, next: Int64? = nil, started: Int64, httpStatus: Int?, error: String?
    ) async throws {
        let now = Clock.milliseconds()
        let owner = self.owner
        try await database.write { db in
            try await WebhookDeliveryRepository().finishAttempt(
                id: delivery.id, owner: owner, status: status, nextAttemptAt: next ?? now, at: now, httpStatus: httpStatus, latencyMs: now - started,
                error: error, on: db
            )
        }
        Counter(label: "conclave_webhook_attempts_total", dimensions: [("outcome", status.rawValue)]).increment()
        logger.info(
            "webhook delivery attempt",
            metadata: [
                "webhook_id": .string(delivery.webhookID), "delivery_id": .string(delivery.id), "outcome": .string(status.rawValue),
                "http_status": .string(httpStatus.map(String.init) ?? "none"),
            ]
        )
    }
}
