@testable import ConclaveServer
import ConclaveCore
import ConclaveStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The main route behaviours, checked in-process in seconds (the end-to-end suite checks them
/// again against the real binary): authentication required, role refusals, other workspaces'
/// ids, validation.
@Suite struct RouteAccessTests {
    /// Every operation that docs/openapi.yaml says needs a bearer credential answers 401 with
    /// `WWW-Authenticate` to a caller without one, whatever its path ids and body: no handler of
    /// an authenticated route runs for an anonymous caller.
    @Test func everyAuthenticatedRouteRefusesAnonymousCallers() async throws {
        let operations = try Self.operationsNeedingACredential()
        #expect(operations.count > 40, "the spec lists \(operations.count) authenticated operations")
        try await ServerFixture.with { dependencies in
            try await Application(router: buildRouter(dependencies)).test(.router) { client in
                for (method, path) in operations {
                    let uri = Self.concrete(path)
                    let body = method == .get || method == .delete ? nil : ByteBuffer(string: "{}")
                    try await client.execute(uri: uri, method: method, headers: [.contentType: "application/json"], body: body) { response in
                        #expect(response.status == .unauthorized, "\(method) \(uri): \(response.status)")
                        #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "\(method) \(uri)")
                    }
                }
            }
        }
    }

    @Test func aViewerReadsButCannotPost() async throws {
        try await ServerFixture.with { dependencies in
            try await Application(router: buildRouter(dependencies)).test(.router) { client in
                let owner = try await Self.owner(dependencies, client, email: "owner@example.com")
                let viewer = try await Self.invitedPerson(client, by: owner, role: "viewer", email: "viewer@example.com")
                let channel = try await Self.json(client, .post, "/api/v1/workspaces/\(owner.workspaceID)/channels", token: owner.token,
                                                  body: #"{"name":"announcements"}"#, expect: .created)
                guard case .string(let channelID)? = channel["id"] else { throw Failure("no channel id") }
                _ = try await Self.json(client, .post, "/api/v1/channels/\(channelID)/members", token: owner.token,
                                        body: #"{"member_id":"\#(viewer.userID)"}"#, expect: .created)
                _ = try await Self.json(client, .post, "/api/v1/channels/\(channelID)/messages", token: viewer.token,
                                        body: #"{"text":"may I?"}"#, expect: .forbidden)
                _ = try await Self.json(client, .get, "/api/v1/channels/\(channelID)/messages", token: viewer.token, expect: .ok)
                _ = try await Self.json(client, .patch, "/api/v1/channels/\(channelID)", token: viewer.token,
                                        body: #"{"topic":"mine"}"#, expect: .forbidden)
                _ = try await Self.json(client, .post, "/api/v1/workspaces/\(owner.workspaceID)/invites", token: viewer.token,
                                        body: "{}", expect: .forbidden)
            }
        }
    }

    @Test func anotherWorkspacesResourcesAreNotFound() async throws {
        try await ServerFixture.with { dependencies in
            try await Application(router: buildRouter(dependencies)).test(.router) { client in
                let first = try await Self.owner(dependencies, client, email: "first@example.com")
                let second = try await Self.owner(dependencies, client, email: "second@example.com")
                let channel = try await Self.json(client, .post, "/api/v1/workspaces/\(first.workspaceID)/channels", token: first.token,
                                                  body: #"{"name":"private-plans","private":true}"#, expect: .created)
                guard case .string(let channelID)? = channel["id"] else { throw Failure("no channel id") }
                for (method, uri) in [
                    (HTTPRequest.Method.get, "/api/v1/workspaces/\(first.workspaceID)"),
                    (.get, "/api/v1/workspaces/\(first.workspaceID)/members"),
                    (.get, "/api/v1/channels/\(channelID)"),
                    (.get, "/api/v1/channels/\(channelID)/messages"),
                ] {
                    _ = try await Self.json(client, method, uri, token: second.token, expect: .notFound)
                }
            }
        }
    }

    @Test func invalidInputIs422NamingTheField() async throws {
        try await ServerFixture.with { dependencies in
            try await Application(router: buildRouter(dependencies)).test(.router) { client in
                let owner = try await Self.owner(dependencies, client, email: "validator@example.com")
                let problem = try await Self.json(client, .post, "/api/v1/workspaces/\(owner.workspaceID)/channels", token: owner.token,
                                                  body: #"{"name":"Not A Name!"}"#, expect: .unprocessableContent)
                #expect(problem["errors"] == [["field": "name", "message": "must be 1 to 80 characters of a-z, 0-9, - and _"]])
                _ = try await Self.json(client, .get, "/api/v1/workspaces/not-an-id", token: owner.token, expect: .badRequest)
            }
        }
    }

    // MARK: - Helpers

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    struct Person {
        let userID: String
        let workspaceID: String
        let token: String
    }

    /// Operations whose effective security requirement is a bearer credential, none optional.
    static func operationsNeedingACredential() throws -> [(HTTPRequest.Method, String)] {
        let object = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8))
        guard let root = object as? [String: Any], let paths = root["paths"] as? [String: [String: Any]] else { return [] }
        let global = root["security"] as? [[String: Any]] ?? []
        var operations: [(HTTPRequest.Method, String)] = []
        for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
            for (name, method) in [("get", HTTPRequest.Method.get), ("post", .post), ("put", .put), ("patch", .patch), ("delete", .delete)] {
                guard let operation = item[name] as? [String: Any] else { continue }
                let security = operation["security"] as? [[String: Any]] ?? global
                if !security.isEmpty, !security.contains(where: { $0.isEmpty }), security.allSatisfy({ $0["bearer"] != nil }) {
                    operations.append((method, path))
                }
            }
        }
        return operations
    }

    /// The path with each `{name}` replaced by a well-formed id of the kind that name takes.
    static func concrete(_ path: String) -> String {
        let prefixes = ["ws": "ws", "ch": "ch", "msg": "msg", "agent": "agt", "key": "key", "invite": "inv", "session": "ses",
                        "member": "usr", "credential": "wac", "token": "inv", "fil": "fil"]
        var result = path
        while let open = result.firstIndex(of: "{"), let close = result[open...].firstIndex(of: "}") {
            let name = String(result[result.index(after: open)..<close])
            result.replaceSubrange(open...close, with: (prefixes[name] ?? "xx") + "_AAAAAAAAAAAAAAAAAAAA")
        }
        return result
    }

    static func json(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String, body: String? = nil,
        expect status: HTTPResponse.Status
    ) async throws -> [String: JSONValue] {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            #expect(response.status == status, "\(method) \(uri): \(response.status) \(text)")
            guard !text.isEmpty else { return [:] }
            return try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
        }
    }

    /// A person who owns a new workspace, signed in.
    static func owner(_ dependencies: ServerDependencies, _ client: some TestClientProtocol, email: String) async throws -> Person {
        let password = "correct horse battery staple \(email)"
        let hash = try await dependencies.passwords.hash(password)
        let created = try await OwnerProvisioning.createOwner(
            database: dependencies.database, email: email, name: nil, workspaceName: "Workspace of \(email)", passwordHash: hash
        )
        let session = try await client.execute(
            uri: "/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"email":"\#(email)","password":"\#(password)"}"#)
        ) { response in try JSONDecoder().decode([String: JSONValue].self, from: Data(String(buffer: response.body).utf8)) }
        guard case .string(let token)? = session["access_token"] else { throw Failure("login failed: \(session)") }
        return Person(userID: created.userID, workspaceID: created.workspaceID, token: token)
    }

    /// A new person who signed up through the owner's invite with `role`.
    static func invitedPerson(_ client: some TestClientProtocol, by owner: Person, role: String, email: String) async throws -> Person {
        let invite = try await json(client, .post, "/api/v1/workspaces/\(owner.workspaceID)/invites", token: owner.token,
                                    body: #"{"role":"\#(role)"}"#, expect: .created)
        guard case .string(let inviteToken)? = invite["token"] else { throw Failure("no invite token") }
        let joined = try await client.execute(
            uri: "/api/v1/invites/\(inviteToken)/accept", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"email":"\#(email)","password":"plum orchard telescope 7391","name":"Invited"}"#)
        ) { response in try JSONDecoder().decode([String: JSONValue].self, from: Data(String(buffer: response.body).utf8)) }
        guard case .string(let token)? = joined["access_token"], case .string(let userID)? = joined["user_id"] else {
            throw Failure("sign-up failed: \(joined)")
        }
        return Person(userID: userID, workspaceID: owner.workspaceID, token: token)
    }
}
