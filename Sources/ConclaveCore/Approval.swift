/// An approval request's state (contract v1.1 "Approval requests"), as stored with its message:
/// who may answer, the choices, the deadline, and, once answered, the answer.
///
/// Only the people in `approvers` answer, once; the status a reader sees is `pending` until then,
/// `expired` past `expiresAt` when nobody answered, else what the answer made it: `approved` for
/// the choice `approve`, `denied` for `deny`, the choice itself for any other option.
public struct Approval: Sendable, Equatable, Codable {
    public static let maxApprovers = 20
    public static let maxOptions = 10
    public static let maxOptionLength = 64
    public static let maxCommentLength = 1000
    /// Thirty days.
    public static let maxExpiresInSeconds = 30 * 24 * 3600
    public static let defaultOptions = ["approve", "deny"]
    /// Statuses an option may not be named as: a reader could not tell them from the state.
    static let reservedOptions: Set<String> = ["pending", "expired", "approved", "denied"]

    public var approvers: [String]
    public var options: [String]
    /// Unix milliseconds; nil when it never expires.
    public var expiresAt: Int64?
    /// Set once answered (`choice`, `by`, `at`, `comment`) or expired (`expired`).
    public var choice: String?
    public var by: String?
    public var at: Int64?
    public var comment: String?
    public var expired: Bool

    enum CodingKeys: String, CodingKey {
        case approvers, options, choice, by, at, comment, expired
        case expiresAt = "expires_at"
    }

    public init(approvers: [String], options: [String], expiresAt: Int64?) {
        self.approvers = approvers
        self.options = options
        self.expiresAt = expiresAt
        self.expired = false
    }

    public var isOpen: Bool { choice == nil && !expired }

    /// What a reader sees at `now`.
    public func status(now: Int64) -> String {
        if let choice { return Self.status(for: choice) }
        if expired || expiresAt.map({ $0 <= now }) == true { return "expired" }
        return "pending"
    }

    public static func status(for choice: String) -> String {
        switch choice {
        case "approve": "approved"
        case "deny": "denied"
        default: choice
        }
    }

    /// A field and what is wrong with it, in the request's own spelling (`approval.approvers`).
    public struct Invalid: Error, Equatable, Sendable {
        public let field: String
        public let message: String
    }

    /// Validates a request's `approval` object: 1 to 20 distinct people (`usr_…`; agents never
    /// approve), 2 to 10 distinct options of one plain line each (default approve/deny), and an
    /// expiry from 1 second to 30 days.
    public static func requested(
        approvers: [String], options: [String]?, expiresInSeconds: Int?, now: Int64
    ) -> Result<Approval, Invalid> {
        guard (1...maxApprovers).contains(approvers.count), Set(approvers).count == approvers.count else {
            return .failure(Invalid(field: "approval.approvers", message: "must name 1 to \(maxApprovers) different people"))
        }
        guard approvers.allSatisfy({ Identifier.isWellFormed($0, kind: .user) }) else {
            return .failure(Invalid(field: "approval.approvers", message: "must be people's ids (usr_…): agents never approve"))
        }
        let options = options ?? defaultOptions
        guard (2...maxOptions).contains(options.count), Set(options).count == options.count else {
            return .failure(Invalid(field: "approval.options", message: "must be 2 to \(maxOptions) different choices"))
        }
        for option in options {
            guard !option.isEmpty, option.count <= maxOptionLength, !option.unicodeScalars.contains(where: ChannelStatus.isForbidden),
                !reservedOptions.contains(option)
            else {
                return .failure(Invalid(
                    field: "approval.options",
                    message: "each must be one line of 1 to \(maxOptionLength) characters, and none of pending, expired, approved, denied"
                ))
            }
        }
        if let seconds = expiresInSeconds, !(1...maxExpiresInSeconds).contains(seconds) {
            return .failure(Invalid(field: "approval.expires_in", message: "must be from 1 to \(maxExpiresInSeconds) seconds"))
        }
        return .success(Approval(approvers: approvers, options: options, expiresAt: expiresInSeconds.map { now + Int64($0) * 1000 }))
    }
}
