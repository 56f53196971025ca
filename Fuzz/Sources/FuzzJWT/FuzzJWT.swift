// libFuzzer target: `AccessTokenService.verify`, the check every Bearer JWT and every WebSocket
// auth token goes through. Arbitrary bytes, as a token string, must be refused without a crash;
// a token it accepts must carry a valid HMAC-SHA-256 under one of the fixture secrets, recomputed
// here without jwt-kit, and claims that pass the service's own rules.
import ConclaveSecurity
import Dispatch
import Foundation

/// The corpus tokens (Corpus/FuzzJWT, made by Fuzz/make-corpus.py) were issued with these.
enum Fixture {
    static let secret = Array("conclave-fuzz-current-secret-0123456789".utf8)
    static let previousSecret = Array("conclave-fuzz-previous-secret-012345678".utf8)
    static let issuer = "https://conclave.test"
    /// 100 s after the corpus tokens' `iat`. (jwt-kit checks `exp` against the real clock, so
    /// the valid corpus tokens expire in 2100.)
    static let now = Date(timeIntervalSince1970: 1_700_000_100)
}

/// Carries a result out of a task; the semaphore orders the write before the read.
final class ResultBox<Value>: @unchecked Sendable {
    var value: Value?
}

/// Runs async code to completion from libFuzzer's synchronous callback.
func runBlocking<Value: Sendable>(_ body: @escaping @Sendable () async -> Value) -> Value {
    let box = ResultBox<Value>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}

let service = runBlocking {
    await AccessTokenService(currentSecret: Fixture.secret, previousSecrets: [Fixture.previousSecret], issuer: Fixture.issuer)
}
let hashers = [Fixture.secret, Fixture.previousSecret].map { try! KeyedHasher(key: $0) }

/// libFuzzer calls this once before the first input. One-time state (lazy globals, caches) is
/// created here, where Fuzz/lsan-suppressions.txt exempts it from leak reports.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    _ = (service, hashers)
    let token = Array("a.b.c".utf8)
    _ = fuzz(token, token.count)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Tokens reach the service as Swift strings (HTTP header values, JSON strings).
    let token = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let claims = runBlocking({ await service.verify(token, now: Fixture.now) }) else { return 0 }

    let parts = token.split(separator: ".", omittingEmptySubsequences: false)
    precondition(parts.count == 3, "accepted a token without three parts: \(token)")
    let signingInput = parts[0] + "." + parts[1]
    let macs = hashers.map { $0.digest(String(signingInput)) }
    // jwt-kit alone also accepts `=` padding and non-zero trailing bits (the same MAC written
    // differently); the service must refuse those, so an accepted signature is canonical.
    guard let signature = Base64URL.decode(parts[2]), Base64URL.encode(signature) == parts[2] else {
        preconditionFailure("accepted a signature that is not canonical base64url: \(token)")
    }
    precondition(macs.contains(signature), "accepted a token not signed with a fixture secret: \(token)")
    precondition(claims.iss.value == Fixture.issuer && claims.aud.value.contains("conclave-api"), "wrong iss/aud: \(token)")
    precondition(claims.typ == AccessTokenService.tokenType, "wrong typ: \(token)")
    precondition(claims.exp.value > Fixture.now && claims.iat.value <= Fixture.now.addingTimeInterval(60), "outside its lifetime: \(token)")
    return 0
}
