import ConclaveCore
import ConclaveStore
import Testing

@testable import ConclaveServer

/// The per-server board that ends statuses, and the notification that carries one to the other
/// servers: a status is cleared once, by whichever comes first, and a payload from elsewhere is
/// taken only when it is exactly one well-formed status.
@Suite struct StatusBoardTests {
    static func status(_ state: String, channel: String = "ch_aaaaaaaaaa", principal: String = "usr_bbbbbbbbbb") -> EphemeralEvent {
        EphemeralEvent(workspaceID: "ws_cccccccccc", channelID: channel, type: .statusUpdated,
                       data: ["principal_id": .string(principal), "channel_id": .string(channel), "state": .string(state)])
    }

    static func message(from sender: String, in channel: String = "ch_aaaaaaaaaa") -> WorkspaceEvent {
        WorkspaceEvent(workspaceID: "ws_cccccccccc", seq: 7, type: .messageCreated, channelID: channel, messageID: "msg_dddddddddd",
                       visibility: .channel, data: ["sender": ["id": .string(sender), "kind": "human"]], createdAt: 0)
    }

    @Test func aMessageFromTheSameSenderInTheSameChannelClearsItOnce() throws {
        let board = StatusBoard()
        let generation = try #require(board.record(Self.status("typing"), principalID: "usr_bbbbbbbbbb"))
        #expect(board.clear(by: Self.message(from: "usr_eeeeeeeeee")) == nil)
        #expect(board.clear(by: Self.message(from: "usr_bbbbbbbbbb", in: "ch_ffffffffff")) == nil)
        let cleared = try #require(board.clear(by: Self.message(from: "usr_bbbbbbbbbb")))
        #expect(cleared.data["state"] == "idle" && cleared.data["reason"] == "message")
        #expect(cleared.data["principal_id"] == "usr_bbbbbbbbbb" && cleared.channelID == "ch_aaaaaaaaaa")
        #expect(board.clear(by: Self.message(from: "usr_bbbbbbbbbb")) == nil)
        #expect(board.expire(channelID: "ch_aaaaaaaaaa", principalID: "usr_bbbbbbbbbb", generation: generation) == nil)
    }

    @Test func aReplacedOrClearedStatusDoesNotExpire() throws {
        let board = StatusBoard()
        let first = try #require(board.record(Self.status("typing"), principalID: "usr_bbbbbbbbbb"))
        let second = try #require(board.record(Self.status("working"), principalID: "usr_bbbbbbbbbb"))
        #expect(board.expire(channelID: "ch_aaaaaaaaaa", principalID: "usr_bbbbbbbbbb", generation: first) == nil)
        #expect(board.expire(channelID: "ch_aaaaaaaaaa", principalID: "usr_bbbbbbbbbb", generation: second)?.data["reason"] == "expired")
        let third = try #require(board.record(Self.status("thinking"), principalID: "usr_bbbbbbbbbb"))
        #expect(board.record(Self.status("idle"), principalID: "usr_bbbbbbbbbb") == nil)
        #expect(board.expire(channelID: "ch_aaaaaaaaaa", principalID: "usr_bbbbbbbbbb", generation: third) == nil)
        #expect(board.count == 0)
    }

    @Test func notificationsRoundTripAndRefuseAnythingElse() throws {
        let sent = EphemeralNotification(origin: "abc123", ttlSeconds: 30, event: Self.status("working"))
        let payload = try #require(sent.payload)
        #expect(EphemeralNotification(payload: payload) == sent)
        for bad in [
            "ws_cccccccccc", "join ws_cccccccccc usr_bbbbbbbbbb 3", "ephemeral abc123", "ephemeral abc123 30 {not json}",
            "ephemeral abc123 0 " + payload.split(separator: " ", maxSplits: 3)[3], "ephemeral abc123 121 {}",
        ] {
            #expect(EphemeralNotification(payload: bad) == nil, "accepted \(bad)")
        }
        let huge = EphemeralEvent(workspaceID: "ws_cccccccccc", channelID: "ch_aaaaaaaaaa", type: .statusUpdated,
                                  data: ["text": .string(String(repeating: "x", count: 9000))])
        #expect(EphemeralNotification(origin: "abc123", ttlSeconds: 10, event: huge).payload == nil)
    }
}
