/// A list kept in one text column, its items joined by `Separator.character` (ids, scopes,
/// CIDRs and authenticator transports never contain their separator). Decoded from the column's
/// text; `$property` is that text, for writing it back.
@propertyWrapper
public struct SeparatedList<Separator: ListSeparator>: Sendable, Equatable, Decodable {
    public var wrappedValue: [String]

    public init(wrappedValue: [String]) {
        self.wrappedValue = wrappedValue
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        wrappedValue = text.split(separator: Separator.character).map(String.init)
    }

    /// The column's text.
    public var projectedValue: String { wrappedValue.joined(separator: String(Separator.character)) }
}

public protocol ListSeparator: Sendable {
    static var character: Character { get }
}

public enum SpaceSeparator: ListSeparator {
    public static let character: Character = " "
}

public enum CommaSeparator: ListSeparator {
    public static let character: Character = ","
}

public typealias SpaceSeparated = SeparatedList<SpaceSeparator>
public typealias CommaSeparated = SeparatedList<CommaSeparator>
