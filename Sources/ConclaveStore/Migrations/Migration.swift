/// One versioned schema change. Statements are plain SQL; where the dialects differ the migration
/// says so by branching on `kind`, and everything else is written once for both.
///
/// A migration whose new column needs values computed in Swift (the same code that computes them
/// for new rows) fills them in `backfill`, which runs after `statements` and before
/// `finishingStatements` (say, the unique index the filled values must satisfy), all in the
/// migration's one transaction.
public protocol Migration: Sendable {
    var version: Int { get }
    var name: String { get }
    func statements(for kind: DatabaseKind) -> [String]
    func backfill(on db: DatabaseSession) async throws
    func finishingStatements(for kind: DatabaseKind) -> [String]
}

extension Migration {
    public func backfill(on db: DatabaseSession) async throws {}
    public func finishingStatements(for kind: DatabaseKind) -> [String] { [] }
}

/// Every migration, in order. Append only: a released migration never changes.
public enum Migrations {
    public static let all: [any Migration] = [
        Migration0001Foundation(),
        Migration0002Identity(),
        Migration0003MFAChallenges(),
        Migration0004Agents(),
        Migration0005Channels(),
        Migration0006WebAuthn(),
        Migration0007Messaging(),
        Migration0008EventRetention(),
        Migration0009MembershipJoinSeq(),
        Migration0010SignInProof(),
        Migration0011ErasureAndScopes(),
        Migration0012Handles(),
        Migration0013Reactions(),
        Migration0014LoopBudget(),
        Migration0015Webhooks(),
        Migration0016Search(),
        Migration0017Approvals(),
        Migration0018StreamedReplies(),
        Migration0019Files(),
    ]
}
