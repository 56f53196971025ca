import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// TOTP enrolment: enroll (a pending secret, encrypted at rest), confirm with a first code (turns
/// it on, ends the person's other sessions and returns ten single-use backup codes), and remove
/// (needs a current code). Each step needs a recent sign-in (`RecentSignIn`): an access token
/// alone must not be able to put an attacker's authenticator on the account, or take it off.
struct TOTPService {
    let dependencies: ServerDependencies

    struct CodeRequest: Decodable, Sendable {
        let code: String
        let currentPassword: String?

        enum CodingKeys: String, CodingKey {
            case code
            case currentPassword = "current_password"
        }
    }

    struct Enrolment: Sendable {
        let secret: String
        let otpauthURI: String
    }

    struct Confirmation: Sendable {
        let backupCodes: [String]
        let sessionsRevoked: Int
    }

    func enroll(_ caller: SessionCaller, currentPassword: String?) async throws -> Enrolment {
        let user = try await RecentSignIn(dependencies: dependencies).signedInPerson(caller, currentPassword: currentPassword)
        guard !user.totpEnabled else { throw Problem.conflict("TOTP is already enabled; remove it first to enrol again.") }
        let secret = TOTP.generateSecret()
        let sealed = try SecondFactor(keys: dependencies.keys).seal(secret: secret, userID: user.id)
        try await dependencies.database.write { db in
            try await UserRepository().setTOTP(id: user.id, secret: sealed, enabled: false, now: Clock.milliseconds(), on: db)
        }
        let issuer = URLComponents(string: dependencies.configuration.publicURL)?.host ?? "Conclave"
        return Enrolment(
            secret: Base32.encode(secret),
            otpauthURI: TOTP().otpauthURI(secret: secret, account: user.email ?? user.id, issuer: "Conclave (\(issuer))"))
    }

    func confirm(_ body: CodeRequest, caller: SessionCaller) async throws -> Confirmation {
        let user = try await RecentSignIn(dependencies: dependencies).signedInPerson(caller, currentPassword: body.currentPassword)
        let digits = body.code.utf8.filter { $0 != UInt8(ascii: " ") }
        guard digits.count == 6, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw Problem.validation(field: "code", "must be the 6-digit code from the authenticator app")
        }
        guard !user.totpEnabled else { throw Problem.conflict("TOTP is already enabled.") }
        guard user.totpSecret != nil else { throw Problem.conflict("Start with POST /api/v1/auth/totp/enroll.") }
        let factor = SecondFactor(keys: dependencies.keys)
        let codes = BackupCodes.generate()
        let revoked: [String]? = try await dependencies.database.write { db -> [String]? in
            guard try await factor.verify(code: body.code, user: user, allowBackupCode: false, on: db) == .totp else { return nil }
            let now = Clock.milliseconds()
            try await UserRepository().enableTOTP(id: user.id, now: now, on: db)
            try await MFARepository().replaceBackupCodes(userID: user.id, hashes: codes.map(factor.backupCodeHash), on: db)
            // Like a password change: a session opened with the password alone (perhaps by
            // whoever made TOTP necessary) does not outlive the new second factor.
            let revoked = try await SessionRepository().revokeAll(
                userID: user.id, keeping: caller.sessionID, reason: "totp_enabled", now: now, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: caller.actor, action: "auth.totp.enabled", target: user.id,
                    details: ["session_id": .string(caller.sessionID), "sessions_revoked": .int(Int64(revoked.count))]),
                on: db
            )
            return revoked
        }
        guard let revoked else { throw Problem.proofRefused(field: "code", "is not a valid current code") }
        dependencies.credentials.credentialsChanged()
        return Confirmation(backupCodes: codes, sessionsRevoked: revoked.count)
    }

    func remove(_ body: CodeRequest, caller: SessionCaller) async throws {
        let user = try await RecentSignIn(dependencies: dependencies).signedInPerson(caller, currentPassword: body.currentPassword)
        guard user.totpEnabled else { throw Problem.notFound }
        let factor = SecondFactor(keys: dependencies.keys)
        let removed = try await dependencies.database.write { db in
            guard try await factor.verify(code: body.code, user: user, allowBackupCode: true, on: db) != nil else { return false }
            try await UserRepository().setTOTP(id: user.id, secret: nil, enabled: false, now: Clock.milliseconds(), on: db)
            try await MFARepository().replaceBackupCodes(userID: user.id, hashes: [], on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: caller.actor, action: "auth.totp.disabled", target: user.id,
                    details: ["session_id": .string(caller.sessionID)]),
                on: db
            )
            return true
        }
        guard removed else { throw Problem.proofRefused(field: "code", "is not a valid current code") }
    }
}
