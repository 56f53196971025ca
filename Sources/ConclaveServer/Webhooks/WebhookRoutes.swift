import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Webhooks over HTTP (`WebhookService`). Every route needs `webhooks:manage` of an API key.
struct WebhookRoutes {
    let dependencies: ServerDependencies

    var service: WebhookService { WebhookService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let group = router.group(context: AuthenticatedRequestContext.self)
        group.post("/api/v1/workspaces/{ws}/webhooks") { request, context in try await create(request, context) }
        group.get("/api/v1/workspaces/{ws}/webhooks") { request, context in try await list(request, context) }
        group.get("/api/v1/workspaces/{ws}/webhooks/{whk}") { _, context in try await show(context) }
        group.patch("/api/v1/workspaces/{ws}/webhooks/{whk}") { request, context in try await update(request, context) }
        group.delete("/api/v1/workspaces/{ws}/webhooks/{whk}") { _, context in try await delete(context) }
        group.post("/api/v1/workspaces/{ws}/webhooks/{whk}/rotate-secret") { _, context in try await rotate(context) }
        group.post("/api/v1/workspaces/{ws}/webhooks/{whk}/test") { _, context in try await test(context) }
        group.get("/api/v1/workspaces/{ws}/webhooks/{whk}/deliveries") { request, context in try await deliveries(request, context) }
        group.post("/api/v1/workspaces/{ws}/webhooks/{whk}/deliveries/{dlv}/replay") { _, context in try await replay(context) }
    }

    func ids(_ context: AuthenticatedRequestContext) throws -> (Principal, String, String) {
        let principal = try context.principal(with: .webhooksManage)
        return (principal, try context.pathID("ws", kind: .workspace), try context.pathID("whk", kind: .webhook))
    }

    func create(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .webhooksManage)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let (webhook, secret) = try await service.create(
            principal, workspaceID: workspaceID, clientIP: context.clientIP,
            body: await request.decodeJSON(as: WebhookService.CreateRequest.self, context: context)
        )
        guard case .object(var body) = WebhookJSON.webhook(webhook) else { return JSONResponse.make(.null) }
        body["secret"] = .string(secret)
        return JSONResponse.make(.object(body), status: .created)
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .webhooksManage)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let (items, next) = try await service.list(principal, workspaceID: workspaceID, page: try Page(request))
        return JSONResponse.make(Page.response(items.map(WebhookJSON.webhook), next: next))
    }

    func show(_ context: AuthenticatedRequestContext) async throws -> Response {
        let (principal, workspaceID, webhookID) = try ids(context)
        return JSONResponse.make(WebhookJSON.webhook(try await service.visibleWebhook(principal, webhookID: webhookID, in: workspaceID)))
    }

    func update(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: WebhookService.UpdateRequest.self, context: context)
        let (principal, workspaceID, webhookID) = try ids(context)
        let updated = try await service.update(principal, webhookID: webhookID, in: workspaceID, clientIP: context.clientIP, body: body)
        return JSONResponse.make(WebhookJSON.webhook(updated))
    }

    func delete(_ context: AuthenticatedRequestContext) async throws -> Response {
        let (principal, workspaceID, webhookID) = try ids(context)
        try await service.delete(principal, webhookID: webhookID, in: workspaceID, clientIP: context.clientIP)
        return Response(status: .noContent)
    }

    func rotate(_ context: AuthenticatedRequestContext) async throws -> Response {
        let (principal, workspaceID, webhookID) = try ids(context)
        let (webhook, secret) = try await service.rotate(principal, webhookID: webhookID, in: workspaceID, clientIP: context.clientIP)
        guard case .object(var body) = WebhookJSON.webhook(webhook) else { return JSONResponse.make(.null) }
        body["secret"] = .string(secret)
        return JSONResponse.make(.object(body))
    }

    func test(_ context: AuthenticatedRequestContext) async throws -> Response {
        let (principal, workspaceID, webhookID) = try ids(context)
        let delivery = try await service.test(principal, webhookID: webhookID, in: workspaceID)
        return JSONResponse.make(WebhookJSON.delivery(delivery), status: .accepted)
    }

    func deliveries(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let (principal, workspaceID, webhookID) = try ids(context)
        let status = request.uri.queryParameters.get("status")
        guard status == nil || status == "failed" || status == "all" else {
            throw Problem.validation(field: "status", "must be failed or all")
        }
        let (items, next) = try await service.deliveries(
            principal, webhookID: webhookID, in: workspaceID, failedOnly: status == "failed", page: try Page(request)
        )
        return JSONResponse.make(Page.response(items.map(WebhookJSON.delivery), next: next))
    }

    func replay(_ context: AuthenticatedRequestContext) async throws -> Response {
        let (principal, workspaceID, webhookID) = try ids(context)
        let deliveryID = try context.pathID("dlv", kind: .webhookDelivery)
        let delivery = try await service.replay(principal, webhookID: webhookID, deliveryID: deliveryID, in: workspaceID, clientIP: context.clientIP)
        return JSONResponse.make(WebhookJSON.delivery(delivery), status: .accepted)
    }
}
