import HTTPTypes
import Synchronization

/// The server's routes as (method, path template) pairs: answers "which methods does this path
/// allow" for 405 responses, and is what the OpenAPI document is checked against.
public final class RouteTable: Sendable {
    public struct Route: Sendable, Hashable {
        public let method: String
        public let path: String
    }

    private let storage = Mutex<[Route]>([])

    public init() {}

    public var routes: [Route] { storage.withLock { $0 } }

    func set(_ routes: [Route]) {
        storage.withLock { $0 = routes }
    }

    /// The methods registered for templates that match `path`, or empty when no template matches.
    public func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods = Set<String>()
        for route in routes where Self.matches(template: route.path, segments: segments) {
            methods.insert(route.method)
        }
        return methods.sorted()
    }

    static func matches(template: String, segments: [Substring]) -> Bool {
        let parts = template.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == segments.count else { return false }
        for (part, segment) in zip(parts, segments) {
            if part.hasPrefix("{"), part.hasSuffix("}") { continue }
            if part != segment { return false }
        }
        return true
    }
}
