/// Notifications between the servers sharing one database: PostgreSQL's LISTEN/NOTIFY. The
/// channels and their payloads are `NotificationChannel`'s.
public protocol DatabaseNotifications: Sendable {
    /// Listens on `channel` for as long as the task runs, handing each payload to `receive`.
    /// `onListening` is called each time the LISTEN is in place, `onLost` as soon as it is lost
    /// or stops answering (notifications may be missed from then on); it listens again after.
    func listen(
        channel: String,
        onListening: @escaping @Sendable () -> Void,
        onLost: @escaping @Sendable () -> Void,
        _ receive: @escaping @Sendable (String) -> Void
    ) async

    /// Notifies outside any transaction, for wake-ups whose loss only delays (listeners also
    /// poll). A failure is logged, not thrown: the caller's change is committed either way.
    func notify(channel: String, payload: String) async
}
