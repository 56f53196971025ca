import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// `conclave admin create-owner`: the first person and their workspace, created from the host.
public enum OwnerProvisioning {
    public enum ProvisioningError: Error, CustomStringConvertible {
        case invalid(String)
        case emailTaken

        public var description: String {
            switch self {
            case .invalid(let reason): reason
            case .emailTaken: "an account with that email already exists"
            }
        }
    }

    public struct Result: Sendable {
        public let userID: String
        public let workspaceID: String
        public let email: String
    }

    public static func validate(email: String, workspaceName: String, password: String) throws(ProvisioningError) {
        if let message = Validation.email(email) { throw .invalid("--email \(message)") }
        if let message = Validation.displayName(workspaceName) { throw .invalid("--workspace \(message)") }
        let violations = PasswordPolicy().violations(for: password, contextWords: [email, workspaceName])
        if let first = violations.first { throw .invalid("password \(first.message)") }
    }

    public static func createOwner(
        database: any Database,
        email: String,
        name: String?,
        workspaceName: String,
        passwordHash: String
    ) async throws -> Result {
        let normalized = Validation.normalizedEmail(email)
        let displayName = name ?? String(normalized.split(separator: "@").first ?? "owner")
        let kind = database.kind
        return try await database.write { db in
            let users = UserRepository()
            guard try await users.find(email: normalized, on: db) == nil else { throw ProvisioningError.emailTaken }
            let now = Clock.milliseconds()
            let userID = Identifier.generate(.user)
            try await users.insert(
                UserRecord(
                    id: userID, kind: .human, email: normalized, name: displayName, passwordHash: passwordHash, failedLogins: 0,
                    lockedUntil: nil, totpSecret: nil, totpEnabled: false, totpLastCounter: nil, createdAt: now
                ),
                on: db
            )
            // The workspace as the API makes one, without a `member.joined` event: nobody
            // follows it yet (see `WorkspaceService.insertWorkspace`).
            let (workspace, _) = try await WorkspaceService.insertWorkspace(named: workspaceName, ownerID: userID, announced: false, now: now, on: db)
            try await AuditRepository().append(
                AuditEvent(actor: .system(), action: "account.created", target: userID, workspaceID: workspace.id, details: ["via": "cli"]),
                on: db,
                kind: kind
            )
            try await AuditRepository().append(
                WorkspaceService.createdEntry(workspace, actor: .system(), details: ["owner_id": .string(userID)]), on: db, kind: kind
            )
            return Result(userID: userID, workspaceID: workspace.id, email: normalized)
        }
    }
}
