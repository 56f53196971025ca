/// The NOTIFY payload that tells other servers about a join: `join <workspace> <principal> <seq>`
/// (a plain workspace id is a wake-up).
public struct JoinNotification: Equatable, Sendable {
    public let principalID: String
    public let workspaceID: String
    public let seq: Int64

    public var payload: String { "join \(workspaceID) \(principalID) \(seq)" }

    public init(principalID: String, workspaceID: String, seq: Int64) {
        self.principalID = principalID
        self.workspaceID = workspaceID
        self.seq = seq
    }

    public init?(payload: String) {
        let parts = payload.split(separator: " ")
        guard parts.count == 4, parts[0] == "join", let seq = Int64(parts[3]) else { return nil }
        self.init(principalID: String(parts[2]), workspaceID: String(parts[1]), seq: seq)
    }
}
