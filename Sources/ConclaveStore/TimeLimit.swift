import Synchronization

/// Runs work that may not honour cancellation (a query on a connection the network silently
/// dropped never returns) and stops waiting for it after a timeout.
///
/// A task group would wait for its cancelled child; here the caller resumes at the timeout, and
/// the overrunning work is cancelled and left to end on its own.
public enum TimeLimit {
    /// Nil also when the caller is cancelled.
    public static func run<T: Sendable>(_ timeout: Duration, _ work: @escaping @Sendable () async -> T) async -> T? {
        let race = Race<T>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                guard race.begin(continuation) else { return }
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
        } onCancel: {
            race.timeOut()
        }
    }
}

/// Resumes the caller once: with the work's result, or with nil at the timeout or the caller's
/// cancellation (which also cancel the work).
private final class Race<T: Sendable>: Sendable {
    struct State {
        var continuation: CheckedContinuation<T?, Never>?
        var worker: Task<Void, Never>?
        var timedOut = false
    }

    let state = Mutex(State())

    /// False when the caller was cancelled before the race began: answered nil at once.
    func begin(_ continuation: CheckedContinuation<T?, Never>) -> Bool {
        let cancelled = state.withLock { state -> Bool in
            if !state.timedOut { state.continuation = continuation }
            return state.timedOut
        }
        if cancelled { continuation.resume(returning: nil) }
        return !cancelled
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
            // Unless the work already finished. Also before `begin` (a cancellation first), so
            // the race never starts.
            if state.continuation != nil || state.worker == nil { state.timedOut = true }
            return (state.continuation, state.worker)
        }
        guard let continuation else { return }
        continuation.resume(returning: nil)
        worker?.cancel()
    }
}
