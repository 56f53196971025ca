import ConclaveCore
import ConclaveSecurity
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus

/// Prometheus metrics: loopback clients only, unless CONCLAVE_METRICS_TOKEN is configured, in which
/// case every caller must present it as a Bearer token.
struct MetricsRoutes {
    let registry: PrometheusCollectorRegistry
    let token: String?

    func register(on router: Router<AppRequestContext>) {
        router.get("/metrics") { request, context -> Response in
            if let token {
                guard let presented = BearerToken.from(request),
                    ConstantTime.equals(Array(presented.utf8), Array(token.utf8))
                else { throw Problem.unauthorized("A valid metrics token is required.") }
            } else if !CIDRBlock.isLoopback(context.clientIP) {
                throw Problem.notFound
            }
            var buffer = [UInt8]()
            registry.emit(into: &buffer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}
