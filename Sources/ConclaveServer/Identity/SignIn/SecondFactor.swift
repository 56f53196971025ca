import ConclaveCore
import ConclaveSecurity
import ConclaveStore
import Foundation

/// Checks a TOTP or backup code for a user inside a write transaction. A TOTP time step and a
/// backup code are each accepted once: the stored counter only moves forward, a code only once.
struct SecondFactor {
    enum Method: String { case totp, backupCode = "backup_code" }

    let keys: ServerKeys

    func decryptSecret(_ user: UserRecord) throws -> Data? {
        guard let sealed = user.totpSecret, let blob = Data(base64Encoded: sealed) else { return nil }
        return try keys.totpBox.open(blob, associatedData: Data(user.id.utf8))
    }

    func seal(secret: Data, userID: String) throws -> String {
        try keys.totpBox.seal(secret, associatedData: Data(userID.utf8)).base64EncodedString()
    }

    func verify(code: String, user: UserRecord, allowBackupCode: Bool, on db: DatabaseSession) async throws -> Method? {
        guard code.utf8.count <= 64 else { return nil }
        if let secret = try decryptSecret(user),
            let counter = TOTP().verify(code: code, secret: secret, at: Date(), lastUsedCounter: user.totpLastCounter),
            try await UserRepository().advanceTOTPCounter(id: user.id, counter: counter, on: db)
        {
            return .totp
        }
        if allowBackupCode, let normalized = BackupCodes.normalize(code),
            try await MFARepository().consumeBackupCode(
                userID: user.id, hash: keys.tokenHasher.hexDigest("backup:" + normalized), now: Clock.milliseconds(), on: db
            )
        {
            return .backupCode
        }
        return nil
    }

    func backupCodeHash(_ code: String) -> String {
        keys.tokenHasher.hexDigest("backup:" + (BackupCodes.normalize(code) ?? code))
    }
}
