/// An authentication that passed assertion verification.
public struct VerifiedAssertion: Sendable, Equatable {
    /// The new signature counter to store for the credential.
    public let signCount: UInt32
    /// The flags of this assertion.
    public let flags: AuthenticatorFlags

    /// Whether the user was verified (counts as a second factor).
    public var userVerified: Bool { flags.contains(.userVerified) }
    /// Whether the credential is currently backed up (store it; it may change over time).
    public var backupState: Bool { flags.contains(.backupState) }
}
