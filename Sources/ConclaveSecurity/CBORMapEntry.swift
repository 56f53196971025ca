/// One key/value pair of a CBOR map, kept in encoded order.
public struct CBORMapEntry: Sendable, Equatable {
    /// The key.
    public let key: CBORValue
    /// The value.
    public let value: CBORValue

    /// Creates an entry.
    public init(key: CBORValue, value: CBORValue) {
        self.key = key
        self.value = value
    }
}
