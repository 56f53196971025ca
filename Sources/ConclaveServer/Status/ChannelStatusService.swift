import ConclaveCore
import ConclaveStore

/// Setting a principal's status in a channel. Whoever may post there may set one (viewers
/// cannot; an API key needs `messages:write`), within the `status` rate limit. Nothing is
/// written: the status goes to the channel's members' live sockets, on this server and, over
/// NOTIFY, on the others, and ends at its TTL, with `idle`, or with the principal's next message.
struct ChannelStatusService {
    struct SetRequest: Decodable {
        let state: String
        let text: String?
        let ttlSeconds: Int?

        enum CodingKeys: String, CodingKey {
            case state, text
            case ttlSeconds = "ttl_s"
        }
    }

    let dependencies: ServerDependencies

    /// The `status.updated` data as the channel's members receive it.
    func set(_ principal: Principal, channelID: String, body: () async throws -> SetRequest) async throws -> JSONValue {
        let grant = try await ChannelAccess(dependencies: dependencies).require(principal, channelID: channelID, for: .write)
        _ = try dependencies.enforce("status", key: principal.id)
        let request = try await body()
        let status = try Self.validate(request)
        let expiresAt = status.state == .idle ? nil : Clock.milliseconds() + Int64(status.ttlSeconds) * 1000
        let data = ChannelStatusJSON.data(
            principalID: principal.id, channelID: channelID, status: status.state == .idle ? nil : status, expiresAt: expiresAt,
            reason: status.state == .idle ? "cleared" : nil
        )
        let event = EphemeralEvent(workspaceID: grant.channel.workspaceID, channelID: channelID, type: .statusUpdated, data: data)
        dependencies.events.statusChanged(event, principalID: principal.id, ttlSeconds: status.ttlSeconds)
        return data
    }

    static func validate(_ request: SetRequest) throws -> ChannelStatus {
        guard let state = ChannelStatusState(rawValue: request.state) else {
            throw Problem.validation(field: "state", "must be one of typing, thinking, working, idle")
        }
        do {
            return try ChannelStatus(state: state, text: request.text, ttlSeconds: request.ttlSeconds)
        } catch .text(let message) {
            throw Problem.validation(field: "text", message)
        } catch .ttl(let message) {
            throw Problem.validation(field: "ttl_s", message)
        }
    }
}
