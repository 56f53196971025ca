import ConclaveCore
import ConclaveStore
import Foundation
import Hummingbird
import Logging
import MCP

/// Runs one tool call (the tools themselves: `+Reading`, `+Writing`) for the authenticated principal of the `POST /mcp` request. Each tool
/// checks the scope its REST route checks (`Principal.requiring`) and then calls the same
/// service method, so roles, channel visibility, rate limits, loop budget and audit are the
/// REST API's own. A refusal (any `Problem`) becomes a tool error carrying its status; only an
/// unknown tool is a JSON-RPC error.
struct MCPToolDispatcher {
    let dependencies: ServerDependencies
    let realtime: RealtimeRoutes
    let principal: Principal
    let clientIP: String
    /// The request's credential, re-checked before `wait_for_mentions` delivers anything.
    let check: CredentialCheck
    let logger: Logger

    func call(_ name: String, arguments: [String: Value]?) async throws -> CallTool.Result {
        guard MCPToolCatalog.names.contains(name) else { throw MCPError.invalidParams("Unknown tool: \(name)") }
        do {
            return try await run(name, arguments: try Self.encode(arguments))
        } catch let problem as Problem {
            return MCPToolResult.refusal(problem)
        } catch let error as StoreError {
            return MCPToolResult.refusal(Problem(error))
        } catch {
            // Internal: the type name goes to the log; the model learns nothing more than REST would.
            logger.error("mcp tool failed", metadata: ["tool": .string(name), "error_type": .string(String(reflecting: type(of: error)))])
            return MCPToolResult.refusal(.internalError)
        }
    }

    private func run(_ name: String, arguments: Data) async throws -> CallTool.Result {
        switch name {
        case "whoami": try await whoami(arguments)
        case "list_channels": try await listChannels(arguments)
        case "read_messages": try await readMessages(arguments)
        case "read_thread": try await readThread(arguments)
        case "search_messages": try await searchMessages(arguments)
        case "send_message": try await sendMessage(arguments)
        case "edit_message": try await editMessage(arguments)
        case "add_reaction": try await addReaction(arguments)
        case "mark_read": try await markRead(arguments)
        case "set_status": try await setStatus(arguments)
        case "request_approval": try await requestApproval(arguments)
        case "wait_for_mentions": try await waitForMentions(arguments)
        case "upload_file": try await uploadFile(arguments)
        case "get_file": try await getFile(arguments)
        default: throw MCPError.invalidParams("Unknown tool: \(name)")
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ arguments: Data) throws -> T {
        try Request.decodeStrictJSON(arguments, as: T.self)
    }

    /// An id argument: not shaped like an id → 422 naming it; an id of another kind → 404, as a path would be.
    static func id(_ value: String, field: String, kind: IdentifierKind) throws -> String {
        guard Identifier.isWellFormed(value) else { throw Problem.validation(field: field, "is not a valid identifier") }
        guard Identifier.isWellFormed(value, kind: kind) else { throw Problem.notFound }
        return value
    }

    static func encode(_ arguments: [String: Value]?) throws -> Data {
        try JSONEncoder().encode(arguments ?? [:])
    }
}
