import ConclaveCore
import ConclaveStore
import Foundation
import HTTPTypes
import Hummingbird

/// Files over HTTP: upload raw bytes (`?name=`, the body's Content-Type), metadata, content
/// (always as an attachment, sandboxed and never sniffed, so a file can never act as a page of
/// this origin), and deletion.
struct FileRoutes {
    let dependencies: ServerDependencies

    var service: FileService { FileService(dependencies: dependencies) }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: AuthenticatedRequestContext.self)
        router.post("/api/v1/workspaces/{ws}/files") { request, context in try await upload(request, context) }
        router.get("/api/v1/files/{fil}") { _, context in try await metadata(context) }
        router.get("/api/v1/files/{fil}/content") { _, context in try await content(context) }
        router.delete("/api/v1/files/{fil}") { _, context in try await delete(context) }
    }

    /// The upload route, whose body has its own limit (`RequestBodyLimit`) and is never buffered
    /// (`IdempotencyMiddleware` leaves it alone).
    static func isUpload(_ request: Request) -> Bool {
        guard request.method == .post else { return false }
        let parts = request.uri.path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 6 && parts[1] == "api" && parts[2] == "v1" && parts[3] == "workspaces" && parts[5] == "files"
    }

    func upload(_ request: Request, _ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .filesWrite)
        let workspaceID = try context.pathID("ws", kind: .workspace)
        let name = try FileName.validated(FileName.queryValue("name", in: request.uri.query))
        let contentType = try FileName.contentType(request.headers[.contentType])
        let file = try await service.upload(principal, workspaceID: workspaceID, name: name, contentType: contentType, body: request.body)
        return JSONResponse.make(FileJSON.file(file), status: .created)
    }

    func metadata(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .filesRead)
        let fileID = try context.pathID("fil", kind: .file)
        return JSONResponse.make(FileJSON.file(try await service.readable(principal, fileID: fileID)))
    }

    func content(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .filesRead)
        let fileID = try context.pathID("fil", kind: .file)
        let file = try await service.readable(principal, fileID: fileID)
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        headers[.contentDisposition] = FileName.contentDisposition(file.name)
        headers[.xContentTypeOptions] = "nosniff"
        headers[.contentSecurityPolicy] = "sandbox; default-src 'none'"
        headers[.cacheControl] = "private, no-store"
        return Response(status: .ok, headers: headers, body: try service.content(file))
    }

    func delete(_ context: AuthenticatedRequestContext) async throws -> Response {
        let principal = try context.principal(with: .filesWrite)
        let fileID = try context.pathID("fil", kind: .file)
        try await service.delete(principal, fileID: fileID, clientIP: context.clientIP)
        return Response(status: .noContent)
    }
}
