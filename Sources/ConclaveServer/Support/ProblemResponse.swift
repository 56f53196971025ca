import ConclaveCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Renders a `Problem` as `application/problem+json`.
enum ProblemResponse {
    static func make(_ problem: Problem) -> Response {
        var body: [String: JSONValue] = [
            "type": .string(problem.type),
            "title": .string(problem.title),
            "status": .int(Int64(problem.status)),
        ]
        if let detail = problem.detail { body["detail"] = .string(detail) }
        if !problem.errors.isEmpty {
            body["errors"] = .array(problem.errors.map { .object(["field": .string($0.field), "message": .string($0.message)]) })
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        for (name, value) in problem.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: problem.status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(body).canonicalBytes))
        )
    }
}
