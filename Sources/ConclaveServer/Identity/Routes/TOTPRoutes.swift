import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation
import Hummingbird

/// TOTP enrolment: enroll (a pending secret, encrypted at rest), confirm with a first code (turns
/// it on, ends the person's other sessions and returns ten single-use backup codes), and remove
/// (needs a current code). Each step needs a recent sign-in (`RecentSignIn`): an access token
/// alone must not be able to put an attacker's authenticator on the account, or take it off.
struct TOTPRoutes {
    let dependencies: ServerDependencies

    struct CodeRequest: Decodable {
        let code: String
        let current_password: String?
    }

    func register(on router: Router<AppRequestContext>) {
        let router = router.group(context: SessionRequestContext.self)
        router.post("/api/v1/auth/totp/enroll") { request, context in try await enroll(request, context) }
        router.post("/api/v1/auth/totp/confirm") { request, context in try await confirm(request, context) }
        router.delete("/api/v1/auth/totp") { request, context in try await remove(request, context) }
    }

    func enroll(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let (user, _) = try await RecentSignIn(dependencies: dependencies).signedInPerson(provenBy: request, context)
        guard !user.totpEnabled else { throw Problem.conflict("TOTP is already enabled; remove it first to enrol again.") }
        let secret = TOTP.generateSecret()
        let sealed = try SecondFactor(keys: dependencies.keys).seal(secret: secret, userID: user.id)
        try await dependencies.database.write { db in
            try await UserRepository().setTOTP(id: user.id, secret: sealed, enabled: false, now: Clock.milliseconds(), on: db)
        }
        let issuer = URLComponents(string: dependencies.configuration.publicURL)?.host ?? "Conclave"
        return JSONResponse.make([
            "secret": .string(Base32.encode(secret)),
            "otpauth_uri": .string(TOTP().otpauthURI(secret: secret, account: user.email ?? user.id, issuer: "Conclave (\(issuer))")),
        ])
    }

    func confirm(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: CodeRequest.self, context: context)
        let (user, sessionID) = try await RecentSignIn(dependencies: dependencies).signedInPerson(
            context, currentPassword: body.current_password)
        let digits = body.code.utf8.filter { $0 != UInt8(ascii: " ") }
        guard digits.count == 6, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw Problem.validation(field: "code", "must be the 6-digit code from the authenticator app")
        }
        guard !user.totpEnabled else { throw Problem.conflict("TOTP is already enabled.") }
        guard user.totpSecret != nil else { throw Problem.conflict("Start with POST /api/v1/auth/totp/enroll.") }
        let factor = SecondFactor(keys: dependencies.keys)
        let codes = BackupCodes.generate()
        let clientIP = context.clientIP
        let revoked: [String]? = try await dependencies.database.write { db in
            guard try await factor.verify(code: body.code, user: user, allowBackupCode: false, on: db) == .totp else { return nil }
            let now = Clock.milliseconds()
            try await UserRepository().enableTOTP(id: user.id, now: now, on: db)
            try await MFARepository().replaceBackupCodes(userID: user.id, hashes: codes.map(factor.backupCodeHash), on: db)
            // Like a password change: a session opened with the password alone (perhaps by
            // whoever made TOTP necessary) does not outlive the new second factor.
            let revoked = try await SessionRepository().revokeAll(userID: user.id, keeping: sessionID, reason: "totp_enabled", now: now, on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: user.id, kind: .human, ip: clientIP), action: "auth.totp.enabled", target: user.id,
                    details: ["session_id": .string(sessionID), "sessions_revoked": .int(Int64(revoked.count))]),
                on: db
            )
            return revoked
        }
        guard let revoked else { throw Problem.proofRefused(field: "code", "is not a valid current code") }
        dependencies.credentials.credentialsChanged()
        return JSONResponse.make([
            "backup_codes": .array(codes.map(JSONValue.string)), "sessions_revoked": .int(Int64(revoked.count)),
        ])
    }

    func remove(_ request: Request, _ context: SessionRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(as: CodeRequest.self, context: context)
        let (user, sessionID) = try await RecentSignIn(dependencies: dependencies).signedInPerson(
            context, currentPassword: body.current_password)
        guard user.totpEnabled else { throw Problem.notFound }
        let factor = SecondFactor(keys: dependencies.keys)
        let clientIP = context.clientIP
        let removed = try await dependencies.database.write { db in
            guard try await factor.verify(code: body.code, user: user, allowBackupCode: true, on: db) != nil else { return false }
            try await UserRepository().setTOTP(id: user.id, secret: nil, enabled: false, now: Clock.milliseconds(), on: db)
            try await MFARepository().replaceBackupCodes(userID: user.id, hashes: [], on: db)
            try await dependencies.audit(
                AuditEvent(
                    actor: AuditActor(id: user.id, kind: .human, ip: clientIP), action: "auth.totp.disabled", target: user.id,
                    details: ["session_id": .string(sessionID)]),
                on: db
            )
            return true
        }
        guard removed else { throw Problem.proofRefused(field: "code", "is not a valid current code") }
        return Response(status: .noContent)
    }
}
