import Synchronization

/// Keeps a socket's own echo behind its `ack` (contract v1.1): while a `send` is in flight the
/// socket's event writer waits, so the `message.created` of the message being sent, which the
/// hub may queue before the sender's `ack` is written, goes out after it. The writer then
/// writes everything queued at once, so pipelined sends delay events but never starve them.
final class AckOrdering: Sendable {
    private struct State {
        var sending = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// A send begins: events wait until `sent()`.
    func sending() {
        state.withLock { $0.sending = true }
    }

    /// The send's answer (ack or error) is written: waiting events go out.
    func sent() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.sending = false
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns at once unless a send is in flight; then when its answer is written. The reader
    /// always ends a send with `sent()` (on every path), so a waiting writer is always resumed.
    func untilNoSendInFlight() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                guard state.sending else { return true }
                state.waiting.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
