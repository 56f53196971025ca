import ConclaveCore
import ConclaveStore
import Foundation

/// An approval request as stored (`messages.approval`) and as readers see it.
enum ApprovalJSON {
    static func stored(_ approval: Approval) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(approval)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decode(_ text: String) -> Approval? {
        try? JSONDecoder().decode(Approval.self, from: Data(text.utf8))
    }

    /// `{"status","approvers","options","expires_at","by","at","comment"}`; `status` as of `now`.
    static func render(_ approval: Approval, now: Int64 = Clock.milliseconds()) -> JSONValue {
        .object([
            "status": .string(approval.status(now: now)),
            "approvers": .array(approval.approvers.map(JSONValue.string)),
            "options": .array(approval.options.map(JSONValue.string)),
            "expires_at": approval.expiresAt.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
            "by": approval.by.map(JSONValue.string) ?? .null,
            "at": approval.at.map { .string(Clock.rfc3339(milliseconds: $0)) } ?? .null,
            "comment": approval.comment.map(JSONValue.string) ?? .null,
        ])
    }
}
