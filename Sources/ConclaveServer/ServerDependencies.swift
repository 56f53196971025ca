import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Logging
import Prometheus

/// Everything a running server shares: configuration, storage, secrets and the shared mechanisms.
public struct ServerDependencies: Sendable {
    public let configuration: ConclaveConfiguration
    public let database: any Database
    public let secrets: ServerSecrets
    public let rateLimiter: RateLimiter
    public let metricsRegistry: PrometheusCollectorRegistry
    public let logger: Logger
    public let tokens: AccessTokenService
    public let keys: ServerKeys
    public let passwords: PasswordHashingPool
    let hub: EventHub
    let events: EventNotifier
    let credentials: CredentialCaches

    public init(
        configuration: ConclaveConfiguration,
        database: any Database,
        secrets: ServerSecrets,
        metricsRegistry: PrometheusCollectorRegistry,
        logger: Logger,
        passwordHasher: PasswordHasher = PasswordHasher()
    ) async throws {
        self.configuration = configuration
        self.database = database
        self.secrets = secrets
        self.rateLimiter = RateLimiter()
        self.metricsRegistry = metricsRegistry
        self.logger = logger
        self.tokens = await AccessTokenService(
            currentSecret: secrets.jwtSecret,
            previousSecrets: configuration.previousJWTSecrets.map { Array($0.utf8) },
            issuer: configuration.publicURL
        )
        self.keys = try ServerKeys(masterKey: secrets.masterKey)
        self.passwords = try PasswordHashingPool(hasher: passwordHasher)
        self.hub = EventHub(database: database, logger: logger)
        self.events = EventNotifier(hub: hub, database: database)
        self.credentials = CredentialCaches(database: database)
    }

    /// Appends an audit entry inside the caller's write transaction.
    ///
    /// An event about a person that belongs to no workspace (a login, an MFA step, a session or
    /// passkey change) goes to the chain of every workspace that person belongs to, so those
    /// workspaces' admins and owners read it in their audit log; the system chain keeps it only
    /// when there is no such workspace (an unknown email, a person without workspaces).
    func audit(_ event: AuditEvent, on db: DatabaseSession) async throws {
        var chains: [String?] = [event.workspaceID]
        if event.workspaceID == nil, let person = Self.person(concernedBy: event) {
            // Sorted, so that two transactions take the chains' locks in one order (PostgreSQL).
            let workspaceIDs = try await WorkspaceRepository().workspaces(of: person, after: nil, limit: 1000, on: db).map(\.0.id).sorted()
            if !workspaceIDs.isEmpty { chains = workspaceIDs }
        }
        for workspaceID in chains {
            var entry = event
            entry.workspaceID = workspaceID
            try await AuditRepository().append(entry, on: db, kind: database.kind)
        }
    }

    /// The person (usr_…) an event is about: its target, else its actor.
    static func person(concernedBy event: AuditEvent) -> String? {
        if let target = event.target, target.hasPrefix("usr_") { return target }
        if let actor = event.actor.id, actor.hasPrefix("usr_") { return actor }
        return nil
    }
}
