import ConclaveCore
import SQLKit

/// Channels, DMs and channel membership with read markers.
public struct ChannelRepository: Sendable {
    public init() {}

    public func insertChannel(
        id: String, workspaceID: String, name: String, isPrivate: Bool, topic: String, createdBy: String, now: Int64, on db: DatabaseSession
    ) async throws {
        try await db.raw(
            """
            INSERT INTO channels (id, workspace_id, kind, name, private, topic, dm_key, created_by, created_at, updated_at, last_seq)
            VALUES (\(bind: id), \(bind: workspaceID), 'channel', \(bind: name), \(bind: isPrivate ? 1 : 0), \(bind: topic), NULL,
                    \(bind: createdBy), \(bind: now), \(bind: now), 0)
            """
        ).run()
    }

    public func insertDM(id: String, workspaceID: String, dmKey: String, createdBy: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO channels (id, workspace_id, kind, name, private, topic, dm_key, created_by, created_at, updated_at, last_seq)
            VALUES (\(bind: id), \(bind: workspaceID), 'dm', NULL, 1, '', \(bind: dmKey), \(bind: createdBy), \(bind: now), \(bind: now), 0)
            """
        ).run()
    }

    public func find(id: String, on db: DatabaseSession) async throws -> ChannelRecord? {
        try await db.raw("SELECT * FROM channels WHERE id = \(bind: id)").firstRecord(ChannelRecord.self)
    }

    public func findDM(workspaceID: String, dmKey: String, on db: DatabaseSession) async throws -> ChannelRecord? {
        try await db.raw("SELECT * FROM channels WHERE workspace_id = \(bind: workspaceID) AND dm_key = \(bind: dmKey)")
            .firstRecord(ChannelRecord.self)
    }

    public func update(id: String, name: String?, topic: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            "UPDATE channels SET name = \(bind: name), topic = \(bind: topic), updated_at = \(bind: now) WHERE id = \(bind: id)"
        ).run()
    }

    public func delete(id: String, on db: DatabaseSession) async throws {
        try await db.raw("DELETE FROM channels WHERE id = \(bind: id)").run()
    }

    /// Allocates the next message seq of a channel; the row lock orders concurrent senders. Nil,
    /// allocating nothing, unless `writer` is a member of the channel holding one of
    /// `writerRoles` in its workspace: the authorization, re-checked in the writing statement.
    public func nextSeq(channelID: String, writer: String, writerRoles: [Role], on db: DatabaseSession) async throws -> Int64? {
        let roles: [any Encodable & Sendable] = writerRoles.map(\.rawValue)
        return try await db.raw(
            """
            UPDATE channels SET last_seq = last_seq + 1
            WHERE id = \(bind: channelID)
              AND EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = \(bind: channelID) AND cm.principal_id = \(bind: writer))
              AND EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = channels.workspace_id AND m.principal_id = \(bind: writer)
                          AND m.role IN (\(binds: roles)))
            RETURNING last_seq
            """
        ).first(decodingColumn: "last_seq", as: Int64.self)
    }

    /// The read marker starts at the channel's latest seq: history from before joining is not
    /// unread (as in Slack and Matrix). Read in the same transaction as the insert, so a message
    /// committed after the join is still counted.
    public func addMember(channelID: String, principalID: String, now: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            INSERT INTO channel_members (channel_id, principal_id, joined_at, last_read_seq)
            SELECT \(bind: channelID), \(bind: principalID), \(bind: now), c.last_seq FROM channels c WHERE c.id = \(bind: channelID)
            """
        ).run()
    }

    /// `addMember` that leaves an existing membership alone (also one a concurrent transaction
    /// is adding: PostgreSQL waits for it); true when this call added it.
    public func addMemberIfAbsent(channelID: String, principalID: String, now: Int64, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            """
            INSERT INTO channel_members (channel_id, principal_id, joined_at, last_read_seq)
            SELECT \(bind: channelID), \(bind: principalID), \(bind: now), c.last_seq FROM channels c WHERE c.id = \(bind: channelID)
            ON CONFLICT (channel_id, principal_id) DO NOTHING RETURNING principal_id
            """
        ).first() != nil
    }

    @discardableResult
    public func removeMember(channelID: String, principalID: String, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            "DELETE FROM channel_members WHERE channel_id = \(bind: channelID) AND principal_id = \(bind: principalID) RETURNING principal_id"
        ).first() != nil
    }

    /// A channel with the principal's workspace role and channel membership, in one statement:
    /// the check before every read and send. Nil when the channel does not exist.
    public func access(
        channelID: String, principalID: String, on db: DatabaseSession
    ) async throws -> (channel: ChannelRecord, workspaceRole: Role?, isMember: Bool)? {
        let row = try await db.raw(
            """
            SELECT c.*, m.role AS access_role, cm.principal_id AS access_member
            FROM channels c
            LEFT JOIN memberships m ON m.workspace_id = c.workspace_id AND m.principal_id = \(bind: principalID)
            LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.principal_id = \(bind: principalID)
            WHERE c.id = \(bind: channelID)
            """
        ).first()
        guard let row else { return nil }
        let access = try row.decodeRecord(AccessColumns.self)
        return (try row.decodeRecord(ChannelRecord.self), access.accessRole, access.accessMember != nil)
    }

    public func isMember(channelID: String, principalID: String, on db: DatabaseSession) async throws -> Bool {
        try await db.raw(
            "SELECT 1 AS one FROM channel_members WHERE channel_id = \(bind: channelID) AND principal_id = \(bind: principalID)"
        ).first() != nil
    }

    public func members(channelID: String, on db: DatabaseSession) async throws -> [String] {
        try await db.raw("SELECT principal_id FROM channel_members WHERE channel_id = \(bind: channelID) ORDER BY principal_id LIMIT 10000")
            .all(decodingColumn: "principal_id", as: String.self)
    }

    /// The members of each of `channelIDs` (DMs: at most 16 each), in one statement.
    public func members(channelIDs: [String], on db: DatabaseSession) async throws -> [String: [String]] {
        guard !channelIDs.isEmpty else { return [:] }
        let rows = try await db.raw(
            "SELECT channel_id, principal_id FROM channel_members WHERE channel_id IN (\(binds: channelIDs)) ORDER BY channel_id, principal_id"
        ).all()
        var members: [String: [String]] = [:]
        for row in rows {
            let channelID = try row.decode(column: "channel_id", as: String.self)
            members[channelID, default: []].append(try row.decode(column: "principal_id", as: String.self))
        }
        return members
    }

    /// Records where in the workspace's event log a membership began (the seq of the event that
    /// made it: `member.joined`, or `channel.created` for its first members); nil `principalID`
    /// means every member of the channel.
    public func setJoinedSeq(_ seq: Int64, channelID: String, principalID: String? = nil, on db: DatabaseSession) async throws {
        var query = SQLQueryString("UPDATE channel_members SET joined_seq = \(bind: seq) WHERE channel_id = \(bind: channelID)")
        if let principalID { query.appendInterpolation(" AND principal_id = \(bind: principalID)" as SQLQueryString) }
        try await db.raw(query).run()
    }

    /// The channels of a workspace a principal belongs to, each with the event seq its membership
    /// began at (0 when unknown: memberships from before that was recorded).
    public func membershipsJoinedAt(principalID: String, workspaceID: String, on db: DatabaseSession) async throws -> [String: Int64] {
        let memberships = try await db.raw(
            """
            SELECT cm.channel_id, cm.joined_seq FROM channel_members cm JOIN channels c ON c.id = cm.channel_id
            WHERE cm.principal_id = \(bind: principalID) AND c.workspace_id = \(bind: workspaceID)
            """
        ).allRecords(ChannelJoin.self)
        return Dictionary(memberships.map { ($0.channelID, $0.joinedSeq ?? 0) }, uniquingKeysWith: { _, last in last })
    }

    /// The channels of a workspace a principal belongs to (the stream's visibility set).
    public func memberships(principalID: String, workspaceID: String, kind: ChannelKind? = nil, on db: DatabaseSession) async throws -> Set<String> {
        var query = SQLQueryString(
            """
            SELECT cm.channel_id FROM channel_members cm JOIN channels c ON c.id = cm.channel_id
            WHERE cm.principal_id = \(bind: principalID) AND c.workspace_id = \(bind: workspaceID)
            """
        )
        if let kind { query.appendInterpolation(" AND c.kind = \(bind: kind.rawValue)" as SQLQueryString) }
        return Set(try await db.raw(query).all(decodingColumn: "channel_id", as: String.self))
    }

    public func readMarker(channelID: String, principalID: String, on db: DatabaseSession) async throws -> Int64? {
        try await db.raw(
            "SELECT last_read_seq FROM channel_members WHERE channel_id = \(bind: channelID) AND principal_id = \(bind: principalID)"
        ).first(decodingColumn: "last_read_seq", as: Int64.self)
    }

    /// Moves the read marker forward only (an older seq never un-reads messages).
    public func markRead(channelID: String, principalID: String, seq: Int64, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            UPDATE channel_members SET last_read_seq = \(bind: seq)
            WHERE channel_id = \(bind: channelID) AND principal_id = \(bind: principalID) AND last_read_seq < \(bind: seq)
            """
        ).run()
    }

    public func removeMemberships(principalID: String, workspaceID: String, on db: DatabaseSession) async throws {
        try await db.raw(
            """
            DELETE FROM channel_members WHERE principal_id = \(bind: principalID)
            AND channel_id IN (SELECT id FROM channels WHERE workspace_id = \(bind: workspaceID))
            """
        ).run()
    }

    /// The caller's workspace role and channel membership joined to a channel's row.
    struct AccessColumns: Decodable {
        var accessRole: Role?
        var accessMember: String?
    }

    struct ChannelJoin: Decodable {
        var channelID: String
        var joinedSeq: Int64?
    }
}
