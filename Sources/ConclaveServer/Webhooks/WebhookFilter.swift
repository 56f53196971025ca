import ConclaveCore
import ConclaveStore
import Foundation

/// What an endpoint asked for beyond visibility: event types (`*` for all) and, optionally, channels.
struct WebhookFilter: Sendable {
    static let wildcard = "*"
    static let testType = "webhook.test"

    let types: Set<String>
    let channelIDs: Set<String>?

    init(_ webhook: WebhookRecord) {
        types = Set(Self.strings(webhook.events))
        channelIDs = webhook.channelIDs.map { Set(Self.strings($0)) }
    }

    func wants(_ event: WorkspaceEvent) -> Bool {
        guard types.contains(Self.wildcard) || types.contains(event.type.rawValue) else { return false }
        guard let channelIDs else { return true }
        return event.channelID.map(channelIDs.contains) ?? false
    }

    /// A stored JSON array of strings.
    static func strings(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }

    static func text(_ strings: [String]) -> String {
        JSONValue.array(strings.map(JSONValue.string)).canonicalString
    }
}
