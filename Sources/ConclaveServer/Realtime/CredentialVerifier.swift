import ConclaveCore
import ConclaveStore
import Synchronization

/// Checks the credential a stream (socket or long poll) was opened with, and again whenever any
/// credential may have been revoked, so a stream stops at a logout, a key revocation or a pause
/// exactly as the next REST request would.
///
/// A database that cannot answer is not a revocation (losing the LISTEN connection bumps the
/// generation, and the pool may hand out a connection that died with it): a check is retried
/// briefly, and reported `unverifiable` if the database stays unreachable.
struct CredentialVerifier: Sendable {
    let authenticator: AuthenticationMiddleware
    let caches: CredentialCaches

    /// Pauses between attempts; with `attemptTimeout` a database outage is reported within
    /// about ten seconds.
    static let retryDelays: [Duration] = [.milliseconds(200), .milliseconds(500), .seconds(1)]
    static let attemptTimeout: Duration = .seconds(2)

    enum Authentication: Sendable {
        case authenticated(Principal)
        /// An agent that is paused (423).
        case paused
        /// Refused; `costly` when finding that out took a database read (`auth_failures`).
        case rejected(costly: Bool)
        case unavailable

        var isUnavailable: Bool {
            if case .unavailable = self { return true }
            return false
        }
    }

    /// Where a stream's credential stands now.
    enum Standing: Sendable, Equatable {
        case active
        case paused
        case revoked
        case unverifiable
    }

    /// The generation to hand to `CredentialCheck` when authenticating now.
    var generation: UInt64 { caches.sessions.generation }

    /// Tells a credential that is refused from a database that did not answer (in time).
    func authenticate(_ token: String, clientIP: String, within timeout: Duration = attemptTimeout) async -> Authentication {
        let authenticator = self.authenticator
        // In its own task, so its stack is freed when it ends, and bounded in time: a query on a
        // connection the network dropped may never return.
        return await TimeLimit.run(timeout) { () -> Authentication in
            do {
                return .authenticated(try await authenticator.authenticate(token, clientIP: clientIP))
            } catch let refusal as CredentialRefusal {
                return .rejected(costly: refusal.costly)
            } catch let problem as Problem where problem.status == 423 {
                return .paused
            } catch let problem as Problem where problem.status < 500 {
                return .rejected(costly: false)
            } catch {
                return .unavailable
            }
        } ?? .unavailable
    }

    /// The credential's standing: from memory while no credential changed since it was last
    /// checked, else checked again (and remembered for the current generation).
    func standing(of check: CredentialCheck) async -> Standing {
        let current = generation
        if let known = check.standing(at: current) { return known }
        var outcome = await authenticate(check.token, clientIP: check.clientIP)
        for delay in Self.retryDelays where outcome.isUnavailable && !Task.isCancelled {
            try? await Task.sleep(for: delay)
            outcome = await authenticate(check.token, clientIP: check.clientIP)
        }
        switch outcome {
        case .authenticated:
            check.validated(generation: current, paused: false)
            return .active
        case .paused:
            check.validated(generation: current, paused: true)
            return .paused
        case .rejected:
            return .revoked
        case .unavailable:
            return .unverifiable
        }
    }
}

/// The credential a stream authenticated with, and the cache generation it was last checked at.
final class CredentialCheck: Sendable {
    struct Checked {
        var generation: UInt64
        var paused: Bool
    }

    let token: String
    let clientIP: String
    private let checked: Mutex<Checked>

    /// `generation` is the one read before the credential was authenticated, so a revocation
    /// racing with that authentication is checked again.
    init(token: String, clientIP: String, generation: UInt64) {
        self.token = token
        self.clientIP = clientIP
        self.checked = Mutex(Checked(generation: generation, paused: false))
    }

    /// The standing known at `generation`, or nil while the credential has not been validated
    /// at it (the writer and the reader of a socket may both validate; neither acts on the
    /// strength of the other's pending check).
    func standing(at generation: UInt64) -> CredentialVerifier.Standing? {
        checked.withLock { $0.generation == generation ? ($0.paused ? .paused : .active) : nil }
    }

    func validated(generation: UInt64, paused: Bool) {
        checked.withLock { $0 = Checked(generation: generation, paused: paused) }
    }
}
