import Foundation

/// Finds the top-level fields of a JSON object body that a request type does not define
/// (contract v1.1 "Strict bodies": an unknown field is a 422 naming it, since an ignored
/// `threadId` posts to the wrong place). The request type is decoded a second time through a
/// decoder that records which keys its `init(from:)` asks for; the body's keys it never asked
/// about are unknown. This reads each type's own `CodingKeys`, so no list of fields is kept
/// beside the types.
enum BodyFieldProbe {
    /// The body's top-level keys that decoding `type` never looked at, sorted; empty when the body
    /// is not an object or the type reads its keys in a way the probe cannot follow.
    static func unknownFields<T: Decodable>(of type: T.Type, in body: Data) -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) as? [String: Any],
              !object.isEmpty
        else { return [] }
        let recorder = KeyRecorder()
        do {
            _ = try T(from: ProbeDecoder(object: object, recorder: recorder))
        } catch {
            return []
        }
        guard !recorder.readsEveryKey else { return [] }
        return object.keys.filter { !recorder.keys.contains($0) }.sorted()
    }
}

/// What the probed `init(from:)` asked for. Used by one decode on one task.
private final class KeyRecorder {
    var keys: Set<String> = []
    var readsEveryKey = false
}

/// The probe gives up (and the body is taken as it is) when the type leaves the shapes request
/// types use: a keyed object whose values decode on their own.
private struct ProbeUnsupported: Error {}

private struct ProbeDecoder: Decoder {
    let object: [String: Any]
    let recorder: KeyRecorder
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(ProbeKeyedContainer<Key>(object: object, recorder: recorder))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw ProbeUnsupported() }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        // A type that reads the whole body as one value (a free-form object) defines every key.
        recorder.readsEveryKey = true
        throw ProbeUnsupported()
    }
}

private struct ProbeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: [String: Any]
    let recorder: KeyRecorder
    var codingPath: [any CodingKey] { [] }

    var allKeys: [Key] {
        recorder.readsEveryKey = true
        return object.keys.compactMap { Key(stringValue: $0) }
    }

    func contains(_ key: Key) -> Bool {
        recorder.keys.insert(key.stringValue)
        return object[key.stringValue] != nil
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        recorder.keys.insert(key.stringValue)
        return object[key.stringValue] is NSNull
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        recorder.keys.insert(key.stringValue)
        guard let value = object[key.stringValue] else { throw ProbeUnsupported() }
        // The value decodes as the real decoder decoded it: the same bytes through JSONDecoder.
        let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])
        return try JSONDecoder().decode(T.self, from: data)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        recorder.keys.insert(key.stringValue)
        throw ProbeUnsupported()
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        recorder.keys.insert(key.stringValue)
        throw ProbeUnsupported()
    }

    func superDecoder() throws -> any Decoder { throw ProbeUnsupported() }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        recorder.keys.insert(key.stringValue)
        throw ProbeUnsupported()
    }
}
