import Testing
@testable import ConclaveSecurity

@Suite struct PasswordPolicyTests {
    let policy = PasswordPolicy()

    @Test func blocklistHasTenThousandLowerCaseEntries() {
        #expect(CommonPasswords.all.count == 10_000)
        #expect(CommonPasswords.all.contains("password"))
        #expect(CommonPasswords.all.contains("123456"))
        #expect(CommonPasswords.all.allSatisfy { $0 == $0.lowercased() && !$0.isEmpty })
    }

    @Test func acceptsReasonablePasswords() {
        #expect(policy.violations(for: "correct horse battery staple").isEmpty)
        #expect(policy.isAcceptable("zq8#Lm2!"))
        // No composition rules: all lower-case letters are fine.
        #expect(policy.isAcceptable("purplemonkeydishwasher"))
    }

    @Test func rejectsShortPasswordsCountingScalars() {
        #expect(policy.violations(for: "zq8#L") == [.tooShort(minimum: 8)])
        #expect(policy.violations(for: "") == [.tooShort(minimum: 8)])
        // Seven emoji are seven characters, not 28 bytes.
        #expect(policy.violations(for: "🔑🔒🗝🔓🛡🧩🎲") == [.tooShort(minimum: 8)])
        #expect(policy.isAcceptable("🔑🔒🗝🔓🛡🧩🎲🎯"))
    }

    @Test func enforcesMaximumLength() {
        #expect(policy.isAcceptable(String(repeating: "x7", count: 64)))
        let violations = policy.violations(for: String(repeating: "x", count: 129))
        #expect(violations == [.tooLong(maximum: 128)])
        #expect(violations[0].message.contains("128"))
        #expect(violations[0].code == "password_too_long")
    }

    @Test func rejectsCommonPasswordsCaseInsensitively() {
        #expect(policy.violations(for: "password") == [.commonPassword])
        #expect(policy.violations(for: "PassWord") == [.commonPassword])
        #expect(policy.violations(for: "12345678") == [.commonPassword])
        #expect(policy.violations(for: "Qwertyuiop") == [.commonPassword])
        #expect(policy.violations(for: "1234") == [.tooShort(minimum: 8), .commonPassword])
    }

    @Test func rejectsContextWords() {
        #expect(policy.violations(for: "alice-is-great-2024", contextWords: ["Alice"]) == [.containsContextWord])
        #expect(policy.violations(for: "myconclavepass", contextWords: ["conclave"]) == [.containsContextWord])
        // Very short context words are ignored.
        #expect(policy.isAcceptable("always sunny skies", contextWords: ["al"]))
    }

    @Test func violationsHaveStableCodesAndMessages() {
        let all: [PasswordPolicy.Violation] = [.tooShort(minimum: 8), .tooLong(maximum: 128), .commonPassword, .containsContextWord]
        #expect(Set(all.map(\.code)).count == all.count)
        #expect(all.allSatisfy { !$0.message.isEmpty })
    }
}
