import ConclaveCore
import ConclaveStore

/// The loop budget (contract v1.1): a message's provenance, computed inside the send's
/// transaction after the channel row's lock, and the refusal of an agent's message that would
/// make its thread's run of agent messages longer than the workspace allows.
enum LoopBudget {
    /// Thrown inside the send's transaction, so that nothing it wrote (the seq, a reply count)
    /// is kept; `MessageService.send` then audits the first refusal of the run and answers 429.
    struct Refusal: Error {
        let budget: Int64
        /// The thread's latest message, which ends the exhausted run, and which of its flags
        /// (`MessageRepository.markLoopRefused`) records that the run's refusal was audited.
        let tipID: String
        let flag: Int64
        let threadID: String?
        let triggerID: String?
    }

    /// The provenance of `principal`'s message in `channel`, in the thread under `root` (nil: at
    /// the top level). Two sends of one channel never both read the same latest message: the
    /// caller holds the channel row's lock (PostgreSQL) or the one writer (SQLite).
    static func provenance(
        of principal: Principal, in channel: ChannelRecord, under root: MessageRecord?, on db: DatabaseSession
    ) async throws -> MessageProvenance {
        var flag: Int64 = 1
        var tip: MessageProvenance.ThreadTip?
        if let latest = try await MessageRepository().latest(channelID: channel.id, threadID: root?.id, on: db) {
            tip = .init(senderKind: latest.senderKind, messageID: latest.id, hops: latest.hops, triggerID: latest.triggerID)
        } else if let root {
            // A thread's first reply follows its root, counted within the thread only: a person's
            // root triggers the thread's run, an agent's root is its first agent message.
            flag = 2
            let byAgent = root.senderKind == .agent
            tip = .init(senderKind: root.senderKind, messageID: root.id, hops: byAgent ? 1 : 0, triggerID: byAgent ? root.triggerID : nil)
        }
        let provenance = MessageProvenance.next(from: principal, after: tip)
        guard principal.kind == .agent, let tip else { return provenance }
        let budget = try await WorkspaceRepository().loopBudget(id: channel.workspaceID, on: db) ?? WorkspaceRecord.defaultLoopBudget
        if provenance.exceeds(budget: budget) {
            throw Refusal(budget: budget, tipID: tip.messageID, flag: flag, threadID: root?.id, triggerID: provenance.triggerID)
        }
        return provenance
    }

    /// The refusal's audit entry, written only for the first refusal of the run (bounded: one per
    /// run, however often the agents retry). Ids only: no message text.
    static func auditFirst(_ refusal: Refusal, of principal: Principal, in channel: ChannelRecord, clientIP: String, dependencies: ServerDependencies)
        async throws
    {
        try await dependencies.database.write { db in
            guard try await MessageRepository().markLoopRefused(messageID: refusal.tipID, flag: refusal.flag, on: db) else { return }
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: principal.id, kind: AuditActor.Kind(principal.kind), ip: clientIP),
                    action: "message.loop_budget_exhausted", target: channel.id, workspaceID: channel.workspaceID,
                    details: [
                        "channel_id": .string(channel.id), "thread_id": refusal.threadID.map(JSONValue.string) ?? .null,
                        "trigger_id": refusal.triggerID.map(JSONValue.string) ?? .null, "loop_budget": .int(refusal.budget),
                    ]
                ),
                on: db
            )
        }
    }
}
