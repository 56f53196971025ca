import ConclaveCore
import ConclaveStore

/// A person joining a workspace (creating it, or accepting an invite): the membership and its
/// `member.joined` event in one transaction. The event's seq is stored with the membership, so
/// the person's streams, open ones and resumed ones alike, start the new workspace right there.
enum WorkspaceJoin {
    static func add(
        _ principalID: String, to workspaceID: String, role: Role, now: Int64, on db: DatabaseSession
    ) async throws -> WorkspaceEvent {
        let event = try await EventLog().append(
            workspaceID: workspaceID, type: .memberJoined, channelID: nil, visibility: .workspace,
            data: ["member_id": .string(principalID), "workspace_id": .string(workspaceID), "role": .string(role.rawValue)],
            now: now, on: db
        )
        try await WorkspaceRepository().addMember(
            workspaceID: workspaceID, principalID: principalID, role: role, joinedSeq: event.seq, now: now, on: db
        )
        return event
    }
}
