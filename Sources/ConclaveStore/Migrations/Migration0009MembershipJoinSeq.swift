/// Where in its workspace's event log a membership began (the seq of its `member.joined`
/// event), so a stream resumed from a cursor made before the principal joined replays the new
/// workspace from the join instead of skipping to the present. NULL for memberships that began
/// without an event (earlier versions, `admin create-owner`).
struct Migration0009MembershipJoinSeq: Migration {
    let version = 9
    let name = "membership_join_seq"

    func statements(for kind: DatabaseKind) -> [String] {
        ["ALTER TABLE memberships ADD COLUMN joined_seq BIGINT"]
    }
}
