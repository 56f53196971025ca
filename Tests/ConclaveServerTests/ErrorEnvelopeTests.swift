@testable import ConclaveServer
import ConclaveCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct ErrorEnvelopeTests {
    struct LeakyError: Error, CustomStringConvertible {
        var description: String { "SELECT password_hash FROM users WHERE id = 1 at /srv/conclave/Sources/Secret.swift:42" }
    }

    func router() -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        let table = RouteTable()
        router.add(middleware: RequestEnvelopeMiddleware(clientAddressResolver: ClientAddressResolver(trustedProxies: []), routeTable: table, tlsEnabled: false))
        router.get("/boom") { _, _ -> Response in throw LeakyError() }
        router.get("/problem") { _, _ -> Response in throw Problem.validation(field: "text", "is too long") }
        table.set(router.routes.map { RouteTable.Route(method: $0.method.rawValue, path: $0.path.description) })
        return router
    }

    @Test func anUnexpectedErrorIsA500ThatRevealsNothing() async throws {
        let app = Application(router: router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/boom", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = String(buffer: response.body)
                #expect(!body.contains("SELECT"))
                #expect(!body.contains("/srv"))
                #expect(!body.contains("Secret"))
                let json = try JSONDecoder().decode([String: JSONValue].self, from: Data(body.utf8))
                #expect(json["status"] == .int(500))
                #expect(json["title"] == .string("Internal Server Error"))
                #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.hasPrefix("req_") == true)
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            }
        }
    }

    @Test func problemsKeepTheirFieldErrors() async throws {
        let app = Application(router: router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/problem", method: .get) { response in
                #expect(response.status.code == 422)
                let json = try JSONDecoder().decode([String: JSONValue].self, from: Data(String(buffer: response.body).utf8))
                #expect(json["errors"] == [["field": "text", "message": "is too long"]])
            }
        }
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        let app = Application(router: router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/problem", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }
}
