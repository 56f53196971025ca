import SQLKit

/// Channels and channel membership.
public struct ChannelRepository: Sendable {
    public init() {}

    public func insertChannel(
        id: String, workspaceID: String, name: String, isPrivate: Bool, topic: String, createdBy: String, now: Int64, on db: any SQLDatabase
    ) async throws {
        try await db.raw(
            """
            INSERT INTO channels (id, workspace_id, kind, name, private, topic, dm_key, created_by, created_at, updated_at, last_seq)
            VALUES (\(bind: id), \(bind: workspaceID), 'channel', \(bind: name), \(bind: isPrivate ? 1 : 0), \(bind: topic), NULL,
                    \(bind: createdBy), \(bind: now), \(bind: now), 0)
            """
        ).run()
    }

    public func addMember(channelID: String, principalID: String, now: Int64, on db: any SQLDatabase) async throws {
        try await db.raw(
            "INSERT INTO channel_members (channel_id, principal_id, joined_at, last_read_seq) VALUES (\(bind: channelID), \(bind: principalID), \(bind: now), 0)"
        ).run()
    }

    public func removeMemberships(principalID: String, workspaceID: String, on db: any SQLDatabase) async throws {
        try await db.raw(
            """
            DELETE FROM channel_members WHERE principal_id = \(bind: principalID)
            AND channel_id IN (SELECT id FROM channels WHERE workspace_id = \(bind: workspaceID))
            """
        ).run()
    }
}
