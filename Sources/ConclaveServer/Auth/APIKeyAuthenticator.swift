import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import Synchronization

/// Verifies `ck_…` API keys: the checksum offline, then one HMAC and one indexed lookup. No slow
/// hash per request: a key carries 256 random bits, so a fast keyed hash is as strong as bcrypt
/// would be for a password, at a tiny fraction of the cost. Revocation, expiry, CIDRs and the
/// owning agent's pause are read from the database on every request.
struct APIKeyAuthenticator: Sendable {
    static let usageWriteInterval: Int64 = 60_000

    let hasher: KeyedHasher
    let database: any Database
    let cache: CredentialCache<CredentialCaches.CachedKey>
    let usageThrottle: UsageThrottle

    func authenticate(_ key: String, clientIP: String) async throws -> Principal {
        guard APIKeyFormat.isWellFormed(key) else { throw Problem.unauthorized("The API key is not valid.") }
        let hash = hasher.hexDigest(key)
        var cached = cache.lookup(hash)
        if cached == nil {
            let generation = cache.generation
            if let (record, status) = try await database.read({ db in try await APIKeyRepository().findForAuthentication(hash: hash, on: db) }) {
                cached = CredentialCaches.CachedKey(record: record, agentStatus: status)
                cache.store(cached!, for: hash, readAt: generation)
            }
        }
        guard let record = cached?.record else { throw Problem.unauthorized("The API key is not valid.") }
        let agentStatus = cached?.agentStatus
        let now = Clock.milliseconds()
        guard record.revokedAt == nil else { throw Problem.unauthorized("The API key has been revoked.") }
        if let expiresAt = record.expiresAt, expiresAt <= now { throw Problem.unauthorized("The API key has expired.") }
        if !record.allowedCIDRs.isEmpty, !record.allowedCIDRs.contains(where: { CIDRBlock($0)?.contains(clientIP) == true }) {
            throw Problem.unauthorized("The API key may not be used from this address.")
        }
        let isAgent = record.ownerID.hasPrefix(IdentifierKind.agent.rawValue + "_")
        if isAgent {
            guard let agentStatus else { throw Problem.unauthorized("The API key's agent no longer exists.") }
            if agentStatus == "paused" {
                throw Problem(status: 423, title: "Locked", detail: "This agent is paused; an admin can resume it.")
            }
        }
        if usageThrottle.shouldRecord(keyID: record.id, now: now) {
            let database = self.database
            let keyID = record.id
            let ownerID = record.ownerID
            Task {
                try? await database.write { db in
                    try await APIKeyRepository().recordUse(id: keyID, now: now, ip: clientIP, on: db)
                    if isAgent { try await AgentRepository().touch(id: ownerID, now: now, on: db) }
                }
            }
        }
        return Principal(id: record.ownerID, kind: isAgent ? .agent : .human, apiKeyID: record.id, scopes: Set(record.scopes))
    }
}

/// Remembers when each key's last use was written, so usage costs at most one write per key per minute.
final class UsageThrottle: Sendable {
    let lastWritten = Mutex<[String: Int64]>([:])

    func shouldRecord(keyID: String, now: Int64) -> Bool {
        lastWritten.withLock { table in
            if let last = table[keyID], now - last < APIKeyAuthenticator.usageWriteInterval { return false }
            if table.count > 100_000 { table.removeAll(keepingCapacity: true) }
            table[keyID] = now
            return true
        }
    }
}
