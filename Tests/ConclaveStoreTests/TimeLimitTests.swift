import ConclaveStore
import Synchronization
import Testing

/// Work that ignores cancellation until released, like a query on a connection the network
/// dropped.
final class Gate: Sendable {
    struct State {
        var opened = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    let state = Mutex(State())

    func wait() async {
        await withCheckedContinuation { continuation in
            let opened = state.withLock { state in
                if !state.opened { state.waiter = continuation }
                return state.opened
            }
            if opened { continuation.resume() }
        }
    }

    func open() {
        let waiter = state.withLock { state in
            state.opened = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}

@Suite struct TimeLimitTests {
    @Test func aResultInTimeIsReturned() async {
        let value = await TimeLimit.run(.seconds(5)) { 42 }
        #expect(value == 42)
    }

    @Test func workThatIgnoresCancellationStopsBeingAwaitedAtTheTimeout() async {
        let gate = Gate()
        let cancelled = Mutex(false)
        let started = ContinuousClock.now
        let value: Int? = await TimeLimit.run(.milliseconds(200)) {
            await gate.wait()
            cancelled.withLock { $0 = Task.isCancelled }
            return 1
        }
        let waited = ContinuousClock.now - started
        #expect(value == nil)
        #expect(waited < .seconds(3))
        gate.open()
        // The abandoned work was cancelled, and ends on its own once released.
        for _ in 0..<100 where !cancelled.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
        #expect(cancelled.withLock { $0 })
    }
}

@Suite struct TimeLimitCancellationTests {
    @Test func aCancelledCallerStopsWaitingAtOnce() async {
        let gate = Gate()
        let started = ContinuousClock.now
        let waiting = Task { () -> Int? in
            await TimeLimit.run(.seconds(30)) {
                await gate.wait()
                return 1
            }
        }
        try? await Task.sleep(for: .milliseconds(50))
        waiting.cancel()
        let value = await waiting.value
        #expect(value == nil)
        #expect(ContinuousClock.now - started < .seconds(5))
        gate.open()
    }

    @Test func aCallerCancelledBeforeItStartsGetsNil() async {
        let waiting = Task { () -> Int? in
            withUnsafeCurrentTask { $0?.cancel() }
            return await TimeLimit.run(.seconds(30)) { 1 }
        }
        // The cancellation handler runs at once, before the race begins.
        let value = await waiting.value
        #expect(value == nil)
    }
}
