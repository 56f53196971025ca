import Logging
import SQLKit
import Synchronization

/// The single writer of an SQLite database, with group commit.
///
/// SQLite allows one writer at a time, and SQLKit's sessions do not isolate transactions on a
/// shared connection, so every write goes through here. Writes that arrive while a commit is in
/// progress wait and then share the next transaction: one fsync for many writes. Each write runs
/// inside its own SAVEPOINT, so one failing write rolls back alone and never takes its neighbours
/// with it. A caller is answered only after the COMMIT that contains its write has returned.
///
/// Batches run on one dedicated thread (`SQLiteThread`) over a connection of our own with
/// prepared statements (`SQLiteDirectConnection`): a statement is a direct call, not a round trip
/// through a thread pool.
final class SQLiteWriter: Sendable {
    /// A batch is capped so one transaction never holds the write lock for long.
    static let maxBatch = 256

    struct Job: Sendable {
        /// Runs the body; on success returns the closure that answers the caller after commit.
        let run: @Sendable (DatabaseSession) async -> Result<@Sendable () -> Void, any Error>
        let fail: @Sendable (any Error) -> Void
    }

    struct State {
        var pending: [Job] = []
        var draining = false
        var closed = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    enum WriterError: Error { case closed }

    let connection: SQLiteDirectConnection
    let thread: SQLiteThread
    let logger: Logger
    let state = Mutex(State())

    init(connection: SQLiteDirectConnection, logger: Logger) {
        self.connection = connection
        self.thread = SQLiteThread()
        self.logger = logger
    }

    private var db: DatabaseSession { DatabaseSession(SQLiteDirectSQLDatabase(connection: connection, logger: logger)) }

    func submit<T: Sendable>(_ body: @escaping @Sendable (DatabaseSession) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                run: { db in
                    do {
                        let value = try await body(db)
                        return .success({ continuation.resume(returning: value) })
                    } catch {
                        return .failure(error)
                    }
                },
                fail: { error in continuation.resume(throwing: StoreErrorMapping.map(error)) }
            )
            let action: SubmitAction = state.withLock { state in
                if state.closed { return .reject }
                state.pending.append(job)
                if state.draining { return .queued }
                state.draining = true
                return .startDrain
            }
            switch action {
            case .reject: job.fail(WriterError.closed)
            case .queued: break
            case .startDrain: Task(executorPreference: thread) { await self.drain() }
            }
        }
    }

    enum SubmitAction { case reject, queued, startDrain }

    private func drain() async {
        while true {
            let batch: [Job] = state.withLock { state in
                let count = min(state.pending.count, Self.maxBatch)
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                if batch.isEmpty {
                    state.draining = false
                    let waiters = state.idleWaiters
                    state.idleWaiters = []
                    for waiter in waiters { waiter.resume() }
                }
                return batch
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [Job]) async {
        let db = self.db
        do {
            try execute("BEGIN IMMEDIATE")
        } catch {
            logger.error("sqlite BEGIN failed", metadata: ["error": "\(String(describing: type(of: error)))"])
            for job in batch { job.fail(error) }
            return
        }
        if batch.count == 1 {
            await commitAlone(batch[0])
            return
        }
        var answers: [@Sendable () -> Void] = []
        var stillPending: [Job] = []
        for job in batch {
            do {
                try execute("SAVEPOINT conclave_write")
            } catch {
                job.fail(error)
                continue
            }
            switch await job.run(db) {
            case .success(let answer):
                do {
                    try execute("RELEASE conclave_write")
                    answers.append(answer)
                    stillPending.append(job)
                } catch {
                    job.fail(error)
                }
            case .failure(let error):
                try? execute("ROLLBACK TO conclave_write")
                try? execute("RELEASE conclave_write")
                job.fail(error)
            }
        }
        do {
            try execute("COMMIT")
            for answer in answers { answer() }
        } catch {
            try? execute("ROLLBACK")
            for job in stillPending { job.fail(error) }
        }
    }

    /// A job with the transaction to itself needs no savepoint: its failure rolls back only itself.
    private func commitAlone(_ job: Job) async {
        switch await job.run(db) {
        case .success(let answer):
            do {
                try execute("COMMIT")
                answer()
            } catch {
                try? execute("ROLLBACK")
                job.fail(error)
            }
        case .failure(let error):
            try? execute("ROLLBACK")
            job.fail(error)
        }
    }

    private func execute(_ sql: String) throws {
        _ = try connection.execute(sql)
    }

    /// Refuses new writes, waits for queued ones to commit, then closes the connection.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { state in
                state.closed = true
                if !state.draining { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
        // Fold the WAL into the database and truncate it, so erased rows (deleted messages) leave
        // no old page images behind in the -wal file once the server has stopped.
        let connection = self.connection
        await Task(executorPreference: thread) {
            _ = try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()
        }.value
        await thread.shutdown()
    }
}
