import Synchronization

/// Runs work that may not honour cancellation (a query on a connection the network silently
/// dropped never returns) and stops waiting for it after a timeout.
///
/// A task group would wait for its cancelled child; here the caller resumes at the timeout, and
/// the overrunning work is cancelled and left to end on its own.
enum TimeLimit {
    static func run<T: Sendable>(_ timeout: Duration, _ work: @escaping @Sendable () async -> T) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let race = Race(continuation)
            let timer = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                race.timeOut()
            }
            race.start(Task {
                let result = await work()
                timer.cancel()
                race.finish(result)
            })
        }
    }
}

/// Resumes the caller once: with the work's result, or with nil at the timeout (which also
/// cancels the work).
private final class Race<T: Sendable>: Sendable {
    struct State {
        var continuation: CheckedContinuation<T?, Never>?
        var worker: Task<Void, Never>?
        var timedOut = false
    }

    let state: Mutex<State>

    init(_ continuation: CheckedContinuation<T?, Never>) {
        state = Mutex(State(continuation: continuation))
    }

    func start(_ worker: Task<Void, Never>) {
        let timedOut = state.withLock { state -> Bool in
            state.worker = worker
            return state.timedOut
        }
        if timedOut { worker.cancel() }
    }

    func finish(_ result: T) {
        let continuation = state.withLock { state -> CheckedContinuation<T?, Never>? in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: result)
    }

    func timeOut() {
        let (continuation, worker) = state.withLock { state -> (CheckedContinuation<T?, Never>?, Task<Void, Never>?) in
            defer { state.continuation = nil }
            state.timedOut = state.continuation != nil
            return (state.continuation, state.worker)
        }
        guard let continuation else { return }
        continuation.resume(returning: nil)
        worker?.cancel()
    }
}
