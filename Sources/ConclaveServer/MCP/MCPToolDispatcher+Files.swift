import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import Hummingbird
import MCP
import NIOCore

/// `upload_file` and `get_file`: the REST routes' service, with the bytes as base64 (bounded by
/// the 1 MiB MCP request, and `get_file` returns content only for small files).
extension MCPToolDispatcher {
    /// Content `get_file` returns inline; a larger file is named with where to download it.
    static let maxInlineFileBytes = 256 * 1024

    func uploadFile(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.filesWrite])
        let input = try decode(MCPToolArguments.UploadFile.self, arguments)
        let workspaceID = try await workspace(input.workspaceID)
        let name = try FileName.validated(input.name)
        let contentType = try FileName.contentType(input.contentType)
        guard let bytes = Data(base64Encoded: input.contentBase64) else {
            throw Problem.validation(field: "content_base64", "must be standard base64")
        }
        let file = try await FileService(dependencies: dependencies).upload(
            principal, workspaceID: workspaceID, name: name, contentType: contentType, body: RequestBody(buffer: ByteBuffer(bytes: bytes)))
        return MCPToolResult.data(FileJSON.file(file))
    }

    func getFile(_ arguments: Data) async throws -> CallTool.Result {
        let principal = try principal.requiring(anyOf: [.filesRead])
        let input = try decode(MCPToolArguments.GetFile.self, arguments)
        let fileID = try Self.id(input.fileID, field: "file_id", kind: .file)
        let service = FileService(dependencies: dependencies)
        let file = try await service.readable(principal, fileID: fileID)
        guard case .object(var body) = FileJSON.file(file) else { throw Problem.internalError }
        if file.size <= Self.maxInlineFileBytes {
            body["content_base64"] = .string(try service.contents(file).base64EncodedString())
        } else {
            body["note"] = .string("Too large to return here (over \(Self.maxInlineFileBytes) bytes): download GET /api/v1/files/\(file.id)/content.")
        }
        // The bytes were written by someone else: data, never instructions.
        return MCPToolResult.data(.object(body), untrusted: true)
    }
}
