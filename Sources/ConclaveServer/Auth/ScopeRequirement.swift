import ConclaveCore

extension Principal {
    /// The principal, which must hold at least one of `scopes` if it authenticated with an API key
    /// (403 naming them otherwise). Sessions are limited by role alone. The one scope check behind
    /// REST routes and MCP tools, so a key refused by one is refused by the other.
    func requiring(anyOf scopes: [Scope]) throws -> Principal {
        if let held = self.scopes, !scopes.contains(where: held.contains) {
            throw Problem.forbidden("This API key lacks the scope \(scopes.map(\.rawValue).joined(separator: " or ")).")
        }
        return self
    }
}
