import ConclaveCore
import SQLKit

/// Members' handles, kept on their membership rows: a person has one per workspace, an agent
/// its one. Unique per workspace (index `memberships_handle`). Every choice of a handle first
/// takes `lock`, so two joins deriving the same handle, or a join and a rename, take turns
/// instead of one of them failing on the index.
public struct HandleRepository: Sendable {
    public init() {}

    /// Numbered handles tried per query when the derived one is taken.
    static let batch = 20

    /// Serialises handle choices in `workspaceID` until the transaction ends: a PostgreSQL
    /// advisory lock (its own key space, so no table row is held); SQLite's single writer
    /// serialises them already.
    public func lock(workspaceID: String, on db: DatabaseSession) async throws {
        guard db.isPostgres else { return }
        try await db.raw("SELECT pg_advisory_xact_lock(7350012, hashtext(\(bind: workspaceID)))").run()
    }

    /// `base` when no member of the workspace holds it, else the first free `base-2`, `base-3`…
    /// Call it under `lock`.
    public func firstFree(_ base: Handle, in workspaceID: String, on db: DatabaseSession) async throws -> Handle {
        var next = 1
        while true {
            let candidates = (next..<(next + Self.batch)).map { $0 == 1 ? base : base.numbered($0) }
            let taken = Set(try await holders(of: candidates, in: workspaceID, on: db).keys)
            if let free = candidates.first(where: { !taken.contains($0) }) { return free }
            next += Self.batch
        }
    }

    /// Which of `handles` members of the workspace hold, and who holds each.
    public func holders(of handles: [Handle], in workspaceID: String, on db: DatabaseSession) async throws -> [Handle: String] {
        guard !handles.isEmpty else { return [:] }
        let values: [any Encodable & Sendable] = handles.map(\.value)
        let rows = try await db.raw(
            "SELECT handle, principal_id FROM memberships WHERE workspace_id = \(bind: workspaceID) AND handle IN (\(binds: values))"
        ).allRecords(Holder.self)
        var holders: [Handle: String] = [:]
        for row in rows {
            if let handle = Handle(row.handle) { holders[handle] = row.principalID }
        }
        return holders
    }

    public func handle(of principalID: String, in workspaceID: String, on db: DatabaseSession) async throws -> String? {
        try await db.raw(
            "SELECT handle FROM memberships WHERE workspace_id = \(bind: workspaceID) AND principal_id = \(bind: principalID)"
        ).first(decodingColumn: "handle", as: String.self)
    }

    public func set(_ handle: Handle, of principalID: String, in workspaceID: String, on db: DatabaseSession) async throws {
        try await db.raw(
            "UPDATE memberships SET handle = \(bind: handle.value) WHERE workspace_id = \(bind: workspaceID) AND principal_id = \(bind: principalID)"
        ).run()
    }

    /// The handle a new membership gets: derived from the member's name (a person's or an
    /// agent's), numbered when taken. Call it under `lock`.
    func assign(to principalID: String, in workspaceID: String, on db: DatabaseSession) async throws -> Handle {
        let name = try await db.raw(
            """
            SELECT COALESCE((SELECT name FROM users WHERE id = \(bind: principalID)), (SELECT name FROM agents WHERE id = \(bind: principalID)), '') AS name
            """
        ).first(decodingColumn: "name", as: String.self) ?? ""
        return try await firstFree(Self.derived(from: name, principalID: principalID), in: workspaceID, on: db)
    }

    /// The handle a name suggests; `agent` or `member` when nothing of the name is usable.
    static func derived(from name: String, principalID: String) -> Handle {
        Handle.derived(from: name, fallback: Identifier.isWellFormed(principalID, kind: .agent) ? .agent : .member)
    }

    struct Holder: Decodable {
        var handle: String
        var principalID: String
    }
}
