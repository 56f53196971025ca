@testable import ConclaveServer
import ConclaveCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The workspace and agent services read a request's body, page cursor or key id only after the
/// role decision that precedes it, so the answer to a bad request still says nothing about a
/// workspace the caller is not in (404), or is the role refusal (403) a member gets.
@Suite struct WorkspaceRoutePrecedenceTests {
    typealias Helpers = RouteAccessTests

    @Test func aNonMemberIsAnsweredNotFoundBeforeAnythingIsRead() async throws {
        try await ServerFixture.with { dependencies in
            try await Application(router: buildRouter(dependencies)).test(.router) { client in
                let owner = try await Helpers.owner(dependencies, client, email: "holder@example.com")
                let stranger = try await Helpers.owner(dependencies, client, email: "stranger@example.com")
                let ws = "/api/v1/workspaces/\(owner.workspaceID)"
                let agent = try await Helpers.json(client, .post, "\(ws)/agents", token: owner.token, body: #"{"name":"helper"}"#, expect: .created)
                guard case .string(let agentID)? = agent["id"] else { throw Helpers.Failure("no agent id") }
                let badCursor = "?cursor=%00"
                for (method, uri, body) in [
                    (HTTPRequest.Method.patch, ws, "{"),
                    (.post, "\(ws)/invites", "{"),
                    (.get, "\(ws)/invites\(badCursor)", nil),
                    (.get, "\(ws)/members\(badCursor)", nil),
                    (.patch, "\(ws)/members/\(owner.userID)", "{"),
                    (.get, "\(ws)/audit\(badCursor)", nil),
                    (.post, "\(ws)/agents", "{"),
                    (.get, "\(ws)/agents\(badCursor)", nil),
                    (.post, "\(ws)/agents/\(agentID)/keys", "{"),
                    (.get, "\(ws)/agents/\(agentID)/keys\(badCursor)", nil),
                    (.delete, "\(ws)/agents/\(agentID)/keys/not-a-key-id", nil),
                ] as [(HTTPRequest.Method, String, String?)] {
                    _ = try await Helpers.json(client, method, uri, token: stranger.token, body: body, expect: .notFound)
                }
            }
        }
    }

    @Test func aViewerIsRefusedBeforeTheBodyIsRead() async throws {
        try await ServerFixture.with { dependencies in
            try await Application(router: buildRouter(dependencies)).test(.router) { client in
                let owner = try await Helpers.owner(dependencies, client, email: "keeper@example.com")
                let viewer = try await Helpers.invitedPerson(client, by: owner, role: "viewer", email: "onlooker@example.com")
                let ws = "/api/v1/workspaces/\(owner.workspaceID)"
                for (method, uri) in [(HTTPRequest.Method.patch, ws), (.post, "\(ws)/invites"), (.post, "\(ws)/agents")] {
                    _ = try await Helpers.json(client, method, uri, token: viewer.token, body: "{", expect: .forbidden)
                }
                // A role change names a role (422) before the caller's right to change roles (403).
                _ = try await Helpers.json(client, .patch, "\(ws)/members/\(owner.userID)", token: viewer.token,
                                           body: #"{"role":"emperor"}"#, expect: .unprocessableContent)
                _ = try await Helpers.json(client, .patch, "\(ws)/members/\(owner.userID)", token: viewer.token,
                                           body: #"{"role":"viewer"}"#, expect: .forbidden)
            }
        }
    }
}
