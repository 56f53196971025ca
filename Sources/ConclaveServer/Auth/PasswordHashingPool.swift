import ConclaveCore
import ConclaveSecurity
import NIOCore
import NIOPosix

/// Runs argon2id off the event loops with bounded concurrency.
///
/// At most `concurrency` hashes run at once (each holds 19 MiB and a core for ~50 ms); at most
/// `maxWaiting` more may queue. Beyond that the caller gets 503 at once, so a login flood costs
/// bounded CPU and memory instead of an unbounded queue.
public final class PasswordHashingPool: Sendable {
    let hasher: PasswordHasher
    let gate: AsyncGate
    /// A hash of a random password, verified when the account does not exist so that unknown
    /// emails take as long as wrong passwords.
    let dummyHash: String

    public init(hasher: PasswordHasher = PasswordHasher(), concurrency: Int = max(1, System.coreCount), maxWaiting: Int = 64) throws {
        self.hasher = hasher
        self.gate = AsyncGate(permits: concurrency, maxWaiting: maxWaiting)
        self.dummyHash = try hasher.hash(password: SecureRandom.token(bytes: 16))
    }

    public func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        return try await run { try hasher.hash(password: password) }
    }

    /// Verifies against `encoded`, or against the dummy hash when there is no account.
    public func verify(_ password: String, encoded: String?) async throws -> Bool {
        let hasher = self.hasher
        let target = encoded ?? dummyHash
        let matched = try await run { hasher.verify(password: password, encoded: target) }
        return matched && encoded != nil
    }

    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard await gate.enter() else {
            throw Problem(status: 503, title: "Service Unavailable", detail: "The server is busy; retry shortly.", headers: ["Retry-After": "1"])
        }
        do {
            let result = try await NIOThreadPool.singleton.runIfActive(work)
            await gate.leave()
            return result
        } catch {
            await gate.leave()
            throw error
        }
    }
}

/// A counting semaphore with a bounded wait queue.
actor AsyncGate {
    let permits: Int
    let maxWaiting: Int
    var inUse = 0
    var waiters: [CheckedContinuation<Void, Never>] = []

    init(permits: Int, maxWaiting: Int) {
        self.permits = permits
        self.maxWaiting = maxWaiting
    }

    func enter() async -> Bool {
        if inUse < permits {
            inUse += 1
            return true
        }
        guard waiters.count < maxWaiting else { return false }
        await withCheckedContinuation { waiters.append($0) }
        return true
    }

    func leave() {
        if waiters.isEmpty {
            inUse -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
