import ConclaveCore
import Foundation
import Logging
import Synchronization

/// Writes one JSON object per line to stdout.
///
/// Redaction is by key: any metadata key that names a credential or message content is replaced by
/// `"[redacted]"` whatever its value, so a careless call site cannot leak a secret into the log.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String

    static let output = Mutex<FileHandle>(FileHandle.standardOutput)

    /// Lower-cased substrings; a key containing any of them is redacted.
    static let redactedKeyFragments = [
        "password", "passwd", "secret", "token", "authorization", "cookie", "api_key", "apikey", "key_value",
        "otp", "code", "text", "body", "credential", "signature", "master",
    ]

    public init(label: String, logLevel: Logger.Level = .info) {
        self.label = label
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static func isRedacted(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return redactedKeyFragments.contains { lowered.contains($0) }
    }

    static func json(_ value: Logger.Metadata.Value, key: String) -> JSONValue {
        if isRedacted(key) { return .string("[redacted]") }
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let values): return .array(values.map { json($0, key: key) })
        case .dictionary(let members):
            return .object(Dictionary(uniqueKeysWithValues: members.map { ($0.key, json($0.value, key: $0.key)) }))
        }
    }

    public func log(event: LogEvent) {
        var fields: [String: JSONValue] = [
            "ts": .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))),
            "level": .string(event.level.rawValue),
            "logger": .string(label),
            "msg": .string(event.message.description),
        ]
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (key, value) in merged where fields[key] == nil {
            fields[key] = Self.json(value, key: key)
        }
        var line = JSONValue.object(fields).canonicalBytes
        line.append(UInt8(ascii: "\n"))
        Self.output.withLock { $0.write(Data(line)) }
    }
}
