"""WebAuthn passkeys end to end (contract: "Principals and authentication", the WebAuthn bullet).

Two independent software authenticators drive the ceremonies:

- soft-webauthn (`SoftWebauthnDevice`, ES256, `none` attestation, never sets UV): a third-party
  implementation, used for the plain register → list → login round trip and to show that
  CONCLAVE_WEBAUTHN_USER_VERIFICATION=required refuses an authenticator that does not verify.
- `Authenticator` below, written from the WebAuthn L3 spec with `cryptography`: ES256 and EdDSA,
  `none`, `packed` self and `packed` x5c attestation, the UV flag on demand, an explicit signature
  counter, and hooks to lie about origin, RP ID, challenge or signature.

The browser's part (clientDataJSON, `PublicKeyCredential.toJSON()`) is done here too: every binary
field is unpadded base64url, as the contract says.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import secrets
import struct
import time
from collections import Counter

import pytest

pytest.importorskip("cryptography", reason="the passkey tests need the cryptography package")
soft_webauthn = pytest.importorskip("soft_webauthn", reason="the passkey tests need soft-webauthn (with fido2<2)")

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from conftest import Server, assert_problem, create_owner, running_server  # noqa: E402
from helpers_identity import (API, age_sign_in, assert_reauthentication_required, assert_unauthorized,  # noqa: E402
                              bearer, create_invite_ok, create_workspace, failed_logins, field_errors, login,
                              me, signup_via_invite, strong_password)

PUBLIC_URL = "http://localhost:8750"
ORIGIN = "http://localhost:8750"
RP_ID = "localhost"
WA = f"{API}/auth/webauthn"

WEBAUTHN_SERVER_ENV = {
    "CONCLAVE_PUBLIC_URL": PUBLIC_URL,
    "CONCLAVE_RATE_LIMITS": "login=1000/1m,signup=1000/1h,refresh=1000/1m,api_anonymous=1000/1m",
}


@pytest.fixture(scope="module")
def server(conclave_bin):
    """Overrides conftest's shared server for this module (see WEBAUTHN_SERVER_ENV)."""
    yield from running_server(WEBAUTHN_SERVER_ENV)


@pytest.fixture(scope="module")
def new_person(server, owner):
    """Factory: a new person (own account, no passkey yet) who signed up through an invite."""
    def make(tag: str = "user") -> dict:
        with server.client() as c:
            invite = create_invite_ok(c, owner["headers"], owner["workspace_id"], "member")
            return signup_via_invite(c, invite["token"], tag)
    return make


# ======================================================================================
# Encoding helpers
# ======================================================================================

def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    assert "=" not in text, f"base64url with padding: {text!r}"
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | info]) + value.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")


def cbor(value) -> bytes:
    """A minimal CBOR encoder (RFC 8949, definite lengths): ints, bytes, text, arrays, maps."""
    if isinstance(value, bool) or value is None:
        raise TypeError("not needed here")
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _cbor_head(3, len(data)) + data
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return _cbor_head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


# ======================================================================================
# The authenticator written from the spec
# ======================================================================================

class Authenticator:
    """A one-credential software authenticator with the browser's JSON serialisation."""

    def __init__(self, alg: str = "ES256", fmt: str = "none", uv: bool = False, counter: bool = True,
                 backup_eligible: bool = False):
        assert alg in ("ES256", "EdDSA") and fmt in ("none", "packed", "packed-x5c")
        self.alg, self.fmt, self.uv, self.counter, self.backup_eligible = alg, fmt, uv, counter, backup_eligible
        if alg == "ES256":
            self.key = ec.generate_private_key(ec.SECP256R1())
        else:
            self.key = ed25519.Ed25519PrivateKey.generate()
        self.credential_id = os.urandom(32)
        self.aaguid = bytes.fromhex("0123456789abcdef0123456789abcdef") if fmt == "packed-x5c" else bytes(16)
        self.sign_count = 0
        self.user_handle: bytes | None = None

    @property
    def cose_alg(self) -> int:
        return -7 if self.alg == "ES256" else -8

    def cose_key(self) -> bytes:
        if self.alg == "ES256":
            numbers = self.key.public_key().public_numbers()
            return cbor({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        raw = self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cbor({1: 1, 3: -8, -1: 6, -2: raw})

    def sign(self, data: bytes) -> bytes:
        if self.alg == "ES256":
            return self.key.sign(data, ec.ECDSA(hashes.SHA256()))  # DER, as WebAuthn wants
        return self.key.sign(data)  # 64 raw bytes

    def flags(self, *, attested: bool = False, uv: bool | None = None, up: bool = True) -> int:
        value = 0x01 if up else 0
        if self.uv if uv is None else uv:
            value |= 0x04
        if self.backup_eligible:
            value |= 0x08 | 0x10
        if attested:
            value |= 0x40
        return value

    @staticmethod
    def client_data(kind: str, challenge: str, origin: str, **extra) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        data.update(extra)
        return json.dumps(data, separators=(",", ":")).encode("utf-8")

    def attestation_statement(self, auth_data: bytes, client_data_hash: bytes, fmt: str) -> dict:
        if fmt == "none":
            return {}
        if fmt == "packed":  # self attestation: signed by the credential key itself
            return {"alg": self.cose_alg, "sig": self.sign(auth_data + client_data_hash)}
        # Basic attestation: a separate P-256 attestation key and its certificate (§8.2.1).
        attestation_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Conclave Tests"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Conclave Test Authenticator"),
        ])
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(attestation_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(attestation_key, hashes.SHA256())
        )
        signature = attestation_key.sign(auth_data + client_data_hash, ec.ECDSA(hashes.SHA256()))
        return {"alg": -7, "sig": signature, "x5c": [certificate.public_bytes(serialization.Encoding.DER)]}

    def create(self, options: dict, *, origin: str = ORIGIN, rp_id: str | None = None, challenge: str | None = None,
               uv: bool | None = None, fmt: str | None = None, client_extra: dict | None = None) -> dict:
        """navigator.credentials.create() + toJSON(): a RegistrationResponseJSON."""
        pk = options["publicKey"]
        self.user_handle = b64u_decode(pk["user"]["id"])
        client_data = self.client_data("webauthn.create", challenge or pk["challenge"], origin, **(client_extra or {}))
        attested = self.aaguid + struct.pack(">H", len(self.credential_id)) + self.credential_id + self.cose_key()
        auth_data = (sha256((rp_id or pk["rp"]["id"]).encode()) + bytes([self.flags(attested=True, uv=uv)])
                     + struct.pack(">I", self.sign_count) + attested)
        fmt = fmt or self.fmt
        statement = self.attestation_statement(auth_data, sha256(client_data), fmt)
        attestation_object = cbor({"fmt": "packed" if fmt == "packed-x5c" else fmt, "attStmt": statement,
                                   "authData": auth_data})
        return {
            "id": b64u(self.credential_id),
            "rawId": b64u(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64u(client_data),
                "attestationObject": b64u(attestation_object),
                "transports": ["internal", "hybrid", "carrier-pigeon"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }

    def get(self, options: dict, *, origin: str = ORIGIN, rp_id: str | None = None, count: int | None = None,
            uv: bool | None = None, challenge: str | None = None, tamper_signature: bool = False) -> dict:
        """navigator.credentials.get() + toJSON(): an AuthenticationResponseJSON."""
        pk = options["publicKey"]
        if count is None:
            if self.counter:
                self.sign_count += 1
            count = self.sign_count if self.counter else 0
        client_data = self.client_data("webauthn.get", challenge or pk["challenge"], origin)
        auth_data = sha256((rp_id or pk["rpId"]).encode()) + bytes([self.flags(uv=uv)]) + struct.pack(">I", count)
        signature = self.sign(auth_data + sha256(client_data))
        if tamper_signature:
            if self.alg == "EdDSA":
                signature = bytes([signature[0] ^ 0x01]) + signature[1:]
            else:  # keep the DER valid, change the value of s
                signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
        return {
            "id": b64u(self.credential_id),
            "rawId": b64u(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64u(client_data),
                "authenticatorData": b64u(auth_data),
                "signature": b64u(signature),
                "userHandle": b64u(self.user_handle) if self.user_handle is not None else None,
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }


# ======================================================================================
# soft-webauthn, behind the same browser-side JSON conversion
# ======================================================================================

class SoftWebauthn:
    """soft_webauthn.SoftWebauthnDevice with options and results in the L3 JSON forms."""

    def __init__(self):
        self.device = soft_webauthn.SoftWebauthnDevice()

    @property
    def credential_id(self) -> bytes:
        return self.device.credential_id

    def create(self, options: dict, *, origin: str = ORIGIN) -> dict:
        pk = dict(options["publicKey"])
        pk["challenge"] = b64u_decode(pk["challenge"])
        pk["user"] = dict(pk["user"], id=b64u_decode(pk["user"]["id"]))
        result = self.device.create({"publicKey": pk}, origin)
        return {
            "id": b64u(result["rawId"]),
            "rawId": b64u(result["rawId"]),
            "type": result["type"],
            "response": {
                "clientDataJSON": b64u(result["response"]["clientDataJSON"]),
                "attestationObject": b64u(result["response"]["attestationObject"]),
                "transports": ["usb"],
            },
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
        }

    def get(self, options: dict, *, origin: str = ORIGIN) -> dict:
        pk = dict(options["publicKey"])
        pk["challenge"] = b64u_decode(pk["challenge"])
        result = self.device.get({"publicKey": pk}, origin)
        return {
            "id": b64u(result["rawId"]),
            "rawId": b64u(result["rawId"]),
            "type": result["type"],
            "response": {
                "clientDataJSON": b64u(result["response"]["clientDataJSON"]),
                "authenticatorData": b64u(result["response"]["authenticatorData"]),
                "signature": b64u(result["response"]["signature"]),
                "userHandle": b64u(result["response"]["userHandle"]),
            },
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
        }


# ======================================================================================
# API helpers
# ======================================================================================

def register_options(c, headers: dict) -> dict:
    r = c.post(f"{WA}/register/options", headers=headers)
    assert r.status_code == 200, f"register/options: {r.status_code} {r.text}"
    body = r.json()
    assert set(body) == {"publicKey"}, body
    return body


def register_verify(c, headers: dict, response: dict, name: str | None = None):
    payload = dict(response)
    if name is not None:
        payload["name"] = name
    return c.post(f"{WA}/register/verify", json=payload, headers=headers)


def register(c, person: dict, authenticator, name: str | None = None) -> dict:
    """A full registration; returns the created credential as the API shows it."""
    options = register_options(c, person["headers"])
    r = register_verify(c, person["headers"], authenticator.create(options), name)
    assert r.status_code == 201, f"register/verify: {r.status_code} {r.text}"
    credential = r.json()
    assert credential["id"].startswith("pk_"), credential
    return credential


def login_options(c, email: str | None = None) -> dict:
    r = c.post(f"{WA}/login/options", json={} if email is None else {"email": email})
    assert r.status_code == 200, f"login/options: {r.status_code} {r.text}"
    body = r.json()
    assert isinstance(body.get("ceremony_id"), str) and body["ceremony_id"], body
    return body


def login_verify(c, ceremony_id: str, credential: dict):
    return c.post(f"{WA}/login/verify", json={"ceremony_id": ceremony_id, "credential": credential})


def passkey_login(c, authenticator, email: str | None = None, **get_kwargs):
    options = login_options(c, email)
    return login_verify(c, options["ceremony_id"], authenticator.get(options, **get_kwargs))


def assert_token_pair(c, r, person: dict, what: str) -> dict:
    assert r.status_code == 200, f"{what}: expected a token pair, got {r.status_code} {r.text}"
    body = r.json()
    for key in ("access_token", "refresh_token", "session_id"):
        assert body.get(key), f"{what}: response lacks {key}: {body}"
    assert body.get("token_type") == "Bearer" and body.get("expires_in") == 900, body
    r_me = me(c, body["access_token"])
    assert r_me.status_code == 200, f"{what}: /me with the passkey's access token: {r_me.status_code} {r_me.text}"
    assert r_me.json()["id"] == person["user_id"], f"{what}: /me is someone else: {r_me.text}"
    return body


def refused(r, what: str, because: str) -> dict:
    """401 with a Bearer challenge, for the stated reason (so a test cannot pass for a wrong one)."""
    body = assert_unauthorized(r, what)
    assert because.lower() in (body.get("detail") or "").lower(), f"{what}: refused for another reason: {body}"
    return body


SIGNATURE = "signature is invalid"
ORIGIN_REFUSED = "origin is not allowed"
RP_ID_REFUSED = "relying party id does not match"
SPENT = "not valid or has expired"
UNKNOWN = "not recognised"
CHALLENGE = "challenge does not match"
COUNTER = "counter did not increase"
UV = "user verification is required"


def credentials(c, headers: dict) -> list[dict]:
    r = c.get(f"{WA}/credentials", headers=headers)
    assert r.status_code == 200, f"GET credentials: {r.status_code} {r.text}"
    body = r.json()
    assert body.get("next_cursor") is None, body
    return body["data"]


def audit_rows(server: Server, user_id: str) -> list[tuple[str, dict]]:
    rows = server.sql_rows(
        f"SELECT action, details FROM audit_log WHERE target = '{user_id}' OR actor_id = '{user_id}' ORDER BY chain, seq")
    return [(row[0], json.loads("|".join(row[1:]))) for row in rows]


# ======================================================================================
# Authentication of the endpoints themselves
# ======================================================================================

def test_registration_and_management_need_a_signed_in_person(server, client):
    assert_unauthorized(client.post(f"{WA}/register/options"), "register/options without a token")
    assert_unauthorized(client.post(f"{WA}/register/verify", json={}), "register/verify without a token")
    assert_unauthorized(client.get(f"{WA}/credentials"), "credentials without a token")
    assert_unauthorized(client.delete(f"{WA}/credentials/pk_0123456789abcdefghij"), "delete without a token")
    bogus = bearer("not-a-token")
    assert_unauthorized(client.post(f"{WA}/register/options", headers=bogus), "register/options with a bogus token")


# ======================================================================================
# Options
# ======================================================================================

def test_registration_options_follow_the_contract(server, new_person, client):
    person = new_person("opts")
    first = register_options(client, person["headers"])["publicKey"]
    second = register_options(client, person["headers"])["publicKey"]
    assert first["rp"]["id"] == RP_ID, first["rp"]
    assert first["rp"].get("name"), first["rp"]
    assert len(b64u_decode(first["challenge"])) >= 32, "the challenge must be at least 32 random bytes here"
    assert first["challenge"] != second["challenge"], "two ceremonies got the same challenge"
    user_handle = b64u_decode(first["user"]["id"])
    assert 1 <= len(user_handle) <= 64, first["user"]
    assert person["email"].encode() not in user_handle, "the user handle must not carry the email"
    assert first["user"]["name"] == person["email"] and first["user"]["displayName"], first["user"]
    algs = {p["alg"] for p in first["pubKeyCredParams"]}
    assert {-7, -8} <= algs and all(p["type"] == "public-key" for p in first["pubKeyCredParams"]), first
    assert first["authenticatorSelection"]["userVerification"] == "preferred", first
    assert first["excludeCredentials"] == [], first
    assert first["attestation"] in ("none", "direct", "indirect", "enterprise"), first
    assert isinstance(first["timeout"], int) and first["timeout"] > 0, first


def test_login_options_without_and_with_an_email(server, new_person, client):
    person = new_person("lopts")
    with server.client() as c:
        credential = Authenticator()
        register(c, person, credential)
    anonymous = login_options(client)
    pk = anonymous["publicKey"]
    assert pk["rpId"] == RP_ID and pk["userVerification"] == "preferred", pk
    assert pk["allowCredentials"] == [], "without an email the login is a discoverable-credential one"
    assert len(b64u_decode(pk["challenge"])) >= 32, pk
    named = login_options(client, person["email"].upper())["publicKey"]
    assert [d["id"] for d in named["allowCredentials"]] == [b64u(credential.credential_id)], named
    assert named["allowCredentials"][0]["type"] == "public-key", named
    assert named["challenge"] != pk["challenge"]


KNOWN_TRANSPORTS = {"usb", "nfc", "ble", "smart-card", "hybrid", "internal"}


def descriptor_shape(descriptor: dict) -> tuple:
    """What a descriptor shows besides its random bytes: its keys, type, id length and transports."""
    assert set(descriptor) == {"type", "id", "transports"}, f"descriptor keys {sorted(descriptor)}"
    assert descriptor["type"] == "public-key", descriptor
    transports = descriptor["transports"]
    assert isinstance(transports, list) and set(transports) <= KNOWN_TRANSPORTS, descriptor
    assert transports == sorted(set(transports)), f"transports not sorted and unique as browsers report them: {descriptor}"
    return (descriptor["type"], len(b64u_decode(descriptor["id"])), tuple(transports))


def test_decoys_cannot_be_told_from_real_passkeys(server, new_person, owner, client):
    """login/options with an email must not tell who has an account, or a passkey. A real
    account's credentials and the decoys of an unknown email (or of an account without passkeys)
    have the same fields (transports included), plausible id lengths and counts, and are stable
    across calls; every call does the same work (one ceremony, one audit entry in the same chain),
    whichever kind of account it names."""
    real = new_person("haspk")
    register(client, real, Authenticator())                       # reports internal + hybrid
    register(client, real, SoftWebauthn())                         # reports usb
    create_workspace(client, real["headers"], "Second")            # in two workspaces: an audit entry
    without = new_person("nopk")                                   # per workspace would show
    unknown = [f"nobody-{secrets.token_hex(4)}@example.com" for _ in range(40)]

    def allow(email: str) -> list[dict]:
        options = login_options(client, email)
        pk = options["publicKey"]
        assert set(options) == {"publicKey", "ceremony_id"}, options
        assert set(pk) == {"challenge", "timeout", "rpId", "allowCredentials", "userVerification"}, pk
        return pk["allowCredentials"]

    real_allowed = allow(real["email"])
    assert len(real_allowed) == 2, real_allowed
    real_shapes = [descriptor_shape(d) for d in real_allowed]
    assert all(shape[2] for shape in real_shapes), f"a real credential without transports: {real_shapes}"

    decoy_lists = {email: allow(email) for email in [without["email"], *unknown]}
    lengths, counts, transports = set(), set(), set()
    for email, allowed in decoy_lists.items():
        assert allow(email) == allowed, f"the decoys of {email} change between calls, which gives them away"
        assert 1 <= len(allowed) <= 3, f"{email}: {len(allowed)} decoys"
        counts.add(len(allowed))
        for shape in (descriptor_shape(d) for d in allowed):
            lengths.add(shape[1])
            transports.add(shape[2])
            assert 16 <= shape[1] <= 64, f"{email}: an implausible credential id length {shape[1]}"
    assert {shape[1] for shape in real_shapes} <= lengths, f"real id lengths {real_shapes} never occur among decoys {lengths}"
    assert {shape[2] for shape in real_shapes} <= transports, f"real transports {real_shapes} never occur among decoys {transports}"
    assert len(counts) > 1 and len(lengths) > 1, "every decoy list looks alike, unlike real people's passkeys"
    assert len({tuple(d["id"] for d in allowed) for allowed in decoy_lists.values()}) == len(decoy_lists), \
        "two emails got the same decoys"

    # The same work whatever the account: one audit entry, in one chain, per call.
    def audit_counts() -> Counter:
        return Counter({(row[0], row[1]): int(row[2]) for row in server.sql_rows(
            "SELECT chain, action, COUNT(*) FROM audit_log GROUP BY chain, action")})

    def audit_added(email: str) -> Counter:
        before = audit_counts()
        allow(email)
        return audit_counts() - before

    work = {label: audit_added(email) for label, email in
            (("passkeys", real["email"]), ("no passkeys", without["email"]), ("unknown", unknown[0]))}
    assert work["passkeys"] == work["no passkeys"] == work["unknown"], f"login/options does different work: {work}"
    assert sum(work["unknown"].values()) == 1, work


# ======================================================================================
# Register → list → login
# ======================================================================================

def test_soft_webauthn_registers_lists_and_logs_in(server, new_person, client):
    person = new_person("soft")
    device = SoftWebauthn()
    options = register_options(client, person["headers"])
    response = device.create(options)
    r = register_verify(client, person["headers"], response, name="  YubiKey 5  ")
    assert r.status_code == 201, f"register/verify: {r.status_code} {r.text}"
    created = r.json()
    assert created["name"] == "YubiKey 5" and created["algorithm"] == "ES256", created
    assert created["attestation_format"] == "none" and created["last_used_at"] is None, created
    assert created["transports"] == ["usb"], created

    listed = credentials(client, person["headers"])
    assert [x["id"] for x in listed] == [created["id"]], listed
    raw = client.get(f"{WA}/credentials", headers=person["headers"]).text
    attestation = b64u_decode(response["response"]["attestationObject"])
    for secretish in (response["rawId"], b64u(attestation[-77:]), "public_key", "publicKey", "credential_id"):
        assert secretish not in raw, f"the credential list shows {secretish!r}: {raw}"

    again = register_options(client, person["headers"])["publicKey"]
    assert [d["id"] for d in again["excludeCredentials"]] == [response["rawId"]], again

    for email in (person["email"], None):  # with an account named, and discoverable
        tokens = assert_token_pair(client, passkey_login(client, device, email), person, f"passkey login (email={email})")
    r = client.get(f"{API}/auth/sessions", headers=bearer(tokens["access_token"]))
    assert r.status_code == 200 and any(s["id"] == tokens["session_id"] for s in r.json()["data"]), r.text
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200, f"refresh after a passkey login: {r.status_code} {r.text}"
    used = credentials(client, person["headers"])[0]
    assert used["last_used_at"] is not None, used


@pytest.mark.parametrize("alg,fmt", [("ES256", "packed"), ("EdDSA", "none"), ("EdDSA", "packed"), ("ES256", "packed-x5c")])
def test_algorithms_and_attestation_formats(server, new_person, client, alg, fmt):
    person = new_person(f"{alg}-{fmt}".lower())
    authenticator = Authenticator(alg=alg, fmt=fmt, uv=True, backup_eligible=(alg == "EdDSA"))
    created = register(client, person, authenticator)
    assert created["algorithm"] == alg and created["attestation_format"] == fmt.split("-")[0], created
    assert created["backup_eligible"] is (alg == "EdDSA") and created["backed_up"] is (alg == "EdDSA"), created
    assert created["transports"] == ["internal", "hybrid"], "unknown transports are dropped, known ones kept"
    if fmt == "packed-x5c":
        assert created["aaguid"] == "01234567-89ab-cdef-0123-456789abcdef", created
    assert_token_pair(client, passkey_login(client, authenticator, person["email"]), person, f"{alg}/{fmt} login")
    assert_token_pair(client, passkey_login(client, authenticator), person, f"{alg}/{fmt} discoverable login")


def test_authenticator_without_a_counter_logs_in_repeatedly(server, new_person, client):
    person = new_person("nocounter")
    authenticator = Authenticator(counter=False)
    register(client, person, authenticator)
    for attempt in range(3):
        assert_token_pair(client, passkey_login(client, authenticator), person, f"counter-less login {attempt}")


# ======================================================================================
# Refusals
# ======================================================================================

def test_a_login_ceremony_is_single_use(server, new_person, client):
    person = new_person("replay")
    authenticator = Authenticator()
    register(client, person, authenticator)
    options = login_options(client, person["email"])
    assertion = authenticator.get(options)
    assert_token_pair(client, login_verify(client, options["ceremony_id"], assertion), person, "first use")
    refused(login_verify(client, options["ceremony_id"], assertion), "the same assertion replayed", SPENT)
    fresh = authenticator.get(options)  # a new signature over the same (spent) challenge
    refused(login_verify(client, options["ceremony_id"], fresh), "a spent ceremony with a new signature", SPENT)
    other = login_options(client, person["email"])
    refused(login_verify(client, other["ceremony_id"], assertion), "an assertion for another challenge", CHALLENGE)
    refused(login_verify(client, "wac_" + secrets.token_urlsafe(32), authenticator.get(options)),
            "an invented ceremony id", SPENT)
    refused(login_verify(client, "x" * 500, authenticator.get(options)), "an oversized ceremony id", SPENT)


def test_a_failed_verification_still_spends_the_ceremony(server, new_person, client):
    person = new_person("spent")
    authenticator = Authenticator()
    register(client, person, authenticator)
    options = login_options(client, person["email"])
    refused(login_verify(client, options["ceremony_id"], authenticator.get(options, tamper_signature=True)),
            "a bad signature", SIGNATURE)
    refused(login_verify(client, options["ceremony_id"], authenticator.get(options)),
            "the right signature after a failed attempt on the same ceremony", SPENT)


def test_a_registration_challenge_is_single_use_and_expires(server, new_person, client):
    person = new_person("regreplay")
    authenticator = Authenticator()
    options = register_options(client, person["headers"])
    response = authenticator.create(options)
    assert register_verify(client, person["headers"], response).status_code == 201
    second = Authenticator()
    r = register_verify(client, person["headers"], second.create(options))
    assert "response.clientDataJSON" in field_errors(assert_problem(r, 422)), r.text
    # Another person cannot answer my challenge either.
    stranger = new_person("regstranger")
    r = register_verify(client, stranger["headers"], Authenticator().create(register_options(client, person["headers"])))
    assert_problem(r, 422)
    # An expired challenge (5 minutes, shortened here in the database) is refused.
    options = register_options(client, person["headers"])
    server.sql(f"UPDATE webauthn_ceremonies SET expires_at = 1 WHERE challenge = '{options['publicKey']['challenge']}'")
    assert_problem(register_verify(client, person["headers"], Authenticator().create(options)), 422)
    assert len(credentials(client, person["headers"])) == 1


def test_an_expired_login_ceremony_is_refused(server, new_person, client):
    person = new_person("expired")
    authenticator = Authenticator()
    register(client, person, authenticator)
    options = login_options(client, person["email"])
    server.sql(f"UPDATE webauthn_ceremonies SET expires_at = 1 WHERE challenge = '{options['publicKey']['challenge']}'")
    refused(login_verify(client, options["ceremony_id"], authenticator.get(options)), "an expired ceremony", SPENT)


@pytest.mark.parametrize("origin", ["http://evil.example", "https://localhost:8750", "http://localhost:8751",
                                    "http://localhost:8750/", "http://localhost"])
def test_wrong_origin_is_refused(server, new_person, client, origin):
    person = new_person("origin")
    authenticator = Authenticator()
    r = register_verify(client, person["headers"], authenticator.create(register_options(client, person["headers"]), origin=origin))
    assert "response.clientDataJSON" in field_errors(assert_problem(r, 422)), r.text
    register(client, person, authenticator)
    refused(passkey_login(client, authenticator, person["email"], origin=origin), f"assertion from {origin}", ORIGIN_REFUSED)
    assert_token_pair(client, passkey_login(client, authenticator, person["email"]), person, "right origin afterwards")


def test_wrong_rp_id_and_cross_origin_are_refused(server, new_person, client):
    person = new_person("rpid")
    authenticator = Authenticator()
    options = register_options(client, person["headers"])
    r = register_verify(client, person["headers"], authenticator.create(options, rp_id="evil.example"))
    assert "response.attestationObject" in field_errors(assert_problem(r, 422)), r.text
    options = register_options(client, person["headers"])
    r = register_verify(client, person["headers"], authenticator.create(
        options, client_extra={"crossOrigin": True, "topOrigin": "http://evil.example"}))
    assert_problem(r, 422)
    register(client, person, authenticator)
    for rp_id in ("evil.example", "127.0.0.1", "localhost."):
        refused(passkey_login(client, authenticator, person["email"], rp_id=rp_id), f"rpIdHash of {rp_id}", RP_ID_REFUSED)
    # A create-type clientData in a login, and a challenge of our own choosing, are refused too.
    options = login_options(client, person["email"])
    assertion = authenticator.get(options, challenge=b64u(os.urandom(32)))
    refused(login_verify(client, options["ceremony_id"], assertion), "a challenge the server never issued", CHALLENGE)


def test_tampered_assertions_are_refused(server, new_person, client):
    person = new_person("tamper")
    for alg in ("ES256", "EdDSA"):
        authenticator = Authenticator(alg=alg)
        register(client, person, authenticator)
        refused(passkey_login(client, authenticator, tamper_signature=True), f"{alg}: flipped signature bit", SIGNATURE)
        options = login_options(client)
        assertion = authenticator.get(options)
        data = bytearray(b64u_decode(assertion["response"]["authenticatorData"]))
        data[32] |= 0x04  # claim UV after signing
        forged = json.loads(json.dumps(assertion))
        forged["response"]["authenticatorData"] = b64u(bytes(data))
        refused(login_verify(client, options["ceremony_id"], forged), f"{alg}: flags changed after signing", SIGNATURE)
        options = login_options(client)
        assertion = authenticator.get(options)
        forged = json.loads(json.dumps(assertion))
        forged["response"]["signature"] = b64u(b"\x00" * 64)
        refused(login_verify(client, options["ceremony_id"], forged), f"{alg}: zero signature", SIGNATURE)
        assert_token_pair(client, passkey_login(client, authenticator), person, f"{alg}: honest login afterwards")


def test_malformed_bodies_are_422_not_500(server, new_person, client):
    person = new_person("malformed")
    authenticator = Authenticator()
    register(client, person, authenticator)
    options = login_options(client, person["email"])
    good = authenticator.get(options)
    padded = json.loads(json.dumps(good))
    padded["response"]["signature"] += "=="
    r = login_verify(client, options["ceremony_id"], padded)
    assert "credential.response.signature" in field_errors(assert_problem(r, 422)), r.text
    mismatched = json.loads(json.dumps(good))
    mismatched["id"] = b64u(os.urandom(32))
    assert_problem(login_verify(client, options["ceremony_id"], mismatched), 422)
    r = client.post(f"{WA}/login/verify", json={"ceremony_id": options["ceremony_id"]})
    assert "credential" in field_errors(assert_problem(r, 422)), r.text
    garbage = json.loads(json.dumps(good))
    garbage["response"]["authenticatorData"] = b64u(b"\x01\x02")
    refused(login_verify(client, options["ceremony_id"], garbage), "truncated authenticator data", "authenticator data is malformed")
    reg = authenticator.create(register_options(client, person["headers"]))
    reg["response"]["attestationObject"] = b64u(b"\xff" * 40)
    r = register_verify(client, person["headers"], reg)
    assert "response.attestationObject" in field_errors(assert_problem(r, 422)), r.text
    r = register_verify(client, person["headers"], Authenticator().create(register_options(client, person["headers"])),
                        name="\u0007bell")
    assert "name" in field_errors(assert_problem(r, 422)), r.text


def test_a_credential_cannot_be_registered_twice(server, new_person, client):
    person = new_person("dup")
    authenticator = Authenticator()
    register(client, person, authenticator)
    r = register_verify(client, person["headers"], authenticator.create(register_options(client, person["headers"])))
    assert_problem(r, 409)
    other = new_person("dup2")
    r = register_verify(client, other["headers"], authenticator.create(register_options(client, other["headers"])))
    assert_problem(r, 409)


def test_sign_count_regression_refuses_the_login_and_is_audited(server, new_person, client):
    person = new_person("clone")
    authenticator = Authenticator()
    created = register(client, person, authenticator)
    assert_token_pair(client, passkey_login(client, authenticator, count=5), person, "counter 5")
    for count in (5, 3, 0):
        r = passkey_login(client, authenticator, person["email"], count=count)
        refused(r, f"counter {count} after 5", COUNTER)
    assert_token_pair(client, passkey_login(client, authenticator, count=6), person, "counter 6")
    regressions = [d for a, d in audit_rows(server, person["user_id"]) if a == "auth.webauthn.sign_count_regression"]
    assert len(regressions) == 3, f"want one sign_count_regression audit entry per refusal: {regressions}"
    assert regressions[0].get("credential_id") == created["id"], regressions[0]
    assert {(d.get("stored_sign_count"), d.get("received_sign_count")) for d in regressions} == {(5, 5), (5, 3), (5, 0)}


def test_user_handle_and_email_binding(server, new_person, client):
    alice, bob = new_person("alice"), new_person("bob")
    alice_key, bob_key = Authenticator(), Authenticator()
    register(client, alice, alice_key)
    register(client, bob, bob_key)
    # Options for Alice, answered with Bob's passkey.
    refused(passkey_login(client, bob_key, alice["email"]), "Bob's passkey in Alice's ceremony", UNKNOWN)
    # A userHandle that is not the credential's owner.
    options = login_options(client)
    assertion = bob_key.get(options)
    assertion["response"]["userHandle"] = b64u(alice["user_id"].encode())
    refused(login_verify(client, options["ceremony_id"], assertion), "Bob's passkey claiming Alice's handle", UNKNOWN)
    # An unknown credential id.
    refused(passkey_login(client, Authenticator()), "a passkey the server has never seen", UNKNOWN)


# ======================================================================================
# Managing passkeys
# ======================================================================================

def test_delete_a_passkey_and_it_no_longer_signs_in(server, new_person, client):
    person = new_person("delete")
    authenticator, spare = Authenticator(), Authenticator(alg="EdDSA")
    created = register(client, person, authenticator, name="Laptop")
    kept = register(client, person, spare, name="Phone")
    assert [x["name"] for x in credentials(client, person["headers"])] == ["Laptop", "Phone"]
    r = client.delete(f"{WA}/credentials/{created['id']}", headers=person["headers"])
    assert r.status_code == 204, f"delete: {r.status_code} {r.text}"
    assert [x["id"] for x in credentials(client, person["headers"])] == [kept["id"]]
    refused(passkey_login(client, authenticator, person["email"]), "a deleted passkey (named account)", UNKNOWN)
    refused(passkey_login(client, authenticator), "a deleted passkey (discoverable)", UNKNOWN)
    assert_problem(client.delete(f"{WA}/credentials/{created['id']}", headers=person["headers"]), 404)
    assert_token_pair(client, passkey_login(client, spare, person["email"]), person, "the other passkey still works")


def test_another_persons_passkey_is_404(server, new_person, owner, client):
    alice, bob = new_person("owner-a"), new_person("other-b")
    alices = register(client, alice, Authenticator())
    r = client.delete(f"{WA}/credentials/{alices['id']}", headers=bob["headers"])
    assert_problem(r, 404)
    assert [x["id"] for x in credentials(client, alice["headers"])] == [alices["id"]]
    assert credentials(client, bob["headers"]) == [], "Bob sees Alice's passkey"
    assert_problem(client.delete(f"{WA}/credentials/pk_{'A' * 20}", headers=bob["headers"]), 404)
    assert_problem(client.delete(f"{WA}/credentials/{owner['user_id']}", headers=bob["headers"]), 404)
    assert_problem(client.delete(f"{WA}/credentials/not-an-id", headers=bob["headers"]), 400)
    assert_problem(client.delete(f"{WA}/credentials/pk_short", headers=bob["headers"]), 400)


# ======================================================================================
# Adding a passkey needs a recent sign-in (contract v1.1)
# ======================================================================================

def test_a_stolen_access_token_cannot_add_a_passkey(server, new_person, client):
    """An access token of a session whose sign-in is older than ten minutes (a stolen one, say)
    cannot register a passkey: 403 reauthentication_required, also after a refresh (the proof
    belongs to the session, and a refresh does not renew it). The current password in the body
    renews it; a wrong one is refused like a wrong password change and counts towards the
    lockout. The passkey list then names the session that added each passkey, and the addition
    is audited with ids only."""
    person = new_person("stolen")
    opened = register_options(client, person["headers"])           # a ceremony begun while recent
    age_sign_in(server, person["session_id"])

    assert_reauthentication_required(client.post(f"{WA}/register/options", headers=person["headers"]),
                                     "register/options, sign-in 11 minutes ago")
    assert_reauthentication_required(register_verify(client, person["headers"], Authenticator(uv=True).create(opened)),
                                     "register/verify of a ceremony begun before, sign-in 11 minutes ago")
    r = client.post(f"{API}/auth/refresh", json={"refresh_token": person["refresh_token"]})
    assert r.status_code == 200, r.text
    refreshed = bearer(r.json()["access_token"])
    assert_reauthentication_required(client.post(f"{WA}/register/options", headers=refreshed),
                                     "register/options with a refreshed access token")

    wrong = "Wrong-" + strong_password()
    r = client.post(f"{WA}/register/options", json={"current_password": wrong}, headers=refreshed)
    body = assert_problem(r, 403)
    assert "current_password" in field_errors(body), body
    assert not body["type"].endswith("reauthentication_required"), body
    assert failed_logins(server, person["user_id"]) == 1, "a wrong current_password did not count towards the lockout"

    r = client.post(f"{WA}/register/options", json={"current_password": person["password"]}, headers=refreshed)
    assert r.status_code == 200, f"register/options with the current password: {r.status_code} {r.text}"
    authenticator = Authenticator(uv=True)
    r = register_verify(client, refreshed, authenticator.create(r.json()))
    assert r.status_code == 201, f"register/verify right after proving the password: {r.status_code} {r.text}"
    created = r.json()
    listed = {x["id"]: x for x in credentials(client, refreshed)}
    assert listed[created["id"]]["created_by_session"] == person["session_id"], listed
    assert listed[created["id"]]["created_at"], listed

    # The password proof was the person's, not a login: the stale access token's session is the
    # same session, so it is recent again too. A second session of the person, signed in long
    # ago, is not.
    other = login(client, person["email"], person["password"]).json()
    age_sign_in(server, other["session_id"])
    assert_reauthentication_required(client.post(f"{WA}/register/options", headers=bearer(other["access_token"])),
                                     "register/options from another, older session")

    rows = audit_rows(server, person["user_id"])
    registered = [d for a, d in rows if a == "auth.webauthn.registered"]
    assert registered and registered[-1].get("credential_id") == created["id"] \
        and registered[-1].get("session_id") == person["session_id"], registered
    deleted = client.delete(f"{WA}/credentials/{created['id']}", headers=refreshed)
    assert deleted.status_code == 204, deleted.text
    removed = [d for a, d in audit_rows(server, person["user_id"]) if a == "auth.webauthn.credential.deleted"]
    assert removed and removed[-1].get("credential_id") == created["id"] \
        and removed[-1].get("session_id") == person["session_id"], removed
    dump = "\n".join("|".join(row) for row in server.sql_rows("SELECT * FROM audit_log"))
    assert person["password"] not in dump and wrong not in dump, "a password is in the audit log"


def test_a_passkey_sign_in_is_recent_only_with_user_verification(server, new_person, client):
    """Signing in with a passkey that verified the user (UV) is a proof like the password; one
    without UV proves possession only, so its session must give the password to add a passkey."""
    person = new_person("uvproof")
    verifying, plain = Authenticator(uv=True), Authenticator(uv=False, alg="EdDSA")
    register(client, person, verifying)
    register(client, person, plain)

    with_uv = assert_token_pair(client, passkey_login(client, verifying, person["email"]), person, "passkey with UV")
    register(client, dict(person, headers=bearer(with_uv["access_token"])), Authenticator())

    without_uv = assert_token_pair(client, passkey_login(client, plain, person["email"]), person, "passkey without UV")
    assert_reauthentication_required(
        client.post(f"{WA}/register/options", headers=bearer(without_uv["access_token"])),
        "register/options in a session signed into with a passkey without UV")


# ======================================================================================
# User verification policy and second factors
# ======================================================================================

def test_required_user_verification_refuses_soft_webauthn(make_server):
    srv = make_server({"CONCLAVE_WEBAUTHN_USER_VERIFICATION": "required",
                       "CONCLAVE_PUBLIC_URL": "https://chat.example.test",
                       "CONCLAVE_RATE_LIMITS": "login=1000/1m,signup=1000/1h"})
    origin = "https://chat.example.test"
    owner = create_owner(srv, "uv-owner@example.com", "UV")
    person = dict(owner, headers=owner["headers"])
    with srv.client() as c:
        options = register_options(c, person["headers"])
        assert options["publicKey"]["rp"]["id"] == "chat.example.test", options
        assert options["publicKey"]["authenticatorSelection"]["userVerification"] == "required", options
        r = register_verify(c, person["headers"], SoftWebauthn().create(options, origin=origin))
        body = assert_problem(r, 422)
        assert "response.attestationObject" in field_errors(body), r.text
        assert "verification" in json.dumps(body).lower(), body

        authenticator = Authenticator(uv=True)
        options = register_options(c, person["headers"])
        r = register_verify(c, person["headers"], authenticator.create(options, origin=origin))
        assert r.status_code == 201, f"registration with UV: {r.status_code} {r.text}"
        lopts = login_options(c, person["email"])
        assert lopts["publicKey"]["userVerification"] == "required" and lopts["publicKey"]["rpId"] == "chat.example.test"
        r = login_verify(c, lopts["ceremony_id"], authenticator.get(lopts, origin=origin, uv=False))
        refused(r, "an assertion without UV under the required policy", UV)
        r = login_verify(c, login_options(c)["ceremony_id"], authenticator.get(login_options(c), origin=origin))
        refused(r, "an assertion for another ceremony's challenge", CHALLENGE)
        lopts = login_options(c)
        assert_token_pair(c, login_verify(c, lopts["ceremony_id"], authenticator.get(lopts, origin=origin)), person,
                          "an assertion with UV")
        lopts = login_options(c)
        r = login_verify(c, lopts["ceremony_id"], authenticator.get(lopts, origin=ORIGIN))
        refused(r, "the default origin when CONCLAVE_PUBLIC_URL says otherwise", ORIGIN_REFUSED)


def _totp(secret: str, step: int) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def test_with_totp_a_passkey_without_uv_is_one_factor(server, new_person, client):
    person = new_person("totp")
    plain, verifying = Authenticator(uv=False), Authenticator(uv=True, alg="EdDSA")
    register(client, person, plain)
    register(client, person, verifying)
    # Enable TOTP (confirm with the previous step so the current one is left for the MFA step).
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.1)
    step = int(time.time() // 30)
    r = client.post(f"{API}/auth/totp/enroll", headers=person["headers"])
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    r = client.post(f"{API}/auth/totp/confirm", json={"code": _totp(secret, step - 1)}, headers=person["headers"])
    assert r.status_code == 200, f"totp confirm: {r.status_code} {r.text}"

    # A password login offers the passkey as a way to finish (the contract's methods list).
    r = client.post(f"{API}/auth/login", json={"email": person["email"], "password": person["password"]})
    assert r.status_code == 200 and r.json().get("mfa_required") is True, r.text
    assert r.json()["methods"] == ["totp", "webauthn", "backup_code"], r.json()

    r = passkey_login(client, plain, person["email"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body.get("mfa_required") is True and "access_token" not in body, f"a passkey without UV skipped TOTP: {body}"
    r = client.post(f"{API}/auth/mfa", json={"mfa_token": body["mfa_token"], "code": _totp(secret, step)})
    assert_token_pair(client, r, person, "passkey without UV + TOTP")

    assert_token_pair(client, passkey_login(client, verifying, person["email"]), person, "passkey with UV counts as both factors")


# ======================================================================================
# Audit, logs, storage
# ======================================================================================

def test_every_action_is_audited_and_nothing_secret_is_logged(server, new_person, client):
    person = new_person("audited")
    authenticator = Authenticator()
    options = register_options(client, person["headers"])
    response = authenticator.create(options)
    r = register_verify(client, person["headers"], response)
    assert r.status_code == 201, r.text
    created = r.json()
    lopts = login_options(client, person["email"])
    assertion = authenticator.get(lopts)
    assert_token_pair(client, login_verify(client, lopts["ceremony_id"], assertion), person, "login")
    refused(passkey_login(client, authenticator, tamper_signature=True), "bad signature", SIGNATURE)
    assert client.delete(f"{WA}/credentials/{created['id']}", headers=person["headers"]).status_code == 204

    rows = audit_rows(server, person["user_id"])
    actions = [a for a, _ in rows]
    for wanted in ("auth.webauthn.registration.started", "auth.webauthn.registered",
                   "auth.login.succeeded", "auth.login.failed", "auth.webauthn.credential.deleted"):
        assert wanted in actions, f"no {wanted!r} audit entry; have {actions}"
    # Starting a login is anonymous: one entry in the system chain, naming the account it is bound to.
    started = [json.loads("|".join(row)) for row in server.sql_rows(
        "SELECT details FROM audit_log WHERE action = 'auth.webauthn.login.started'")]
    assert any(d.get("user_id") == person["user_id"] for d in started), started
    succeeded = [d for a, d in rows if a == "auth.login.succeeded" and d.get("method") == "webauthn"]
    assert succeeded and succeeded[0].get("credential_id") == created["id"], rows
    failed = [d for a, d in rows if a == "auth.login.failed"]
    assert any(d.get("reason") == "invalid_signature" for d in failed), failed

    dump = "\n".join("|".join(row) for row in server.sql_rows("SELECT * FROM audit_log"))
    output = server.output
    for label, value in (("challenge", options["publicKey"]["challenge"]), ("login challenge", lopts["publicKey"]["challenge"]),
                         ("ceremony id", lopts["ceremony_id"]), ("signature", assertion["response"]["signature"]),
                         ("attestation object", response["response"]["attestationObject"][:40])):
        assert value not in dump, f"the {label} is in the audit log"
        assert value not in output, f"the {label} is in the server's output"
    stored = server.sql_rows("SELECT id FROM webauthn_ceremonies")
    assert all(row[0] != lopts["ceremony_id"] for row in stored), "the ceremony id is stored in clear"
    proc = server.run_cli(["audit", "verify"])
    assert proc.returncode == 0, f"conclave audit verify: {proc.returncode}\n{proc.stdout}{proc.stderr}"


def test_login_endpoints_are_rate_limited_per_ip(make_server):
    srv = make_server({"CONCLAVE_RATE_LIMITS": "login=3/1m"})
    with srv.client() as c:
        statuses = [c.post(f"{WA}/login/options", json={}).status_code for _ in range(3)]
        assert statuses == [200, 200, 200], statuses
        r = c.post(f"{WA}/login/options", json={})
        assert_problem(r, 429)
        assert r.headers.get("retry-after"), r.headers
        assert_problem(c.post(f"{WA}/login/verify", json={}), 429)
