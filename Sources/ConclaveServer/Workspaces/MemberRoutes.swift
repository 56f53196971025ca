import ConclaveCore
import ConclaveStore
import Hummingbird

/// Workspace members over HTTP (`MemberService`): list, change a role or handle, remove (or leave).
struct MemberRoutes {
    let dependencies: ServerDependencies

    var service: MemberService { MemberService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.get("/api/v1/workspaces/{ws}/members") { request, context in try await list(request, context) }
        router.patch("/api/v1/workspaces/{ws}/members/{member}") { request, context in try await update(request, context) }
        router.delete("/api/v1/workspaces/{ws}/members/{member}") { _, context in try await remove(context) }
    }

    static func json(_ member: WorkspaceRepository.MemberRow) -> JSONValue {
        var body: [String: JSONValue] = [
            "id": .string(member.principalID),
            "kind": .string(member.kind.rawValue),
            "name": .string(member.name),
            "handle": .string(member.handle),
            "role": .string(member.role.rawValue),
            "joined_at": .string(Clock.rfc3339(milliseconds: member.joinedAt)),
        ]
        if let email = member.email { body["email"] = .string(email) }
        return .object(body)
    }

    func list(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        // A member's name and handle are what an agent needs to mention it: either scope reads them.
        let principal = try context.principal(withAnyOf: [.membersRead, .channelsRead])
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let (items, next) = try await service.list(principal, workspaceID: workspaceID, page: try Page(request))
        return JSONResponse.make(Page.response(items.map(Self.json), next: next))
    }

    func update(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let memberID = try context.pathID("member", kinds: [.user, .agent])
        let member = try await service.update(
            context.principal, of: memberID, in: workspaceID, clientIP: context.clientIP,
            body: await request.decodeJSON(as: MemberService.UpdateRequest.self, context: context)
        )
        return JSONResponse.make(Self.json(member))
    }

    func remove(_ context: AuthenticatedRequestContext) async throws -> Response {
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let memberID = try context.pathID("member", kinds: [.user, .agent])
        try await service.remove(context.principal, memberID: memberID, from: workspaceID, clientIP: context.clientIP)
        return Response(status: .noContent)
    }
}
