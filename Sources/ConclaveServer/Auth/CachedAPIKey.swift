import ConclaveCore
import ConclaveStore

/// An API key's row (and its agent's status) in the form a request checks it: prepared once when
/// the row is read, so a cache hit parses nothing and builds no collection. A class, so handing
/// an entry out of the cache is one retain rather than one per field.
final class CachedAPIKey: Sendable {
    let keyID: String
    let ownerID: String
    let isRevoked: Bool
    let expiresAt: Int64?
    /// nil when the key may be used from anywhere. Entries that do not parse match nothing, as
    /// before: a key whose every CIDR is unreadable is usable from nowhere, not from everywhere.
    let allowedBlocks: [CIDRBlock]?
    let isAgent: Bool
    /// The owning agent's status; nil when the agent no longer exists (or the owner is a person).
    let agentStatus: AgentStatus?
    /// The key's scopes; a stored name this version does not know grants nothing.
    let scopes: Set<Scope>

    init(record: APIKeyRecord, agentStatus: AgentStatus?) {
        keyID = record.id
        ownerID = record.ownerID
        isRevoked = record.revokedAt != nil
        expiresAt = record.expiresAt
        allowedBlocks = record.allowedCIDRs.isEmpty ? nil : record.allowedCIDRs.compactMap(CIDRBlock.init)
        isAgent = record.ownerID.hasPrefix(IdentifierKind.agent.rawValue + "_")
        self.agentStatus = agentStatus
        scopes = Set(record.scopes.compactMap(Scope.init(rawValue:)))
    }

    /// Whether the key may be used from `clientIP` (the address is parsed once, not per block).
    func allows(clientIP: String) -> Bool {
        guard let allowedBlocks else { return true }
        guard let address = CIDRBlock.parseAddress(clientIP) else { return false }
        return allowedBlocks.contains { $0.contains(parsedAddress: address) }
    }
}

extension CIDRBlock {
    /// `contains(_:)` for an address already parsed by `parseAddress`.
    func contains(parsedAddress: [UInt8]) -> Bool {
        CIDRBlock.mask(parsedAddress, prefix: prefixLength) == network
    }
}
