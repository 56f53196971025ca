import ConclaveCore
import Foundation

/// An event that only live sockets see: it has no seq, is never written to the log, and is
/// neither replayed on resume nor returned by long polls (`status.updated`). A client that was
/// not connected when it happened simply never hears of it.
struct EphemeralEvent: Sendable, Codable, Equatable {
    let workspaceID: String
    let channelID: String
    let type: EventType
    let data: JSONValue

    enum CodingKeys: String, CodingKey {
        case workspaceID = "workspace_id", channelID = "channel_id", type = "event", data
    }
}

/// The NOTIFY payload that hands an ephemeral event to the other servers sharing the database:
/// `ephemeral <origin> <ttl seconds> <json>`. `origin` names the server that sent it, which has
/// already delivered it to its own sockets and ignores its own notification; the receivers clear
/// it at the TTL themselves.
struct EphemeralNotification: Sendable, Equatable {
    static let prefix = "ephemeral "
    /// PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more.
    static let maxPayloadBytes = 7_900

    let origin: String
    let ttlSeconds: Int
    let event: EphemeralEvent

    var payload: String? {
        guard let json = try? JSONEncoder().encode(event), let text = String(data: json, encoding: .utf8) else { return nil }
        let payload = Self.prefix + origin + " \(ttlSeconds) " + text
        return payload.utf8.count <= Self.maxPayloadBytes ? payload : nil
    }

    init(origin: String, ttlSeconds: Int, event: EphemeralEvent) {
        self.origin = origin
        self.ttlSeconds = ttlSeconds
        self.event = event
    }

    init?(payload: String) {
        guard payload.hasPrefix(Self.prefix) else { return nil }
        let parts = payload.dropFirst(Self.prefix.count).split(separator: " ", maxSplits: 2)
        guard parts.count == 3, let ttl = Int(parts[1]), (1...ChannelStatus.maxTTLSeconds).contains(ttl),
            let event = try? JSONDecoder().decode(EphemeralEvent.self, from: Data(parts[2].utf8))
        else { return nil }
        self.init(origin: String(parts[0]), ttlSeconds: ttl, event: event)
    }
}
