import ConclaveCore
import HTTPTypes
import Hummingbird
import NIOCore

/// Builds JSON responses from `JSONValue`s or `Encodable`s with snake_case keys written by the types themselves.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: value.canonicalBytes)))
    }
}
