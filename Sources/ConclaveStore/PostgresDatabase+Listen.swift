import Logging
import PostgresNIO
import SQLKit

extension PostgresDatabase: DatabaseNotifications {
    /// How often a LISTEN connection must prove it is alive, and how long its answer may take.
    /// A LISTEN connection that the network dropped without a word (a NAT or load balancer
    /// forgetting an idle connection, a frozen server process) looks exactly like one on which
    /// nobody notifies: only a round trip tells them apart. So a dead one is noticed within
    /// `listenProbeInterval + listenProbeTimeout`.
    public static let listenProbeInterval: Duration = .seconds(3)
    public static let listenProbeTimeout: Duration = .seconds(4)

    /// Listens on `channel` for as long as the task runs, handing each payload to `receive`.
    ///
    /// Each LISTEN has a connection of its own, outside the pool, that a `SELECT 1` probes every
    /// `listenProbeInterval`. A probe not answered within `listenProbeTimeout`, or any error,
    /// counts as losing the connection: `onLost` is called at once (notifications may have been
    /// missed from then on), the connection is closed, and a fresh one listens after a pause.
    /// `onListening` is called each time the LISTEN is in place.
    public func listen(
        channel: String,
        onListening: @escaping @Sendable () -> Void = {},
        onLost: @escaping @Sendable () -> Void = {},
        _ receive: @escaping @Sendable (String) -> Void
    ) async {
        while !Task.isCancelled {
            await listenOnce(channel: channel, onListening: onListening, receive)
            onLost()
            if Task.isCancelled { return }
            logger.warning("LISTEN connection lost; reconnecting", metadata: ["channel": .string(channel)])
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// One LISTEN connection's life: returns as soon as it is lost or stops answering.
    func listenOnce(channel: String, onListening: @escaping @Sendable () -> Void, _ receive: @escaping @Sendable (String) -> Void) async {
        // The connect timeout bounds the whole start-up, authentication included.
        guard let connection = try? await connect() else { return }
        let logger = self.logger
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try? await connection.listen(on: channel) { notifications in
                    onListening()
                    for try await notification in notifications {
                        receive(notification.payload)
                    }
                }
            }
            group.addTask {
                while (try? await Task.sleep(for: Self.listenProbeInterval)) != nil {
                    let answered = await TimeLimit.run(Self.listenProbeTimeout) {
                        do {
                            for try await _ in try await connection.query("SELECT 1", logger: logger) {}
                            return true
                        } catch {
                            return false
                        }
                    }
                    if answered != true { return }
                }
            }
            // Whichever ends first, the connection is done for: closing our end fails the
            // other's pending read or query at once, even if the peer will never answer.
            await group.next()
            group.cancelAll()
            try? await connection.close()
        }
    }

    /// `pg_notify` outside any transaction, for wake-ups whose loss only delays (listeners also
    /// poll). A failure is logged, not thrown: the caller's change is committed either way.
    public func notify(channel: String, payload: String) async {
        do {
            try await read { db in try await db.raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run() }
        } catch {
            logger.warning("NOTIFY failed", metadata: ["channel": .string(channel)])
        }
    }
}
