import ConclaveCore
import ConclaveSecurity
import SQLKit

/// Walks audit chains and reports the first entry that does not follow from its predecessor.
public struct AuditVerifier: Sendable {
    public enum Finding: Sendable, Equatable, CustomStringConvertible {
        /// The entry's content no longer matches its stored hash: it was changed.
        case alteredEntry(chain: String, seq: Int64, id: String)
        /// The entry's prev_hash does not match the previous entry's hash, or seq skips: an
        /// entry before it was removed or changed.
        case brokenLink(chain: String, seq: Int64, id: String, expectedSeq: Int64)

        /// The seq of the first entry that does not follow.
        public var seq: Int64 {
            switch self {
            case .alteredEntry(_, let seq, _), .brokenLink(_, let seq, _, _): seq
            }
        }

        public var description: String {
            switch self {
            case .alteredEntry(let chain, let seq, let id):
                "chain \(chain): entry seq \(seq) (\(id)) was altered: its hash does not match its content"
            case .brokenLink(let chain, let seq, let id, let expectedSeq):
                "chain \(chain): entry seq \(seq) (\(id)) does not follow seq \(expectedSeq - 1): an earlier entry was removed or changed"
            }
        }
    }

    public struct Report: Sendable {
        public var chainsChecked: Int
        public var entriesChecked: Int
        public var finding: Finding?
    }

    let database: any Database
    let repository = AuditRepository()

    public init(database: any Database) {
        self.database = database
    }

    /// Verifies one chain (a workspace id or `system`), or every chain when `chain` is nil.
    public func verify(chain: String? = nil, pageSize: Int = 500) async throws -> Report {
        let repository = self.repository
        let chains: [String]
        if let chain {
            chains = [chain]
        } else {
            chains = try await database.read { db in try await repository.chains(on: db) }
        }
        var report = Report(chainsChecked: 0, entriesChecked: 0, finding: nil)
        for chain in chains {
            report.chainsChecked += 1
            var expectedSeq: Int64 = 1
            var previousHash = AuditHasher.genesisHash
            var afterSeq: Int64 = 0
            while true {
                let cursor = afterSeq
                let page = try await database.read { db in
                    try await repository.list(chain: chain, afterSeq: cursor, limit: pageSize, on: db)
                }
                for record in page {
                    report.entriesChecked += 1
                    if record.seq != expectedSeq || record.prevHash != previousHash {
                        report.finding = .brokenLink(chain: chain, seq: record.seq, id: record.id, expectedSeq: expectedSeq)
                        return report
                    }
                    if AuditHasher.hash(previous: record.prevHash, entry: record.hashedContent) != record.hash {
                        report.finding = .alteredEntry(chain: chain, seq: record.seq, id: record.id)
                        return report
                    }
                    previousHash = record.hash
                    expectedSeq = record.seq + 1
                    afterSeq = record.seq
                }
                if page.count < pageSize { break }
            }
        }
        return report
    }
}
