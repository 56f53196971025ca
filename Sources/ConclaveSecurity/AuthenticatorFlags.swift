/// The flags byte of authenticator data (WebAuthn §6.1).
public struct AuthenticatorFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8

    /// Creates flags from the raw byte.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// UP: the user was present (touched the authenticator).
    public static let userPresent = AuthenticatorFlags(rawValue: 0x01)
    /// UV: the user was verified (PIN, biometrics).
    public static let userVerified = AuthenticatorFlags(rawValue: 0x04)
    /// BE: the credential may be backed up / synced (a multi-device passkey).
    public static let backupEligible = AuthenticatorFlags(rawValue: 0x08)
    /// BS: the credential is currently backed up.
    public static let backupState = AuthenticatorFlags(rawValue: 0x10)
    /// AT: attested credential data follows.
    public static let attestedCredentialData = AuthenticatorFlags(rawValue: 0x40)
    /// ED: extension data follows.
    public static let extensionData = AuthenticatorFlags(rawValue: 0x80)
}
