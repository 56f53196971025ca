#if canImport(Glibc)
import Glibc
#endif
import Metrics
import NIOPosix
import ServiceLifecycle

/// Gives the memory of a burst of connections back to the system once the burst is over.
///
/// glibc keeps what is freed in its per-thread arenas for reuse and returns little of it by
/// itself: after 2,000 kept-alive HTTP connections closed, the server stayed ~100 MiB above its
/// baseline for good; `malloc_trim` brought it back to within a few MiB (bench/RESULTS.md). It
/// walks every arena, so it runs only when a burst has ended (at most half of the peak still
/// open, and at least `minimumBurst` fewer than it), off the cooperative pool.
struct MemoryReturnService: Service {
    static let interval: Duration = .seconds(5)
    static let minimumBurst = 200

    let limiter: ConnectionLimiter

    func run() async throws {
        let trims = Counter(label: "conclave_memory_trims_total")
        while (try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }) != nil {
            let (peak, open) = limiter.takePeak()
            guard Self.burstEnded(peak: peak, open: open) else { continue }
            try? await NIOThreadPool.singleton.runIfActive { Self.returnFreedMemory() }
            trims.increment()
        }
    }

    static func burstEnded(peak: Int, open: Int) -> Bool {
        peak - open >= minimumBurst && open <= peak / 2
    }

    /// glibc's `malloc_trim`, looked up at run time: its header is not part of the Glibc module,
    /// and another C library (musl) has none, which makes this a no-op.
    static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    static func returnFreedMemory() {
        _ = mallocTrim?(0)
    }
}
