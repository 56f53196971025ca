import HTTPTypes
import Hummingbird
import NIOCore

/// Serves the OpenAPI 3.1 document (docs/openapi.yaml, embedded at build time as JSON).
struct OpenAPIRoutes {
    func register(on router: Router<AppRequestContext>) {
        router.get("/openapi.json") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            headers[.cacheControl] = "public, max-age=300"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }
}
