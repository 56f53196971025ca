import ConclaveCore
import ConclaveStore
import Synchronization

/// The statuses this server has fanned out and not yet cleared, so that it can clear them
/// itself: at their TTL, or when the same principal's next message in that channel goes by.
///
/// Every server keeps its own board, for the statuses it set or heard of from the others, and
/// sends the clearing `status.updated` (`state: idle`) to its own sockets only: no server needs
/// another to tell it a status ended. Memory is bounded by `maxEntries` (statuses are
/// rate-limited per principal and live at most two minutes).
final class StatusBoard: Sendable {
    static let maxEntries = 100_000

    struct Key: Hashable, Sendable {
        let channelID: String
        let principalID: String
    }

    struct Entry: Sendable {
        let workspaceID: String
        let generation: UInt64
    }

    struct State {
        var entries: [Key: Entry] = [:]
        var generation: UInt64 = 0
    }

    let state = Mutex(State())

    /// Records `event` (a `status.updated`); returns the generation to expire it with, or nil
    /// when it clears the status (or the board is full: the status then still goes out, and
    /// clients drop it at its `expires_at`).
    func record(_ event: EphemeralEvent, principalID: String) -> UInt64? {
        let key = Key(channelID: event.channelID, principalID: principalID)
        return state.withLock { state in
            guard event.data["state"]?.stringValue != ChannelStatusState.idle.rawValue else {
                state.entries.removeValue(forKey: key)
                return nil
            }
            guard state.entries[key] != nil || state.entries.count < Self.maxEntries else { return nil }
            state.generation += 1
            state.entries[key] = Entry(workspaceID: event.workspaceID, generation: state.generation)
            return state.generation
        }
    }

    /// The clearing event for a status whose TTL ran out, unless it was replaced or cleared since.
    func expire(channelID: String, principalID: String, generation: UInt64) -> EphemeralEvent? {
        let key = Key(channelID: channelID, principalID: principalID)
        let entry = state.withLock { state -> Entry? in
            guard let entry = state.entries[key], entry.generation == generation else { return nil }
            state.entries.removeValue(forKey: key)
            return entry
        }
        return entry.map { Self.cleared(key, workspaceID: $0.workspaceID, reason: "expired") }
    }

    /// The clearing event when `event` is a new message from a principal with a status in its
    /// channel: a message ends whatever its sender was doing there.
    func clear(by event: WorkspaceEvent) -> EphemeralEvent? {
        guard event.type == .messageCreated, let channelID = event.channelID,
            case .object(let sender)? = event.data["sender"], let senderID = sender["id"]?.stringValue
        else { return nil }
        let key = Key(channelID: channelID, principalID: senderID)
        let entry = state.withLock { state -> Entry? in
            guard !state.entries.isEmpty else { return nil }
            return state.entries.removeValue(forKey: key)
        }
        return entry.map { Self.cleared(key, workspaceID: $0.workspaceID, reason: "message") }
    }

    var count: Int { state.withLock { $0.entries.count } }

    static func cleared(_ key: Key, workspaceID: String, reason: String) -> EphemeralEvent {
        EphemeralEvent(
            workspaceID: workspaceID, channelID: key.channelID, type: .statusUpdated,
            data: ChannelStatusJSON.data(principalID: key.principalID, channelID: key.channelID, status: nil, expiresAt: nil, reason: reason)
        )
    }
}
