#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/Corpus (deterministic; rerun after changing a fixture).

FuzzJWT            access tokens made with the fixture secrets of Sources/FuzzJWT/FuzzJWT.swift
FuzzRealtimeFrame  WebSocket client frames and stream cursors
FuzzWebAuthn       W3C WebAuthn L3 test-vector bytes, read from
                   Tests/ConclaveSecurityTests/WebAuthnTestVector.swift (attestation objects,
                   authenticator data, COSE keys), plus a few RFC 8949 CBOR examples
"""
import base64
import hashlib
import hmac
import json
import pathlib
import re

FUZZ = pathlib.Path(__file__).resolve().parent
CORPUS = FUZZ / "Corpus"

# Must match enum Fixture in Sources/FuzzJWT/FuzzJWT.swift.
SECRET = b"conclave-fuzz-current-secret-0123456789"
PREVIOUS_SECRET = b"conclave-fuzz-previous-secret-012345678"
ISSUER = "https://conclave.test"
IAT = 1_700_000_000
# jwt-kit checks `exp` against the real clock, AccessTokenService against FuzzJWT's fixed `now`
# (IAT + 100): valid seeds expire in 2100 so both accept them.
EXP = 4_102_444_800


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def kid(secret: bytes) -> str:
    # AccessTokenService.kid(for:)
    return "k" + hashlib.sha256(b"conclave-jwt-kid" + secret).digest()[:6].hex()


def token(header: dict, claims: dict, key: bytes | None) -> str:
    signing_input = b64url(json.dumps(header, separators=(",", ":"), sort_keys=True).encode()) + "." + \
        b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    if key is None:
        return signing_input + "."
    return signing_input + "." + b64url(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())


def claims(**overrides) -> dict:
    base = {"iss": ISSUER, "aud": ["conclave-api"], "sub": "usr_AAAAAAAAAAAA", "sid": "ses_AAAAAAAAAAAA",
            "typ": "access", "iat": IAT, "exp": EXP, "jti": "AAAAAAAAAAAAAAAAAAAAAA"}
    base.update(overrides)
    return base


def write(target: str, name: str, data: bytes | str) -> None:
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data.encode() if isinstance(data, str) else data)


def jwt_corpus() -> str:
    current = {"alg": "HS256", "kid": kid(SECRET), "typ": "JWT"}
    valid = token(current, claims(), SECRET)
    write("FuzzJWT", "valid-current-secret", valid)
    write("FuzzJWT", "valid-previous-secret", token({"alg": "HS256", "kid": kid(PREVIOUS_SECRET), "typ": "JWT"}, claims(), PREVIOUS_SECRET))
    write("FuzzJWT", "valid-aud-string-no-typ", token({"alg": "HS256", "kid": kid(SECRET)}, claims(aud="conclave-api"), SECRET))
    write("FuzzJWT", "alg-none", token({"alg": "none", "kid": kid(SECRET), "typ": "JWT"}, claims(), None))
    write("FuzzJWT", "wrong-secret", token(current, claims(), b"another-secret-of-at-least-32-bytes!!"))
    write("FuzzJWT", "expired", token(current, claims(iat=IAT - 2000, exp=IAT - 1000), SECRET))
    write("FuzzJWT", "refresh-typ", token(current, claims(typ="refresh"), SECRET))
    write("FuzzJWT", "crit-header", token({**current, "crit": ["exp"]}, claims(), SECRET))
    return valid


def realtime_corpus(jwt: str) -> None:
    def cursor(body: str) -> str:
        return "c1." + b64url(body.encode())

    resume = cursor("ws_AAAAAAAAAA=12;ws_BBBBBBBBBB=5")
    frames = {
        "auth": {"type": "auth", "token": jwt},
        "auth-resume": {"type": "auth", "token": "ck_live_AAAAAAAAAAAAAAAAAAAA", "resume_from": resume, "mentions_only": True},
        "ping": {"type": "ping"},
        "send": {"type": "send", "channel_id": "ch_AAAAAAAAAA", "text": "hello", "client_msg_id": "m-1",
                 "thread_id": "msg_AAAAAAAAAA", "metadata": {"a": [1, 2.5, None, True, {"b": "c"}]}, "kind": "text"},
        "unknown-type": {"type": "subscribe", "channel_id": "ch_AAAAAAAAAA"},
        "wrong-field-type": {"type": "send", "text": 5},
    }
    for name, frame in frames.items():
        write("FuzzRealtimeFrame", name, json.dumps(frame, separators=(",", ":")))
    write("FuzzRealtimeFrame", "cursor", resume)
    write("FuzzRealtimeFrame", "cursor-empty", "c1.")
    write("FuzzRealtimeFrame", "cursor-body", "ws_AAAAAAAAAA=0;ws_CCCCCCCCCCCCCCCCCCCC=9223372036854775807")


def cbor_head(data: bytes, offset: int) -> tuple[int, int]:
    """(length, header size) of the byte string whose head starts at offset."""
    info = data[offset] & 0x1F
    if info < 24:
        return info, 1
    size = {24: 1, 25: 2, 26: 4}[info]
    return int.from_bytes(data[offset + 1:offset + 1 + size], "big"), 1 + size


def webauthn_corpus() -> None:
    source = (FUZZ.parent / "Tests/ConclaveSecurityTests/WebAuthnTestVector.swift").read_text()
    vectors = re.findall(r'name: "([^"]+)",.*?attestationObject: "([0-9a-f]+)",.*?authenticatorData: "([0-9a-f]+)"', source, re.S)
    assert len(vectors) >= 10, "test vectors not found"
    for name, attestation_hex, assertion_hex in vectors:
        attestation = bytes.fromhex(attestation_hex)
        if len(attestation) > 4096:
            continue  # over libFuzzer's default -max_len
        write("FuzzWebAuthn", f"{name}.attestation", attestation)
        if name in ("none-es256", "packed-es256", "packed-eddsa"):
            start = attestation.index(b"hauthData") + len(b"hauthData")
            length, head = cbor_head(attestation, start)
            auth_data = attestation[start + head:start + head + length]
            write("FuzzWebAuthn", f"{name}.authdata", auth_data)
            credential_id_length = int.from_bytes(auth_data[53:55], "big")
            write("FuzzWebAuthn", f"{name}.cosekey", auth_data[55 + credential_id_length:])
            write("FuzzWebAuthn", f"{name}.assertion-authdata", bytes.fromhex(assertion_hex))
    # Authenticator data with an extensions map (flags ED|UP), and RFC 8949 Appendix A items.
    base = bytearray(bytes.fromhex(vectors[0][2]))
    base[32] |= 0x80
    write("FuzzWebAuthn", "extensions.authdata", bytes(base) + bytes.fromhex("a16b6372656450726f7465637402"))
    write("FuzzWebAuthn", "rfc8949-nested.cbor", bytes.fromhex("a26161016162820203"))
    write("FuzzWebAuthn", "rfc8949-floats.cbor", bytes.fromhex("83f93c00fa47c35000fb3ff199999999999a"))
    write("FuzzWebAuthn", "rfc8949-tag.cbor", bytes.fromhex("c074323031332d30332d32315432303a30343a30305a"))


if __name__ == "__main__":
    # Files this does not write (regression-* inputs from fuzzing) are left alone.
    realtime_corpus(jwt_corpus())
    webauthn_corpus()
    for target in sorted(p.name for p in CORPUS.iterdir()):
        print(f"{target}: {len(list((CORPUS / target).iterdir()))} files")
