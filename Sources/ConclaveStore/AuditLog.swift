import ConclaveCore
import ConclaveSecurity
import Foundation
import SQLKit

/// Who did a security-relevant thing, as the audit log records it.
public struct AuditActor: Sendable, Equatable, Codable {
    /// `human`, `agent` (a principal's kind), `system` or `anonymous`. An open set rather than
    /// an enum: an entry is read back with whatever text its row holds, so that the verifier
    /// hashes exactly what is stored and reports an altered kind instead of failing to read it.
    public struct Kind: RawRepresentable, Sendable, Equatable, Codable {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public init(_ principal: Principal.Kind) {
            self.init(rawValue: principal.rawValue)
        }

        public static let human = Kind(.human)
        public static let agent = Kind(.agent)
        public static let system = Kind(rawValue: "system")
        public static let anonymous = Kind(rawValue: "anonymous")
    }

    public var id: String?
    public var kind: Kind
    public var ip: String?

    public init(id: String?, kind: Kind, ip: String?) {
        self.id = id
        self.kind = kind
        self.ip = ip
    }

    public static func system() -> AuditActor { AuditActor(id: nil, kind: .system, ip: nil) }
}

/// An audit entry before it is chained. `details` must never hold a secret: callers pass ids,
/// names and outcomes only.
public struct AuditEvent: Sendable {
    public var actor: AuditActor
    public var action: String
    public var target: String?
    public var workspaceID: String?
    public var details: [String: JSONValue]

    public init(actor: AuditActor, action: String, target: String? = nil, workspaceID: String? = nil, details: [String: JSONValue] = [:]) {
        self.actor = actor
        self.action = action
        self.target = target
        self.workspaceID = workspaceID
        self.details = details
    }
}

/// A chained, stored audit entry in the contract's shape.
public struct AuditRecord: Sendable, Equatable {
    public var id: String
    public var chain: String
    public var seq: Int64
    public var at: String
    public var actor: AuditActor
    public var action: String
    public var target: String?
    public var workspaceID: String?
    public var details: JSONValue
    public var prevHash: String
    public var hash: String

    /// The entry without its hash, in the form the hash covers.
    public var hashedContent: JSONValue {
        .object([
            "id": .string(id),
            "seq": .int(seq),
            "at": .string(at),
            "actor": .object([
                "id": actor.id.map(JSONValue.string) ?? .null,
                "kind": .string(actor.kind.rawValue),
                "ip": actor.ip.map(JSONValue.string) ?? .null,
            ]),
            "action": .string(action),
            "target": target.map(JSONValue.string) ?? .null,
            "workspace_id": workspaceID.map(JSONValue.string) ?? .null,
            "details": details,
            "prev_hash": .string(prevHash),
        ])
    }

    public var json: JSONValue {
        guard case .object(var members) = hashedContent else { return hashedContent }
        members["hash"] = .string(hash)
        members.removeValue(forKey: "chain")
        return .object(members)
    }
}
