import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// Builds the router: middleware in order from the outside in, then every resource's routes.
public func buildRouter(_ dependencies: ServerDependencies, routeTable: RouteTable = RouteTable()) -> Router<AppRequestContext> {
    buildRouters(dependencies, routeTable: routeTable).http
}

/// The HTTP router and the WebSocket upgrade router (which sees only upgrade requests).
public func buildRouters(
    _ dependencies: ServerDependencies, routeTable: RouteTable = RouteTable()
) -> (http: Router<AppRequestContext>, webSocket: Router<AppRequestContext>) {
    let configuration = dependencies.configuration
    let router = Router(context: AppRequestContext.self)
    let envelope = RequestEnvelopeMiddleware(
        clientAddressResolver: ClientAddressResolver(trustedProxies: configuration.trustedProxies),
        routeTable: routeTable,
        tlsEnabled: configuration.tlsEnabled
    )
    router.add(middleware: envelope)
    router.add(middleware: CanonicalPathMiddleware())
    router.add(middleware: CORSAllowlistMiddleware(allowedOrigins: Set(configuration.corsOrigins)))
    router.add(middleware: RequestBodyLimit(maxFileBytes: configuration.maxFileBytes))
    let authenticator = AuthenticationMiddleware(
        tokens: dependencies.tokens,
        database: dependencies.database,
        sessions: dependencies.credentials.sessions,
        apiKeys: APIKeyAuthenticator(
            hasher: dependencies.keys.apiKeyHasher, database: dependencies.database, cache: dependencies.credentials.keys,
            usageThrottle: UsageThrottle()
        ),
        failures: AuthenticationFailureLimit(limiter: dependencies.rateLimiter, rule: configuration.rateLimits[AuthenticationFailureLimit.name])
    )
    router.add(middleware: authenticator)
    let realtime = RealtimeRoutes(dependencies: dependencies, authenticator: authenticator)
    router.add(middleware: APIRateLimitMiddleware(limiter: dependencies.rateLimiter, policy: configuration.rateLimits))
    router.add(middleware: IdempotencyMiddleware(database: dependencies.database) { principal, messageID in
        MessageJSON.message(try await MessageService(dependencies: dependencies).visibleMessage(principal, messageID: messageID))
    })

    HealthRoutes(database: dependencies.database).register(on: router)
    MetricsRoutes(registry: dependencies.metricsRegistry, token: configuration.metricsToken).register(on: router)
    OpenAPIRoutes().register(on: router)
    ConsoleRoutes().register(on: router)
    AuthRoutes(dependencies: dependencies).register(on: router)
    SessionRoutes(dependencies: dependencies).register(on: router)
    TOTPRoutes(dependencies: dependencies).register(on: router)
    WebAuthnRoutes(dependencies: dependencies).register(on: router)
    MeRoutes(dependencies: dependencies).register(on: router)
    WorkspaceRoutes(dependencies: dependencies).register(on: router)
    FileRoutes(dependencies: dependencies).register(on: router)
    MemberRoutes(dependencies: dependencies).register(on: router)
    InviteRoutes(dependencies: dependencies).register(on: router)
    AuditRoutes(dependencies: dependencies).register(on: router)
    AgentRoutes(dependencies: dependencies).register(on: router)
    APIKeyRoutes(dependencies: dependencies).register(on: router)
    BootstrapRoutes(dependencies: dependencies).register(on: router)
    ChannelRoutes(dependencies: dependencies).register(on: router)
    ChannelMemberRoutes(dependencies: dependencies).register(on: router)
    DMRoutes(dependencies: dependencies).register(on: router)
    MessageRoutes(dependencies: dependencies).register(on: router)
    ChannelStatusRoutes(dependencies: dependencies).register(on: router)
    WebhookRoutes(dependencies: dependencies).register(on: router)
    realtime.register(on: router)
    MCPRoutes(dependencies: dependencies, realtime: realtime).register(on: router)

    routeTable.set(router.routes.map { RouteTable.Route(method: $0.method.rawValue, path: $0.path.description) })

    let webSocketRouter = Router(context: AppRequestContext.self)
    webSocketRouter.add(middleware: DeclinedUpgradeMiddleware())
    webSocketRouter.add(middleware: envelope)
    webSocketRouter.add(middleware: CanonicalPathMiddleware())
    realtime.registerWebSocket(on: webSocketRouter)
    if configuration.testWebSocketEcho {
        WebSocketEchoRoute().register(on: webSocketRouter)
    }
    return (router, webSocketRouter)
}

/// The one place a server is wired together: from its configuration and the resources the
/// process opened (the database, the secrets, the metrics registry), every shared mechanism
/// (`ServerDependencies`), the routers and the application with its services.
public func buildApplication(
    configuration: ConclaveConfiguration,
    database: any Database,
    secrets: ServerSecrets,
    metricsRegistry: PrometheusCollectorRegistry,
    logger: Logger,
    certificates: TLSCertificateStore? = nil,
    onListening: @escaping @Sendable (String) async -> Void = { Console.line("conclave listening on \($0)") }
) async throws -> some ApplicationProtocol {
    let dependencies = try await ServerDependencies(
        configuration: configuration, database: database, secrets: secrets, metricsRegistry: metricsRegistry, logger: logger
    )
    return try buildApplication(dependencies, certificates: certificates, onListening: onListening)
}

/// Builds the application: the router, the database service, migrations before the first request,
/// and the ready line once the socket is bound. With `certificates` the one port speaks only
/// TLS 1.3 (HTTPS and WSS); SIGHUP reloads the certificate.
public func buildApplication(
    _ dependencies: ServerDependencies,
    certificates: TLSCertificateStore? = nil,
    onListening: @escaping @Sendable (String) async -> Void = { Console.line("conclave listening on \($0)") }
) throws -> some ApplicationProtocol {
    let configuration = dependencies.configuration
    let tokens = dependencies.tokens
    let (router, webSocketRouter) = buildRouters(dependencies)
    let scheme = certificates == nil ? "http" : "https"
    let host = configuration.host
    // The WebSocket layer pings every `period` and closes a socket whose pong has not arrived by the
    // next ping, so 10 s gives the contract's bound (no pong within 10 s → closed), pinging more
    // often than its every-30-s minimum. A close the server starts waits `SocketCloser.timeout`
    // for the client's answer, then the connection is cut.
    let channelConfiguration = HTTP1WebSocketUpgradeChannel.Configuration(
        http1: .init(idleTimeout: ConnectionTimeouts.keepAliveIdle),
        ws: .init(
            maxFrameSize: RealtimeConnection.maxInboundMessage, autoPing: .enabled(timePeriod: .seconds(10)),
            closeTimeout: SocketCloser.timeout, validateUTF8: true
        )
    )
    let webSocketResponder = webSocketRouter.buildResponder()
    let caps = ConnectionCaps.resolve(configuration, descriptorLimit: DescriptorLimit.current().soft)
    let limiter = ConnectionLimiter(caps: caps, trustedProxies: configuration.trustedProxies)
    dependencies.logger.info(
        "connection caps",
        metadata: ["total": .stringConvertible(caps.total), "per_ip": .stringConvertible(caps.perClient), "descriptor_limit": .stringConvertible(caps.descriptorLimit)]
    )
    let tlsConfiguration = certificates?.serverConfiguration()
    let server = HTTPServerBuilder { responder in
        let http = FirstRequestGuard(
            base: HTTP1WebSocketUpgradeChannel(responder: responder, webSocketResponder: webSocketResponder, configuration: channelConfiguration),
            tlsEnabled: tlsConfiguration != nil
        )
        // The caps come first, so a refused connection costs no TLS handshake either.
        if let tlsConfiguration {
            return ConnectionLimitGuard(base: try TLSChannel(http, tlsConfiguration: tlsConfiguration), limiter: limiter)
        }
        return ConnectionLimitGuard(base: http, limiter: limiter)
    }
    var app = Application(
        router: router,
        server: server,
        configuration: .init(
            address: .hostname(host, port: configuration.port),
            serverName: nil,
            reuseAddress: true
        ),
        onServerRunning: { channel in
            let port = channel.localAddress?.port ?? configuration.port
            // Before the ready line: from then on, clients may sign in and read invite links.
            configuration.boundPort.set(port)
            if configuration.configuredPublicURL == nil { tokens.useIssuer(configuration.publicURL) }
            let printableHost = host.contains(":") ? "[\(host)]" : host
            await onListening("\(scheme)://\(printableHost):\(port)")
        },
        logger: dependencies.logger
    )
    app.addServices(DatabaseService(database: dependencies.database))
    app.addServices(EventNotificationListener(hub: dependencies.hub, database: dependencies.database))
    app.addServices(CredentialInvalidationListener(caches: dependencies.credentials))
    app.addServices(TLSReloadService(store: certificates, logger: dependencies.logger))
    app.addServices(MemoryReturnService(limiter: limiter))
    app.addServices(
        RetentionService(database: dependencies.database, retentionHours: configuration.eventRetentionHours, logger: dependencies.logger)
    )
    app.addServices(ApprovalExpiryService(dependencies: dependencies))
    app.addServices(StreamFinalizerService(dependencies: dependencies))
    app.addServices(WebhookDispatcher(dependencies: dependencies))
    let database = dependencies.database
    app.beforeServerStarts {
        // A shutdown while the database is still out of reach ends the wait instead of hanging.
        try await cancelWhenGracefulShutdown {
            try await database.waitUntilReachable()
            try await Migrator(database: database).migrate()
        }
    }
    return app
}
