import Foundation

/// A decoded CBOR data item (RFC 8949).
public indirect enum CBORValue: Sendable, Equatable {
    /// Major type 0.
    case unsigned(UInt64)
    /// Major type 1, holding `n` for the value `-1 - n` (so the full range fits).
    case negative(UInt64)
    /// Major type 2.
    case bytes(Data)
    /// Major type 3 (validated UTF-8).
    case text(String)
    /// Major type 4.
    case array([CBORValue])
    /// Major type 5, in encoded order (keys are unique).
    case map([CBORMapEntry])
    /// Major type 6.
    case tagged(UInt64, CBORValue)
    /// Simple values false/true.
    case bool(Bool)
    /// Simple value null.
    case null
    /// Simple value undefined.
    case undefined
    /// Half, single or double precision float, widened to `Double`.
    case float(Double)

    /// The value as a signed integer, if it is an integer that fits in `Int64`.
    public var int64Value: Int64? {
        switch self {
        case .unsigned(let value): value <= UInt64(Int64.max) ? Int64(value) : nil
        case .negative(let value): value <= UInt64(Int64.max) ? -1 - Int64(value) : nil
        default: nil
        }
    }

    /// The contents of a byte string.
    public var bytesValue: Data? {
        if case .bytes(let data) = self { data } else { nil }
    }

    /// The contents of a text string.
    public var textValue: String? {
        if case .text(let text) = self { text } else { nil }
    }

    /// The elements of an array.
    public var arrayValue: [CBORValue]? {
        if case .array(let items) = self { items } else { nil }
    }

    /// The entries of a map.
    public var mapValue: [CBORMapEntry]? {
        if case .map(let entries) = self { entries } else { nil }
    }

    /// Looks up `key` in a map (`nil` if this is not a map or the key is absent).
    public subscript(key: CBORValue) -> CBORValue? {
        mapValue?.first { $0.key == key }?.value
    }

    /// Looks up an integer key, as COSE uses.
    public subscript(intKey key: Int64) -> CBORValue? {
        self[key >= 0 ? .unsigned(UInt64(key)) : .negative(UInt64(-1 - key))]
    }

    /// Looks up a text key, as attestation objects use.
    public subscript(textKey key: String) -> CBORValue? {
        self[.text(key)]
    }
}
