/// Who may see and manage a channel, decided from the role table alone.
public enum ChannelPolicy {
    /// Whether a principal may rename or delete a channel, or remove others from it.
    ///
    /// Admins and owners manage every channel; others only a channel they created, and only while
    /// their role still allows it (a creator demoted to viewer loses it). Opening a DM does not
    /// make it the opener's: deleting it would erase the other members' messages too.
    public static func mayManage(role: Role, isCreator: Bool, isDM: Bool) -> Bool {
        if PermissionTable.allows(role, .channelsManage) { return true }
        return isCreator && !isDM && PermissionTable.allows(role, .channelsManageOwn)
    }

    /// Whether a principal may join a channel (contract v1.1): every role in the workspace may
    /// join a public one, viewers and agents included (a viewer still cannot post); a private
    /// channel or DM only by being added.
    public static func mayJoin(role: Role, isPrivate: Bool) -> Bool {
        !isPrivate && PermissionTable.allows(role, .channelsRead)
    }

    /// Whether a principal may read a channel: its members always; a public channel also those
    /// whose role reads public channels without joining (viewers and agents join first).
    public static func mayRead(role: Role, isMember: Bool, isPrivate: Bool) -> Bool {
        isMember || (!isPrivate && PermissionTable.allows(role, .publicChannelsRead))
    }
}
