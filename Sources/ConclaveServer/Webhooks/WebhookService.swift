import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// Webhook endpoints of a workspace: create, list, read, update, delete, rotate the secret, send a
/// test delivery, list deliveries and replay one.
///
/// Admins and owners manage the workspace's webhooks (API keys need `webhooks:manage`). An agent
/// with `webhooks:manage` manages only webhooks for itself (`agent_id` = the agent): others'
/// are 404 to it. A webhook delivers what its subject may see (`agent_id`, else its creator):
/// nobody gets through a webhook what their own event stream would not show them.
struct WebhookService {
    let dependencies: ServerDependencies

    /// How long the old secret keeps signing deliveries after a rotation.
    static let rotationWindowMilliseconds: Int64 = 24 * 3_600_000
    static let maxEventTypes = 32
    static let maxChannelIDs = 100

    struct CreateRequest: Decodable {
        let url: String
        let events: [String]
        let channelIDs: [String]?
        let mentionsOnly: Bool?
        let agentID: String?

        enum CodingKeys: String, CodingKey {
            case url, events
            case channelIDs = "channel_ids"
            case mentionsOnly = "mentions_only"
            case agentID = "agent_id"
        }
    }

    struct UpdateRequest: Decodable {
        let url: String?
        let events: [String]?
        let channelIDs: [String]?
        let mentionsOnly: Bool?
        let disabled: Bool?

        enum CodingKeys: String, CodingKey {
            case url, events
            case channelIDs = "channel_ids"
            case mentionsOnly = "mentions_only"
            case disabled
        }
    }

    /// nil for a person who may manage every webhook of the workspace; the agent's id for an agent
    /// (it sees and manages only its own).
    func manager(_ principal: Principal, in workspaceID: String, on db: DatabaseSession? = nil) async throws -> String? {
        let permission: Permission = principal.kind == .agent ? .workspaceRead : .webhooksManage
        if let db {
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: permission, on: db)
        } else {
            _ = try await dependencies.requireRole(principal, in: workspaceID, for: permission)
        }
        return principal.kind == .agent ? principal.id : nil
    }

    func visibleWebhook(_ principal: Principal, webhookID: String, in workspaceID: String) async throws -> WebhookRecord {
        let ownAgent = try await manager(principal, in: workspaceID)
        guard let webhook = try await dependencies.database.read({ db in try await WebhookRepository().find(id: webhookID, workspaceID: workspaceID, on: db) }),
            ownAgent == nil || webhook.agentID == ownAgent
        else { throw Problem.notFound }
        return webhook
    }

    func create(_ principal: Principal, workspaceID: String, clientIP: String, body: @autoclosure () async throws -> CreateRequest) async throws
        -> (WebhookRecord, String)
    {
        let ownAgent = try await manager(principal, in: workspaceID)
        let body = try await body()
        var errors = Self.validate(url: body.url, events: body.events, channelIDs: body.channelIDs)
        if let agentID = body.agentID, !Identifier.isWellFormed(agentID, kind: .agent) {
            errors.append(FieldError(field: "agent_id", message: "must be an agent id (agt_…)"))
        }
        if !errors.isEmpty { throw Problem.validation(errors) }
        if let ownAgent, let agentID = body.agentID, agentID != ownAgent {
            throw Problem.forbidden("An agent may create webhooks only for itself (agent_id must be its own id).")
        }
        let agentID = ownAgent ?? body.agentID
        let secret = WebhookSignature.newSecret()
        let webhookID = Identifier.generate(.webhook)
        let sealed = try dependencies.keys.webhookBox.seal(secret, associatedData: Data(webhookID.utf8)).base64EncodedString()
        let webhook = try await dependencies.database.write { db in
            _ = try await manager(principal, in: workspaceID, on: db)
            if let agentID, try await AgentRepository().find(id: agentID, workspaceID: workspaceID, on: db) == nil {
                throw Problem.validation(field: "agent_id", "is not an agent of this workspace")
            }
            let now = Clock.milliseconds()
            let webhook = WebhookRecord(
                id: webhookID, workspaceID: workspaceID, url: body.url, events: WebhookFilter.text(body.events),
                channelIDs: body.channelIDs.map(WebhookFilter.text), mentionsOnly: body.mentionsOnly ?? false, agentID: agentID,
                scopes: principal.scopes.map { WebhookFilter.text($0.map(\.rawValue).sorted()) }, secret: sealed,
                // Events from now on: what happened before the endpoint existed is not delivered.
                position: try await EventLog().head(workspaceID: workspaceID, on: db), createdBy: principal.id, createdAt: now
            )
            try await WebhookRepository().insert(webhook, on: db)
            try await audit("webhook.created", principal, webhook, clientIP: clientIP, on: db)
            return webhook
        }
        return (webhook, WebhookSignature.display(secret))
    }

    func list(_ principal: Principal, workspaceID: String, page: @autoclosure () throws -> Page) async throws -> (page: [WebhookRecord], nextCursor: JSONValue) {
        let ownAgent = try await manager(principal, in: workspaceID)
        let page = try page()
        let rows = try await dependencies.database.read { db in
            try await WebhookRepository().list(workspaceID: workspaceID, agentID: ownAgent, after: page.after, limit: page.limit + 1, on: db)
        }
        return page.finish(rows) { $0.id }
    }

    func update(_ principal: Principal, webhookID: String, in workspaceID: String, clientIP: String, body: UpdateRequest) async throws -> WebhookRecord {
        var webhook = try await visibleWebhook(principal, webhookID: webhookID, in: workspaceID)
        let errors = Self.validate(url: body.url, events: body.events, channelIDs: body.channelIDs)
        if !errors.isEmpty { throw Problem.validation(errors) }
        if let url = body.url { webhook.url = url }
        if let events = body.events { webhook.events = WebhookFilter.text(events) }
        if let channelIDs = body.channelIDs { webhook.channelIDs = WebhookFilter.text(channelIDs) }
        if let mentionsOnly = body.mentionsOnly { webhook.mentionsOnly = mentionsOnly }
        if let disabled = body.disabled {
            webhook.disabled = disabled
            webhook.disabledReason = disabled ? "disabled by a manager" : nil
        }
        let updated = webhook
        return try await dependencies.database.write { db in
            _ = try await manager(principal, in: workspaceID, on: db)
            guard try await WebhookRepository().find(id: webhookID, workspaceID: workspaceID, on: db) != nil else { throw Problem.notFound }
            let now = Clock.milliseconds()
            try await WebhookRepository().update(updated, now: now, on: db)
            try await audit("webhook.updated", principal, updated, clientIP: clientIP, on: db)
            var result = updated
            result.updatedAt = now
            return result
        }
    }

    func delete(_ principal: Principal, webhookID: String, in workspaceID: String, clientIP: String) async throws {
        let webhook = try await visibleWebhook(principal, webhookID: webhookID, in: workspaceID)
        try await dependencies.database.write { db in
            _ = try await manager(principal, in: workspaceID, on: db)
            try await WebhookRepository().delete(id: webhook.id, on: db)
            try await audit("webhook.deleted", principal, webhook, clientIP: clientIP, on: db)
        }
    }

    /// A new secret, shown once; the old one keeps signing (a second signature) for a day.
    func rotate(_ principal: Principal, webhookID: String, in workspaceID: String, clientIP: String) async throws -> (WebhookRecord, String) {
        let webhook = try await visibleWebhook(principal, webhookID: webhookID, in: workspaceID)
        let secret = WebhookSignature.newSecret()
        let sealed = try dependencies.keys.webhookBox.seal(secret, associatedData: Data(webhook.id.utf8)).base64EncodedString()
        let rotated = try await dependencies.database.write { db in
            _ = try await manager(principal, in: workspaceID, on: db)
            guard let current = try await WebhookRepository().find(id: webhookID, workspaceID: workspaceID, on: db) else { throw Problem.notFound }
            let now = Clock.milliseconds()
            let until = now + Self.rotationWindowMilliseconds
            try await WebhookRepository().rotate(id: webhookID, secret: sealed, previousSecret: current.secret, previousUntil: until, now: now, on: db)
            try await audit("webhook.secret_rotated", principal, current, clientIP: clientIP, on: db)
            var rotated = current
            rotated.secret = sealed
            rotated.previousSecret = current.secret
            rotated.previousSecretUntil = until
            rotated.updatedAt = now
            return rotated
        }
        return (rotated, WebhookSignature.display(secret))
    }

    /// Queues a `webhook.test` delivery (behind whatever the endpoint has waiting).
    func test(_ principal: Principal, webhookID: String, in workspaceID: String) async throws -> WebhookDeliveryRecord {
        let webhook = try await visibleWebhook(principal, webhookID: webhookID, in: workspaceID)
        return try await dependencies.database.write { db in
            let now = Clock.milliseconds()
            let payload: JSONValue = [
                "type": .string(WebhookFilter.testType),
                "timestamp": .string(Clock.rfc3339(milliseconds: now)),
                "data": ["webhook_id": .string(webhook.id), "workspace_id": .string(workspaceID), "occurred_at": .string(Clock.rfc3339(milliseconds: now))],
            ]
            let id = Identifier.generate(.webhookDelivery)
            let ordinal = try await WebhookRepository().nextOrdinal(id: webhook.id, on: db)
            try await WebhookDeliveryRepository().insert(
                id: id, webhookID: webhook.id, ordinal: ordinal, eventSeq: nil, type: WebhookFilter.testType, payload: payload.canonicalString,
                now: now, on: db
            )
            guard let delivery = try await WebhookDeliveryRepository().find(id: id, webhookID: webhook.id, on: db) else { throw Problem.notFound }
            return delivery
        }
    }

    func deliveries(_ principal: Principal, webhookID: String, in workspaceID: String, failedOnly: Bool, page: Page) async throws
        -> (page: [WebhookDeliveryRecord], nextCursor: JSONValue)
    {
        let webhook = try await visibleWebhook(principal, webhookID: webhookID, in: workspaceID)
        let rows = try await dependencies.database.read { db in
            try await WebhookDeliveryRepository().list(webhookID: webhook.id, failedOnly: failedOnly, after: page.after, limit: page.limit + 1, on: db)
        }
        return page.finish(rows) { $0.id }
    }

    /// Sends a delivery again with its `webhook-id` unchanged (receivers dedupe on it), due now.
    func replay(_ principal: Principal, webhookID: String, deliveryID: String, in workspaceID: String, clientIP: String) async throws
        -> WebhookDeliveryRecord
    {
        let webhook = try await visibleWebhook(principal, webhookID: webhookID, in: workspaceID)
        return try await dependencies.database.write { db in
            let repository = WebhookDeliveryRepository()
            guard try await repository.find(id: deliveryID, webhookID: webhook.id, on: db) != nil else { throw Problem.notFound }
            try await repository.requeue(id: deliveryID, now: Clock.milliseconds(), on: db)
            try await audit("webhook.delivery_replayed", principal, webhook, clientIP: clientIP, details: ["delivery_id": .string(deliveryID)], on: db)
            guard let delivery = try await repository.find(id: deliveryID, webhookID: webhook.id, on: db) else { throw Problem.notFound }
            return delivery
        }
    }

    /// Ids only: never the secret, nor the URL (its query may carry a receiver's token).
    func audit(
        _ action: String, _ principal: Principal, _ webhook: WebhookRecord, clientIP: String, details: [String: JSONValue] = [:], on db: DatabaseSession
    ) async throws {
        try await dependencies.audit(
            AuditEvent(
                actor: AuditActor(id: principal.id, kind: AuditActor.Kind(principal.kind), ip: clientIP), action: action, target: webhook.id,
                workspaceID: webhook.workspaceID, details: details
            ),
            on: db
        )
    }

    static func validate(url: String?, events: [String]?, channelIDs: [String]?) -> [FieldError] {
        var errors: [FieldError] = []
        if let url, WebhookURL(url) == nil {
            errors.append(FieldError(field: "url", message: "must be an absolute http(s) URL with a host, no user information or fragment, ≤ 2048 bytes"))
        }
        if let events {
            let known = Set(EventType.allCases.map(\.rawValue)).union([WebhookFilter.wildcard])
            if events.isEmpty || events.count > maxEventTypes || !events.allSatisfy(known.contains) {
                errors.append(FieldError(field: "events", message: "must list 1-\(maxEventTypes) event types (or \"*\" for all)"))
            }
        }
        if let channelIDs, channelIDs.count > maxChannelIDs || !channelIDs.allSatisfy({ Identifier.isWellFormed($0, kind: .channel) }) {
            errors.append(FieldError(field: "channel_ids", message: "must list at most \(maxChannelIDs) channel ids (ch_…)"))
        }
        return errors
    }
}
