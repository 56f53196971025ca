import ConclaveCore
import ConclaveStore

/// Reading a workspace's audit chain, oldest first, and verifying it, for admins and owners.
struct AuditService {
    let dependencies: ServerDependencies

    /// Which entries: those after `afterSeq`, at most `page.limit`, optionally of one action or actor.
    struct Query {
        let page: Page
        let afterSeq: Int64
        let action: String?
        let actorID: String?
    }

    /// One page of the chain. `query` is read after the role check (404/403 before a bad cursor).
    func list(
        _ principal: Principal, workspaceID: String, query: @autoclosure () throws -> Query
    ) async throws -> (page: [AuditRecord], nextCursor: JSONValue) {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .auditRead)
        let query = try query()
        let rows = try await dependencies.database.read { db in
            try await AuditRepository().list(
                chain: workspaceID, afterSeq: query.afterSeq, limit: query.page.limit + 1, action: query.action, actorID: query.actorID, on: db
            )
        }
        return query.page.finish(rows) { String($0.seq) }
    }

    /// Recomputes the workspace's chain with the verifier `conclave audit verify` uses, which
    /// reads it a page at a time. The same access as reading the chain.
    func verify(_ principal: Principal, workspaceID: String) async throws -> AuditVerifier.Report {
        _ = try await dependencies.requireRole(principal, in: workspaceID, for: .auditRead)
        return try await AuditVerifier(database: dependencies.database).verify(chain: workspaceID)
    }
}
