import ConclaveCore
import ConclaveStore

/// Turns the event log into deliveries: for each enabled endpoint behind its workspace's log, the
/// next events it may see become `webhook_deliveries` rows and its position moves past them, in
/// one transaction that commits only if no other server moved the position meanwhile.
///
/// Visibility is the event stream's own (`EventFilter`) for the endpoint's subject, its `agent_id`
/// or else its creator: their current channel memberships (each from the seq it began at) and
/// `mentions_only` exactly as on a stream. A subject no longer in the workspace gets nothing; a
/// paused agent's webhook waits (nothing is routed) until the agent is resumed.
struct WebhookOutbox: Sendable {
    struct Moved: Error {}

    static let batch = 200

    let database: any Database

    /// Routes one batch for every endpoint behind the log; the number of deliveries created.
    @discardableResult
    func routeOnce() async throws -> Int {
        let webhooks = try await database.read { db in try await WebhookRepository().behindTheLog(on: db) }
        var created = 0
        for webhook in webhooks {
            do {
                created += try await database.write { db in try await route(webhook, on: db) }
            } catch is Moved {
                continue  // another server routed these events
            } catch StoreError.conflict {
                continue  // another server routed them concurrently (its rows won the unique keys)
            }
        }
        return created
    }

    func route(_ webhook: WebhookRecord, on db: DatabaseSession) async throws -> Int {
        if let agentID = webhook.agentID, try await AgentRepository().find(id: agentID, on: db)?.status == .paused {
            // A paused agent is not fed: its events wait in the log (the position stays) until it is resumed.
            return 0
        }
        let log = EventLog()
        let events = try await log.read(workspaceID: webhook.workspaceID, after: webhook.position, limit: Self.batch, on: db)
        let subject = Self.subject(of: webhook)
        var visibility: EventFilter?
        if try await WorkspaceRepository().role(of: subject.id, in: webhook.workspaceID, on: db) != nil {
            let channels = ChannelRepository()
            visibility = EventFilter(
                principal: subject, mentionsOnly: webhook.mentionsOnly,
                channels: try await channels.membershipsJoinedAt(principalID: subject.id, workspaceID: webhook.workspaceID, on: db),
                dmChannels: try await channels.memberships(principalID: subject.id, workspaceID: webhook.workspaceID, kind: .dm, on: db)
            )
        }
        let wanted = WebhookFilter(webhook)
        var count = webhook.deliveryCount
        for event in events {
            guard visibility?.admit(event) == true, wanted.wants(event) else { continue }
            count += 1
            try await WebhookDeliveryRepository().insert(
                id: Identifier.generate(.webhookDelivery), webhookID: webhook.id, ordinal: count, eventSeq: event.seq, type: event.type.rawValue,
                payload: "", now: Clock.milliseconds(), on: db
            )
        }
        // Past events retention removed too (none left to read): up to the head.
        let position: Int64
        if let last = events.last { position = last.seq } else { position = try await log.head(workspaceID: webhook.workspaceID, on: db) }
        guard try await WebhookRepository().advance(
            id: webhook.id, from: (webhook.position, webhook.deliveryCount), to: position, deliveryCount: count, on: db
        ) else { throw Moved() }
        return Int(count - webhook.deliveryCount)
    }

    /// Whose view the endpoint delivers, limited to the scopes of the API key that created it.
    static func subject(of webhook: WebhookRecord) -> Principal {
        let scopes = webhook.scopes.map { Set(WebhookFilter.strings($0).compactMap(Scope.init(rawValue:))) }
        if let agentID = webhook.agentID { return Principal(id: agentID, kind: .agent, scopes: scopes) }
        let kind: Principal.Kind = webhook.createdBy.hasPrefix(IdentifierKind.agent.rawValue + "_") ? .agent : .human
        return Principal(id: webhook.createdBy, kind: kind, scopes: scopes)
    }
}
