import ConclaveCore
import ConclaveSecurity
import Foundation

/// The imaginary passkeys that `login/options` lists for an email without real ones (an unknown
/// account, or one with no passkey), so the answer does not tell who has an account (WebAuthn
/// §14.6.2).
///
/// They look like real descriptors in everything a client sees: the same fields (`transports`
/// included), credential-id lengths and transports that common authenticators produce, and one
/// to three of them, as people have. They are derived from the email under a server key, so
/// repeated calls give the same ones, as a real account's passkeys are stable.
struct PasskeyDecoys {
    /// Credential-id lengths of common authenticators (16: Google Password Manager, 20: iCloud
    /// Keychain, 32: Windows Hello and many security keys, 48 and 64: other security keys).
    static let idLengths = [16, 20, 20, 32, 32, 32, 48, 64]
    /// Transports as browsers report them (sorted, distinct); none for clients that report none.
    static let transports: [[String]] = [
        ["hybrid", "internal"], ["hybrid", "internal"], ["internal"], ["internal"], ["usb"], ["nfc", "usb"], ["hybrid"], [],
    ]
    /// How many passkeys a person has: mostly one.
    static let counts = [1, 1, 1, 1, 1, 2, 2, 3]

    let hasher: KeyedHasher

    func descriptors(for normalizedEmail: String) -> [JSONValue] {
        // Each draw has its own label; NUL cannot occur in the parts before the email.
        func bytes(_ label: String) -> [UInt8] { Array(hasher.digest(label + "\u{0}" + normalizedEmail)) }
        let count = Self.counts[Int(bytes("count")[0] & 7)]
        return (0..<count).map { index in
            let shape = bytes("shape\u{0}\(index)")
            let length = Self.idLengths[Int(shape[0] & 7)]
            var id: [UInt8] = []
            var block = 0
            while id.count < length {
                id += bytes("id\u{0}\(index)\u{0}\(block)")
                block += 1
            }
            return WebAuthnJSON.descriptor(id: Base64URL.encode(id.prefix(length)), transports: Self.transports[Int(shape[1] & 7)])
        }
    }
}
