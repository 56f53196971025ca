import ConclaveCore
import ConclaveStore
import Testing

/// Records are read by `Decodable` with snake_case columns; flags are integers on both backends
/// and lists are joined text. Every record type must read back exactly as it was written.
@Suite struct RecordDecodingTests {
    static let now: Int64 = 1_700_000_000_000

    @Test(arguments: TestDatabase.backends)
    func everyRecordReadsBackAsWritten(backend: String) async throws {
        try await TestDatabase.with(backend) { database, _ in
            let now = Self.now
            let user = UserRecord(
                id: "usr_decodetest01", kind: .human, email: "decode@example.com", name: "Decode", passwordHash: "$argon2id$x",
                failedLogins: 0, lockedUntil: nil, totpSecret: nil, totpEnabled: false, totpLastCounter: nil, createdAt: now
            )
            let workspace = WorkspaceRecord(id: "ws_decodetest01", name: "Decoding", createdBy: user.id, createdAt: now)
            let agent = AgentRecord(
                id: "agt_decodetest01", workspaceID: workspace.id, userID: nil, name: "bot", description: "reads", status: .paused,
                createdBy: user.id, createdAt: now, lastSeenAt: nil
            )
            let key = APIKeyRecord(
                id: "key_decodetest01", ownerID: agent.id, workspaceID: workspace.id, name: "k", prefix: "ck_live_abcd",
                scopes: ["messages:read", "channels:read"], expiresAt: now + 1, allowedCIDRs: ["10.0.0.0/8", "::1/128"], createdBy: user.id,
                createdAt: now, revokedAt: nil, lastUsedAt: nil, lastUsedIP: nil
            )
            let session = SessionRecord(
                id: "ses_decodetest01", userID: user.id, createdAt: now, lastUsedAt: now, expiresAt: now + 1000, revokedAt: nil,
                ip: "127.0.0.1", userAgent: nil, mfa: true, authenticatedAt: now
            )
            let invite = InviteRecord(
                id: "inv_decodetest01", workspaceID: workspace.id, role: .admin, maxUses: 3, uses: 0, expiresAt: now + 1, createdBy: user.id,
                createdAt: now, revokedAt: nil
            )
            let message = MessageRecord(
                id: "msg_decodetest01", workspaceID: workspace.id, channelID: "ch_decodetest01", seq: 1, senderID: user.id,
                senderKind: .human, kind: .notice, text: "hello", metadata: nil, mentions: [user.id, "channel"], threadID: nil,
                replyCount: 0, clientMsgID: "c1", createdAt: now, editedAt: nil, deletedAt: nil
            )
            let credential = WebAuthnRepository.Credential(
                id: "pk_decodetest0000000001", userID: user.id, credentialID: "Y3JlZA", publicKey: "cHVi", algorithm: -7, signCount: 5,
                aaguid: "AAAA", attestationFormat: "none", backupEligible: true, backupState: false, transports: ["usb", "nfc"], name: "key",
                createdAt: now, lastUsedAt: nil, createdSessionID: session.id
            )
            try await database.write { db in
                try await UserRepository().insert(user, on: db)
                try await UserRepository().setTOTP(id: user.id, secret: "SECRET", enabled: true, now: now, on: db)
                try await WorkspaceRepository().insert(workspace, on: db)
                try await WorkspaceRepository().addMember(workspaceID: workspace.id, principalID: user.id, role: .owner, joinedSeq: 7, now: now, on: db)
                try await AgentRepository().insert(agent, on: db)
                try await APIKeyRepository().insert(key, hash: "keyhash", on: db)
                try await SessionRepository().insert(session, refreshTokenHash: "refreshhash", on: db)
                try await InviteRepository().insert(invite, tokenHash: "invitehash", on: db)
                try await ChannelRepository().insertChannel(
                    id: message.channelID, workspaceID: workspace.id, name: "general", isPrivate: true, topic: "t", createdBy: user.id, now: now, on: db
                )
                try await ChannelRepository().addMember(channelID: message.channelID, principalID: user.id, now: now, on: db)
                try await MessageRepository().insert(message, on: db)
                try await WebAuthnRepository().insert(credential, on: db)
            }
            var enabled = user
            enabled.totpSecret = "SECRET"
            enabled.totpEnabled = true
            let userWithTOTP = enabled
            try await database.read { db in
                #expect(try await UserRepository().find(id: user.id, on: db) == userWithTOTP)
                #expect(try await WorkspaceRepository().find(id: workspace.id, on: db) == workspace)
                #expect(try await AgentRepository().find(id: agent.id, on: db) == agent)
                #expect(try await APIKeyRepository().find(hash: "keyhash", on: db) == key)
                let authenticated = try await APIKeyRepository().findForAuthentication(hash: "keyhash", on: db)
                #expect(authenticated?.0 == key && authenticated?.agentStatus == .paused)
                #expect(try await SessionRepository().find(id: session.id, on: db) == session)
                #expect(try await InviteRepository().find(tokenHash: "invitehash", on: db) == invite)
                #expect(try await MessageRepository().find(id: message.id, on: db) == message)
                #expect(try await WebAuthnRepository().find(credentialID: credential.credentialID, on: db) == credential)

                let channel = try #require(try await ChannelRepository().find(id: message.channelID, on: db))
                #expect(channel.isPrivate && channel.kind == .channel && channel.name == "general" && channel.lastSeq == 0)
                let access = try #require(try await ChannelRepository().access(channelID: channel.id, principalID: user.id, on: db))
                #expect(access.channel == channel && access.workspaceRole == .owner && access.isMember)

                let member = try #require(try await WorkspaceRepository().memberRow(user.id, in: workspace.id, on: db))
                #expect(member.kind == .human && member.role == .owner && member.joinedAt == now && member.email == user.email)
                #expect(member.handle == "decode")
                #expect(try await WorkspaceRepository().joinSeqs(of: user.id, on: db) == [workspace.id: 7])
                let counts = try await AgentRepository().counts(workspaceID: workspace.id, creator: user.id, on: db)
                #expect(counts.workspace == 1 && counts.creator == 1)
            }
        }
    }

    @Test(arguments: TestDatabase.backends)
    func eventsReadBackWithTheirTypeAndVisibility(backend: String) async throws {
        try await TestDatabase.with(backend) { database, _ in
            let workspace = WorkspaceRecord(id: "ws_decodetest02", name: "Events", createdBy: "usr_decodetest02", createdAt: Self.now)
            let appended = try await database.write { db in
                try await WorkspaceRepository().insert(workspace, on: db)
                return [
                    try await EventLog().append(
                        workspaceID: workspace.id, type: .agentPaused, channelID: nil, visibility: .principal("agt_decodetest02"),
                        data: ["agent_id": "agt_decodetest02"], now: Self.now, on: db
                    ),
                    try await EventLog().append(
                        workspaceID: workspace.id, type: .memberJoined, channelID: nil, visibility: .workspace, data: ["member_id": "usr_x"],
                        now: Self.now, on: db
                    ),
                ]
            }
            let read = try await database.read { db in try await EventLog().read(workspaceID: workspace.id, after: 0, limit: 10, on: db) }
            #expect(read == appended)
            #expect(read.map(\.seq) == [1, 2])
        }
    }
}
