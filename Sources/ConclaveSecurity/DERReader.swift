/// A minimal, bounds-checked DER reader: just enough X.509 to check a WebAuthn attestation
/// certificate. Only low tag numbers and definite lengths of up to 4 bytes are accepted.
struct DERReader {
    /// One TLV element.
    struct Element {
        /// The identifier octet (class, constructed bit and tag number).
        let tag: UInt8
        /// The content octets.
        let content: ArraySlice<UInt8>
        /// The whole TLV, for callers that need the exact encoding (signed data, SPKI).
        let encoded: ArraySlice<UInt8>
    }

    static let boolean: UInt8 = 0x01
    static let integer: UInt8 = 0x02
    static let bitString: UInt8 = 0x03
    static let octetString: UInt8 = 0x04
    static let objectIdentifier: UInt8 = 0x06
    static let sequence: UInt8 = 0x30
    static let set: UInt8 = 0x31

    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    var isAtEnd: Bool { position >= bytes.endIndex }

    /// The tag of the next element without consuming it.
    var nextTag: UInt8? { isAtEnd ? nil : bytes[position] }

    /// Reads the next element; `nil` if malformed or truncated (the reader is then unusable).
    mutating func read() -> Element? {
        let start = position
        guard position < bytes.endIndex else { return nil }
        let tag = bytes[position]
        // High tag numbers (0x1F) never occur in the certificate fields we read.
        guard tag & 0x1F != 0x1F else { return nil }
        position += 1
        guard position < bytes.endIndex else { return nil }
        let first = bytes[position]
        position += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let lengthBytes = Int(first & 0x7F)
            // 0x80 is BER's indefinite length, which DER forbids; over 4 bytes is absurd here.
            guard (1...4).contains(lengthBytes), bytes.endIndex - position >= lengthBytes else { return nil }
            for _ in 0..<lengthBytes {
                length = length << 8 | Int(bytes[position])
                position += 1
            }
        }
        guard length <= bytes.endIndex - position else { return nil }
        let content = bytes[position..<(position + length)]
        position += length
        return Element(tag: tag, content: content, encoded: bytes[start..<position])
    }

    /// Reads the next element and requires its tag.
    mutating func read(tag: UInt8) -> Element? {
        guard nextTag == tag else { return nil }
        return read()
    }
}
