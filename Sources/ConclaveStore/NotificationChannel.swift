import SQLKit

/// The PostgreSQL NOTIFY channels through which servers sharing a database hear about each
/// other's changes.
public enum NotificationChannel {
    /// A workspace's log grew (payload: the workspace id), or someone joined a workspace
    /// (payload: a `JoinNotification`).
    public static let events = "conclave_events"
    /// A credential may have been revoked: drop what authentication cached (empty payload).
    public static let credentials = "conclave_auth"

    /// Queues a notification in the caller's transaction: PostgreSQL delivers it when, and only
    /// when, that transaction commits. Unlike a NOTIFY sent after the commit, it cannot be lost
    /// to an error or a crash in between, nor arrive for a change that was rolled back. For
    /// changes other servers must not miss (revocations, joins); each costs one statement and
    /// serialises commits that notify, so not for every message. Nothing to do on SQLite (one
    /// process).
    static func notifyOnCommit(_ channel: String, payload: String = "", on db: DatabaseSession) async throws {
        guard db.isPostgres else { return }
        try await db.raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
    }

    /// Something cached by authentication may no longer hold: a session or key revoked, an
    /// agent paused or deleted, a workspace (with its agents) deleted.
    static func credentialsRevokedOnCommit(on db: DatabaseSession) async throws {
        try await notifyOnCommit(credentials, on: db)
    }
}
