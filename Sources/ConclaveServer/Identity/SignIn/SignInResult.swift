import ConclaveCore

/// What a first factor (a password, or a passkey) leads to: a session, or a challenge for the
/// second factor when TOTP is enrolled.
enum SignInResult: Sendable {
    case signedIn(SessionIssuer.TokenPair)
    case secondFactorRequired(SecondFactorChallenge)

    var json: JSONValue {
        switch self {
        case .signedIn(let pair): pair.json
        case .secondFactorRequired(let challenge): challenge.json
        }
    }
}
