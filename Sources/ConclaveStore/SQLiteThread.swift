import NIOPosix

/// One OS thread that runs the tasks using one `SQLiteDirectConnection`.
///
/// Statements are plain synchronous calls into SQLite, so they must not run on a thread of
/// Swift's cooperative pool, where a COMMIT's fsync or a long read would stall request handling.
/// Code that prefers this executor (`withTaskExecutorPreference`, `Task(executorPreference:)`)
/// runs here as a whole: every statement of a writer batch or of a read runs back to back, with
/// no hand-off between statements (what bounded throughput when each statement hopped to
/// SQLiteNIO's thread pool and back).
final class SQLiteThread: TaskExecutor {
    private let pool: NIOThreadPool

    init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        // A job must run even if the pool has stopped (the pool then calls us back at once, on
        // this thread); dropping it would leave its task suspended forever.
        pool.submit { _ in job.runSynchronously(on: executor) }
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
