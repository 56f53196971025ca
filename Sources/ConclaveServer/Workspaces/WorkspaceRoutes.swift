import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Workspaces over HTTP (`WorkspaceService`): create (the caller becomes owner), list the
/// caller's, read, rename, delete.
struct WorkspaceRoutes {
    let dependencies: ServerDependencies

    var service: WorkspaceService { WorkspaceService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/workspaces") { request, context in try await create(request, context) }
        router.get("/api/v1/workspaces") { request, context in try await list(request, context) }
        router.get("/api/v1/workspaces/{ws}") { _, context in try await show(context) }
        router.patch("/api/v1/workspaces/{ws}") { request, context in try await update(request, context) }
        router.delete("/api/v1/workspaces/{ws}") { _, context in try await delete(context) }
    }

    static func json(_ workspace: WorkspaceRecord, role: Role) -> JSONValue {
        [
            "id": .string(workspace.id),
            "name": .string(workspace.name),
            "role": .string(role.rawValue),
            "created_at": .string(Clock.rfc3339(milliseconds: workspace.createdAt)),
            "loop_budget": .int(workspace.loopBudget),
        ]
    }

    func create(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let workspace = try await service.create(
            context.principal, clientIP: context.clientIP,
            body: await request.decodeJSON(as: WorkspaceService.CreateRequest.self, context: context)
        )
        return JSONResponse.make(Self.json(workspace, role: .owner), status: .created)
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let (items, next) = try await service.list(context.principal, page: try Page(request))
        return JSONResponse.make(Page.response(items.map { Self.json($0.0, role: $0.1) }, next: next))
    }

    func show(_ context: AuthenticatedRequestContext) async throws -> Response {
        let (workspace, role) = try await service.show(context.principal, workspaceID: try context.pathID("ws", kind: .workspace))
        return JSONResponse.make(Self.json(workspace, role: role))
    }

    func update(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let (workspace, role) = try await service.update(
            context.principal, workspaceID: workspaceID, clientIP: context.clientIP,
            body: await request.decodeJSON(as: WorkspaceService.UpdateRequest.self, context: context)
        )
        return JSONResponse.make(Self.json(workspace, role: role))
    }

    func delete(_ context: AuthenticatedRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        try await service.delete(context.principal, workspaceID: workspaceID, clientIP: context.clientIP)
        return Response(status: .noContent)
    }
}
