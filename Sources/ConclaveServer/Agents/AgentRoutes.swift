import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird

/// Agents over HTTP (`AgentService`): create, list, read, update and pause/resume, delete.
/// People manage them; agents and people may read.
struct AgentRoutes {
    let dependencies: ServerDependencies

    var service: AgentService { AgentService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let readers = router.group(context: AuthenticatedRequestContext.self)
        let people = router.group(context: SessionRequestContext.self)
        people.post("/api/v1/workspaces/{ws}/agents") { request, context in try await create(request, context) }
        readers.get("/api/v1/workspaces/{ws}/agents") { request, context in try await list(request, context) }
        readers.get("/api/v1/workspaces/{ws}/agents/{agent}") { _, context in try await show(context) }
        people.patch("/api/v1/workspaces/{ws}/agents/{agent}") { request, context in try await update(request, context) }
        people.delete("/api/v1/workspaces/{ws}/agents/{agent}") { _, context in try await delete(context) }
    }

    static func json(_ agent: AgentRecord) -> JSONValue {
        [
            "id": .string(agent.id),
            "workspace_id": .string(agent.workspaceID),
            "name": .string(agent.name),
            "handle": agent.handle.map(JSONValue.string) ?? .null,
            "description": .string(agent.description),
            "status": .string(agent.status.rawValue),
            "role": "agent",
            "created_by": .string(agent.createdBy),
            "created_at": .string(Clock.rfc3339(milliseconds: agent.createdAt)),
            "last_seen_at": agent.lastSeenAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
        ]
    }

    func create(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let agent = try await service.create(
            context.principal, workspaceID: workspaceID, clientIP: context.clientIP,
            body: await request.decodeJSON(as: AgentService.CreateRequest.self, context: context)
        )
        return JSONResponse.make(Self.json(agent), status: .created)
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .membersRead)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let (items, next) = try await service.list(principal, workspaceID: workspaceID, page: try Page(request))
        return JSONResponse.make(Page.response(items.map(Self.json), next: next))
    }

    func show(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .membersRead)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let agentID = try context.pathID("agent", kind: .agent)
        return JSONResponse.make(Self.json(try await service.show(principal, agentID: agentID, in: workspaceID)))
    }

    func update(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        // The body before the path ids: a request bad in both has always been answered about its body.
        let body = try await request.decodeJSON(as: AgentService.UpdateRequest.self, context: context)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let agentID = try context.pathID("agent", kind: .agent)
        let updated = try await service.update(context.principal, agentID: agentID, in: workspaceID, clientIP: context.clientIP, body: body)
        return JSONResponse.make(Self.json(updated))
    }

    func delete(_ context: SessionRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let agentID = try context.pathID("agent", kind: .agent)
        try await service.delete(context.principal, agentID: agentID, in: workspaceID, clientIP: context.clientIP)
        return Response(status: .noContent)
    }
}
