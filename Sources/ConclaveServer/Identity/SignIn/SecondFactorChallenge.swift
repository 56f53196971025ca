import ConclaveCore

/// A single-use `mfa_token` handed out once the first factor was right and a second one is
/// enrolled, with the methods that can answer it.
struct SecondFactorChallenge: Sendable {
    static let lifetimeMilliseconds: Int64 = 5 * 60 * 1000

    let token: String
    let methods: [String]

    var json: JSONValue {
        ["mfa_required": true, "mfa_token": .string(token), "methods": .array(methods.map(JSONValue.string))]
    }
}
