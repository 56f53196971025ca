/// Why a CBOR input was refused.
public enum CBORDecodingError: Error, Sendable, Equatable {
    /// The input ended inside an item.
    case truncated
    /// Bytes remained after the top-level item.
    case trailingBytes
    /// Nesting deeper than the limit.
    case tooDeep
    /// A length or count exceeds the remaining input or a configured limit.
    case lengthTooLarge
    /// Indefinite-length items, which CTAP2 canonical CBOR never uses.
    case indefiniteLength
    /// Reserved additional-information values 28–30, or a malformed simple value.
    case malformed
    /// A text string that is not valid UTF-8.
    case invalidUTF8
    /// A map with the same key twice, which would let two parsers disagree on the value.
    case duplicateMapKey
    /// Floats are disabled by the limits in use.
    case floatNotAllowed
}
