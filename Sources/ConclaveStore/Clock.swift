import Foundation

/// Wall-clock helpers; storage keeps times as integer milliseconds since the Unix epoch.
public enum Clock {
    public static func milliseconds(_ date: Date = Date()) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// RFC 3339 UTC with milliseconds, the one timestamp format of the API.
    public static func rfc3339(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    public static func rfc3339(milliseconds: Int64) -> String {
        rfc3339(date(milliseconds: milliseconds))
    }
}
