/// Re-splits a big-endian bit stream into groups of another width: the core of base32 and
/// base64 in both directions (8-bit bytes to 5/6-bit symbols and back).
enum BitRegrouping {
    /// Regroups `values` (each holding `inputBits` significant bits) into `outputBits`-wide values.
    ///
    /// Leftover bits at the end are zero-padded into one last group when `padFinalGroup` is true
    /// (encoding). Otherwise (decoding) they are dropped, but must be zero: non-zero leftovers
    /// would let two encodings decode to the same bytes, so the input is refused with `nil`.
    static func regroup(_ values: some Sequence<UInt8>, from inputBits: Int, to outputBits: Int, padFinalGroup: Bool) -> [UInt8]? {
        let mask = UInt32(1) << UInt32(outputBits) - 1
        var output: [UInt8] = []
        output.reserveCapacity(values.underestimatedCount * inputBits / outputBits + 1)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for value in values {
            accumulator = accumulator << UInt32(inputBits) | UInt32(value)
            bitCount += inputBits
            while bitCount >= outputBits {
                bitCount -= outputBits
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount) & mask))
            }
            accumulator &= UInt32(1) << UInt32(bitCount) - 1
        }
        if bitCount > 0 {
            if padFinalGroup {
                output.append(UInt8(truncatingIfNeeded: accumulator << UInt32(outputBits - bitCount) & mask))
            } else if accumulator != 0 {
                return nil
            }
        }
        return output
    }
}
