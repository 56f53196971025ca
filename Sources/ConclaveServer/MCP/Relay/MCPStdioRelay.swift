import Foundation
import Logging
import MCP

/// `conclave mcp`: an MCP server on stdin/stdout for one agent, which relays every JSON-RPC
/// message to the server's `POST /mcp` with the agent's key and writes the answer back. The
/// tools, their scopes and their checks are the server's alone: this process adds none and can
/// skip none. Messages are relayed concurrently (a `wait_for_mentions` does not hold up the
/// rest); at the end of input the relay finishes what is in flight, then exits.
enum MCPStdioRelay {
    static func run(upstream: MCPUpstream) async throws {
        let transport = StdioTransport()
        try await transport.connect()
        await withTaskGroup(of: Void.self) { group in
            do {
                for try await message in await transport.receive() {
                    group.addTask {
                        guard let answer = await relay(message, to: upstream) else { return }
                        try? await transport.send(answer)
                    }
                }
            } catch {
                // Input failed: finish what is in flight, as at its end.
            }
            await group.waitForAll()
        }
        await transport.disconnect()
    }

    /// The answer to write for `message`: the server's JSON-RPC answer, or a JSON-RPC error with
    /// the request's id when the server refused the HTTP request itself (401, 403, 413, 429) or
    /// could not be reached. Nothing for a notification the server accepted.
    static func relay(_ message: Data, to upstream: MCPUpstream) async -> Data? {
        let id = requestID(of: message)
        let answer: MCPUpstream.Answer
        do {
            answer = try await upstream.post(message)
        } catch let failure as MCPUpstream.Failure {
            return id.flatMap { errorAnswer(id: $0, message: failure.description) }
        } catch {
            return id.flatMap { errorAnswer(id: $0, message: MCPUpstream.Failure.closedEarly.description) }
        }
        if answer.status == 202 || answer.body.isEmpty { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any] else {
            return id.flatMap { errorAnswer(id: $0, message: "the Conclave server answered \(answer.status) without JSON") }
        }
        if object["jsonrpc"] != nil {
            // The transport's own errors carry id null: give them the request's id.
            guard object["id"] is NSNull, let id else { return answer.body }
            var fixed = object
            fixed["id"] = id
            return try? JSONSerialization.data(withJSONObject: fixed)
        }
        // An RFC 9457 problem: the HTTP request itself was refused.
        let title = object["title"] as? String ?? "Error"
        let detail = (object["detail"] as? String).map { ": " + $0 } ?? ""
        return id.flatMap { errorAnswer(id: $0, message: "Conclave refused the request (\(answer.status) \(title))\(detail)") }
    }

    /// The id of a JSON-RPC request (nil for a notification, a response or unparsable input).
    static func requestID(of message: Data) -> Any? {
        guard let object = try? JSONSerialization.jsonObject(with: message) as? [String: Any], object["method"] != nil,
            let id = object["id"], id is String || id is NSNumber
        else { return nil }
        return id
    }

    static func errorAnswer(id: Any, message: String) -> Data? {
        try? JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": id, "error": ["code": -32000, "message": message]])
    }
}
