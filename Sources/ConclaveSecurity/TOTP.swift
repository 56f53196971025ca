import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238, over HOTP from RFC 4226).
///
/// Defaults are what every authenticator app supports: HMAC-SHA-1, 6 digits, 30-second steps.
public struct TOTP: Sendable {
    /// The HMAC hash function.
    public enum Algorithm: String, Sendable {
        case sha1 = "SHA1"
        case sha256 = "SHA256"
        case sha512 = "SHA512"
    }

    /// Number of decimal digits in a code (6 to 8; RFC 4226 requires at least 6).
    public let digits: Int
    /// Length of one time step in seconds.
    public let period: Int64
    /// HMAC hash function.
    public let algorithm: Algorithm

    /// Secret length for new enrolments: 160 bits, the HMAC-SHA-1 block-size recommendation of RFC 4226.
    public static let secretLength = 20

    /// Creates a TOTP configuration; `digits` is clamped to 6...8 and `period` to at least 1 s.
    public init(digits: Int = 6, period: Int64 = 30, algorithm: Algorithm = .sha1) {
        self.digits = min(max(digits, 6), 8)
        self.period = max(period, 1)
        self.algorithm = algorithm
    }

    /// Returns a new random 20-byte secret.
    public static func generateSecret() -> Data {
        SecureRandom.bytes(count: secretLength)
    }

    /// Returns the time-step counter containing `date` (negative before 1970).
    public func counter(at date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970
        // Clamp so absurd dates cannot trap on conversion.
        guard seconds.isFinite, abs(seconds) < 1e15 else { return seconds > 0 ? Int64.max / period : 0 }
        return Int64((seconds / Double(period)).rounded(.down))
    }

    /// Returns the zero-padded code for time-step `counter`.
    public func code(secret: some DataProtocol, counter: Int64) -> String {
        let key = SymmetricKey(data: Array(secret))
        let message = withUnsafeBytes(of: UInt64(bitPattern: counter).bigEndian) { Array($0) }
        let mac: [UInt8] = switch algorithm {
        case .sha1: Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case .sha256: Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha512: Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
        // Dynamic truncation, RFC 4226 §5.3.
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// Returns the code valid at `date`.
    public func code(secret: some DataProtocol, at date: Date) -> String {
        code(secret: secret, counter: counter(at: date))
    }

    /// Checks a user-entered code and returns the time-step counter it matched, or `nil`.
    ///
    /// Steps within `window` of the current one are accepted to absorb clock skew. A counter
    /// at or below `lastUsedCounter` is refused so a code observed once (shoulder-surfed,
    /// phished, logged) cannot be replayed; store the returned counter as the new
    /// `lastUsedCounter`. Spaces in the input are ignored; comparison is constant time.
    public func verify(
        code: String, secret: some DataProtocol, at date: Date, window: Int = 1, lastUsedCounter: Int64?
    ) -> Int64? {
        let entered = Array(code.utf8.filter { $0 != UInt8(ascii: " ") })
        guard entered.count == digits, entered.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let window = min(max(window, 0), 10)
        let current = counter(at: date)
        var matched: Int64?
        // Check every candidate step without stopping early, so timing does not reveal which
        // step (if any) matched.
        for delta in -window...window {
            let (candidate, overflow) = current.addingReportingOverflow(Int64(delta))
            guard !overflow, candidate >= 0 else { continue }
            let isMatch = ConstantTime.equals(Array(self.code(secret: secret, counter: candidate).utf8), entered)
            let isFresh = lastUsedCounter.map { candidate > $0 } ?? true
            if isMatch && isFresh && matched == nil { matched = candidate }
        }
        return matched
    }

    /// Returns the `otpauth://totp/` provisioning URI that authenticator apps read from a QR code.
    public func otpauthURI(secret: some DataProtocol, account: String, issuer: String) -> String {
        let label = Self.percentEncode(issuer) + ":" + Self.percentEncode(account)
        var query = "secret=" + Base32.encode(secret)
        query += "&issuer=" + Self.percentEncode(issuer)
        query += "&algorithm=" + algorithm.rawValue
        query += "&digits=\(digits)&period=\(period)"
        return "otpauth://totp/" + label + "?" + query
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters, so a ':' or '&' in an
    /// issuer or account name cannot change the URI's structure.
    private static func percentEncode(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                output += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return output
    }
}
