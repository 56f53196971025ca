import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import Synchronization

/// Verifies `ck_…` API keys: the checksum offline, then one HMAC and, unless the key's row is
/// cached, one indexed lookup. No slow hash per request: a key carries 256 random bits, so a fast
/// keyed hash is as strong as bcrypt would be for a password, at a tiny fraction of the cost.
/// Revocation, expiry, CIDRs and the owning agent's pause are checked on every request against
/// the row as last read; every change to them invalidates the cache (see `CredentialCache`).
struct APIKeyAuthenticator: Sendable {
    static let usageWriteInterval: Int64 = 60_000

    let hasher: KeyedHasher
    let database: any Database
    let cache: CredentialCache<TokenDigest, CachedAPIKey>
    let usageThrottle: UsageThrottle

    func authenticate(_ key: String, clientIP: String) async throws -> Principal {
        guard APIKeyFormat.isWellFormed(key) else { throw Problem.unauthorized("The API key is not valid.") }
        let digest = hasher.tokenDigest(key)
        guard let cached = try await cachedKey(digest) else { throw Problem.unauthorized("The API key is not valid.") }
        let now = Clock.milliseconds()
        guard !cached.isRevoked else { throw Problem.unauthorized("The API key has been revoked.") }
        if let expiresAt = cached.expiresAt, expiresAt <= now { throw Problem.unauthorized("The API key has expired.") }
        guard cached.allows(clientIP: clientIP) else {
            throw Problem.unauthorized("The API key may not be used from this address.")
        }
        if cached.isAgent {
            guard let agentStatus = cached.agentStatus else { throw Problem.unauthorized("The API key's agent no longer exists.") }
            if agentStatus == .paused {
                throw Problem(status: 423, title: "Locked", detail: "This agent is paused; an admin can resume it.")
            }
        }
        if usageThrottle.shouldRecord(keyID: cached.keyID, now: now) {
            recordUse(of: cached, now: now, clientIP: clientIP)
        }
        return Principal(id: cached.ownerID, kind: cached.isAgent ? .agent : .human, apiKeyID: cached.keyID, scopes: cached.scopes)
    }

    /// The key's prepared row: from the cache, else from the database (by the hex form of the
    /// digest, the indexed column), stored unless an invalidation raced with the read.
    private func cachedKey(_ digest: TokenDigest) async throws -> CachedAPIKey? {
        if let cached = cache.lookup(digest) { return cached }
        let generation = cache.generation
        let hash = digest.hex
        guard let (record, status) = try await database.read({ db in try await APIKeyRepository().findForAuthentication(hash: hash, on: db) })
        else { return nil }
        let cached = CachedAPIKey(record: record, agentStatus: status)
        cache.store(cached, for: digest, readAt: generation)
        return cached
    }

    /// Writes last-used time and address (and the agent's) off the request path.
    private func recordUse(of key: CachedAPIKey, now: Int64, clientIP: String) {
        let database = self.database
        Task {
            try? await database.write { db in
                try await APIKeyRepository().recordUse(id: key.keyID, now: now, ip: clientIP, on: db)
                if key.isAgent { try await AgentRepository().touch(id: key.ownerID, now: now, on: db) }
            }
        }
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
