import ConclaveCore
import ConclaveSecurity
import Foundation
import SQLKit

/// Appends to and reads the hash-chained audit log. There is no update or delete here, and the
/// schema's triggers refuse both, so the application cannot rewrite history even by mistake.
///
/// Each workspace has its own chain (`chain` = the workspace id); events outside any workspace
/// (a failed login for an unknown email, server start) go to the `system` chain.
public struct AuditRepository: Sendable {
    public static let systemChain = "system"

    public init() {}

    /// Appends inside the caller's transaction, so the entry commits with the action it records.
    @discardableResult
    public func append(_ event: AuditEvent, on db: DatabaseSession, kind: DatabaseKind) async throws -> AuditRecord {
        let chain = event.workspaceID ?? Self.systemChain
        if kind == .postgres {
            // Serialises appends to one chain across connections and servers.
            try await db.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: chain)))").run()
        }
        let head = try await db.raw(
            "SELECT seq, hash FROM audit_log WHERE chain = \(bind: chain) ORDER BY seq DESC LIMIT 1"
        ).firstRecord(ChainHead.self)
        let previousSeq = head?.seq ?? 0
        let previousHash = head?.hash ?? AuditHasher.genesisHash
        var record = AuditRecord(
            id: Identifier.generate(.audit),
            chain: chain,
            seq: previousSeq + 1,
            at: Clock.rfc3339(Date()),
            actor: event.actor,
            action: event.action,
            target: event.target,
            workspaceID: event.workspaceID,
            details: .object(event.details),
            prevHash: previousHash,
            hash: ""
        )
        record.hash = AuditHasher.hash(previous: previousHash, entry: record.hashedContent)
        try await db.raw(
            """
            INSERT INTO audit_log (id, chain, seq, at, actor_id, actor_kind, actor_ip, action, target, workspace_id, details, prev_hash, hash)
            VALUES (\(bind: record.id), \(bind: chain), \(bind: record.seq), \(bind: record.at), \(bind: record.actor.id),
                    \(bind: record.actor.kind.rawValue), \(bind: record.actor.ip), \(bind: record.action), \(bind: record.target),
                    \(bind: record.workspaceID), \(bind: record.details.canonicalString), \(bind: record.prevHash), \(bind: record.hash))
            """
        ).run()
        return record
    }

    /// One page of a chain in seq order, optionally filtered.
    public func list(
        chain: String,
        afterSeq: Int64,
        limit: Int,
        action: String? = nil,
        actorID: String? = nil,
        on db: DatabaseSession
    ) async throws -> [AuditRecord] {
        try await db.raw(listQuery(chain: chain, afterSeq: afterSeq, limit: limit, action: action, actorID: actorID))
            .allRecords(StoredEntry.self).map(\.record)
    }

    /// The statement behind `list`; each filter has an index that leads with `chain` and ends
    /// with `seq` (`audit_log_action`, `audit_log_actor`), so a filtered page never scans a chain.
    public func listQuery(chain: String, afterSeq: Int64, limit: Int, action: String? = nil, actorID: String? = nil) -> SQLQueryString {
        var query = SQLQueryString("SELECT * FROM audit_log WHERE chain = \(bind: chain) AND seq > \(bind: afterSeq)")
        if let action { query.appendInterpolation(" AND action = \(bind: action)" as SQLQueryString) }
        if let actorID { query.appendInterpolation(" AND actor_id = \(bind: actorID)" as SQLQueryString) }
        query.appendInterpolation(" ORDER BY seq ASC LIMIT \(bind: limit)" as SQLQueryString)
        return query
    }

    public func chains(on db: DatabaseSession) async throws -> [String] {
        try await db.raw("SELECT DISTINCT chain FROM audit_log ORDER BY chain").all(decodingColumn: "chain", as: String.self)
    }

    struct ChainHead: Decodable {
        var seq: Int64
        var hash: String
    }

    /// An `audit_log` row: the actor in three columns, the details as canonical JSON text.
    struct StoredEntry: Decodable {
        var id: String
        var chain: String
        var seq: Int64
        var at: String
        var actorID: String?
        var actorKind: AuditActor.Kind
        var actorIP: String?
        var action: String
        var target: String?
        var workspaceID: String?
        var details: String
        var prevHash: String
        var hash: String

        var record: AuditRecord {
            AuditRecord(
                id: id, chain: chain, seq: seq, at: at, actor: AuditActor(id: actorID, kind: actorKind, ip: actorIP), action: action,
                target: target, workspaceID: workspaceID,
                // Text that is not JSON (written by hand into the table) stays as it is, for the verifier to flag.
                details: (try? JSONValueParser.parse(details)) ?? .string(details), prevHash: prevHash, hash: hash
            )
        }
    }
}
