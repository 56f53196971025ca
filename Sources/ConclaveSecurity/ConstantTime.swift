import Foundation

/// Comparisons whose running time does not depend on where two secrets first differ.
public enum ConstantTime {
    /// Returns whether `lhs` and `rhs` hold the same bytes.
    ///
    /// Every byte is visited even after a mismatch, so an attacker timing a token or MAC check
    /// cannot learn how long a correct prefix they have guessed. Only the lengths may leak,
    /// which is fine for the fixed-length digests this is used on.
    public static func equals(_ lhs: some DataProtocol, _ rhs: some DataProtocol) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) {
            difference |= left ^ right
        }
        return difference == 0
    }

    /// Compares the UTF-8 bytes of two strings without early exit.
    public static func equals(_ lhs: String, _ rhs: String) -> Bool {
        equals(Array(lhs.utf8), Array(rhs.utf8))
    }
}
