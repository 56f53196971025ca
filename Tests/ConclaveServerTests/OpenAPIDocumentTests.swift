@testable import ConclaveServer
import Foundation
import Testing

/// docs/openapi.yaml (embedded at build time) lists exactly the routes the router serves.
@Suite struct OpenAPIDocumentTests {
    @Test func theDocumentAndTheRouterAgree() async throws {
        let documented = try Self.documentedRoutes()
        let served = try await ServerFixture.with { dependencies in
            let table = RouteTable()
            _ = buildRouter(dependencies, routeTable: table)
            return Set(table.routes.map { "\($0.method) \($0.path)" })
        }
        let undocumented = served.subtracting(documented).sorted()
        let unserved = documented.subtracting(served).sorted()
        #expect(undocumented.isEmpty, "served but not in docs/openapi.yaml: \(undocumented)")
        #expect(unserved.isEmpty, "in docs/openapi.yaml but not served: \(unserved)")
    }

    static func documentedRoutes() throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8))
        guard let root = object as? [String: Any], let paths = root["paths"] as? [String: Any] else { return [] }
        let methods = ["get", "post", "put", "patch", "delete"]
        var routes = Set<String>()
        for (path, item) in paths {
            guard let operations = item as? [String: Any] else { continue }
            for method in methods where operations[method] != nil {
                routes.insert("\(method.uppercased()) \(path)")
            }
        }
        return routes
    }
}
