"""Built-in TLS: TLS 1.3 only on one port (HTTPS and WSS), HSTS, certificate reload on SIGHUP
without dropping open sockets, optional mutual TLS (CONCLAVE_TLS_CLIENT_CA).

The certificates are made here with `cryptography`; the clients are Python's ssl module, httpx and
websockets — none of them share code with the server's TLS stack (BoringSSL via swift-nio-ssl)."""

from __future__ import annotations

import datetime
import json
import signal
import socket
import ssl
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from websockets.sync.client import connect

from conftest import Server, create_owner


# --------------------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------------------

def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


class CA:
    """A throwaway certificate authority issuing P-256 leaf certificates."""

    def __init__(self, name: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name)).issuer_name(_name(name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, common_name: str, *, server: bool, ip_address: bool = True) -> tuple[x509.Certificate, bytes, bytes]:
        """A leaf certificate; a server's names `localhost` and, with `ip_address`, 127.0.0.1."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name)).issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        )
        if server:
            names: list[x509.GeneralName] = [x509.DNSName("localhost")]
            if ip_address:
                names.append(x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1")))
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        return cert, cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)


@pytest.fixture(scope="module")
def ca() -> CA:
    return CA("Conclave test CA")


def write_server_cert(ca: CA, directory: Path, name: str = "server") -> x509.Certificate:
    cert, cert_pem, key_pem = ca.issue("localhost", server=True)
    (directory / f"{name}.crt").write_bytes(cert_pem)
    (directory / f"{name}.key").write_bytes(key_pem)
    (directory / f"{name}.key").chmod(0o600)
    return cert


def client_context(ca: CA, *, client_cert: tuple[bytes, bytes] | None = None, tmp: Path | None = None,
                   max_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cadata=ca.pem.decode())
    if max_version is not None:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = max_version
    if client_cert is not None:
        assert tmp is not None
        cert_path, key_path = tmp / "client.crt", tmp / "client.key"
        cert_path.write_bytes(client_cert[0])
        key_path.write_bytes(client_cert[1])
        ctx.load_cert_chain(cert_path, key_path)
    return ctx


def peer_certificate(server: Server, ctx: ssl.SSLContext) -> tuple[x509.Certificate, str]:
    """Handshake on a fresh connection; returns the certificate presented and the protocol version."""
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            der = tls.getpeercert(binary_form=True)
            return x509.load_der_x509_certificate(der), tls.version()


def tls_server(make_server, ca: CA, **env) -> tuple[Server, Path, dict]:
    """A TLS server with an owner (made through the CLI before the start, so no client needs the CA)."""
    server = make_server(start=False)
    owner = create_owner(server)
    certs = server.root / "certs"
    certs.mkdir()
    write_server_cert(ca, certs)
    server.extra_env.update({
        "CONCLAVE_TLS_CERT": str(certs / "server.crt"),
        "CONCLAVE_TLS_KEY": str(certs / "server.key"),
        **env,
    })
    server.start()
    return server, certs, owner


def login(server: Server, ctx: ssl.SSLContext, owner: dict) -> dict:
    with httpx.Client(base_url=server.base_url, verify=ctx, timeout=20) as c:
        r = c.post("/api/v1/auth/login", json={"email": owner["email"], "password": owner["password"]})
    assert r.status_code == 200, r.text
    return r.json()


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------

def test_tls_listener_speaks_tls13_only_and_sends_hsts(make_server, ca):
    server, _, _ = tls_server(make_server, ca)
    assert server.base_url.startswith("https://"), server.base_url

    cert, version = peer_certificate(server, client_context(ca))
    assert version == "TLSv1.3"
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "localhost"

    with httpx.Client(base_url=server.base_url, verify=client_context(ca), timeout=20) as c:
        r = c.get("/health")
    assert r.status_code == 200
    hsts = r.headers.get("strict-transport-security", "")
    assert "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000, hsts

    # A client that stops at TLS 1.2 gets no session at all.
    with pytest.raises(ssl.SSLError):
        peer_certificate(server, client_context(ca, max_version=ssl.TLSVersion.TLSv1_2))

    # Plain HTTP on the TLS port is not served.
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        raw.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        raw.settimeout(10)
        try:
            answer = raw.recv(4096)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    assert b"200 OK" not in answer and b'"status"' not in answer


def test_plain_http_listener_sends_no_hsts(server):
    with server.client() as c:
        r = c.get("/health")
    assert r.status_code == 200
    assert "strict-transport-security" not in r.headers


def test_wss_on_the_same_port(make_server, ca):
    server, _, owner = tls_server(make_server, ca)
    ctx = client_context(ca)
    tokens = login(server, ctx, owner)
    url = server.base_url.replace("https://", "wss://") + "/api/v1/ws"
    with connect(url, ssl=ctx, open_timeout=10, ping_interval=None, proxy=None) as ws:
        ws.send(json.dumps({"type": "auth", "token": tokens["access_token"]}))
        ready = json.loads(ws.recv(timeout=10))
        assert ready["type"] == "ready", ready


def test_sighup_reloads_the_certificate_without_dropping_sockets(make_server, ca):
    server, certs, owner = tls_server(make_server, ca)
    ctx = client_context(ca)
    first, _ = peer_certificate(server, ctx)
    tokens = login(server, ctx, owner)

    url = server.base_url.replace("https://", "wss://") + "/api/v1/ws"
    with connect(url, ssl=ctx, open_timeout=10, ping_interval=None, proxy=None) as ws:
        ws.send(json.dumps({"type": "auth", "token": tokens["access_token"]}))
        assert json.loads(ws.recv(timeout=10))["type"] == "ready"

        # A renewal tool replaces both files, then signals the server.
        renewed = write_server_cert(ca, certs)
        assert renewed.serial_number != first.serial_number
        server.proc.send_signal(signal.SIGHUP)

        deadline = time.monotonic() + 10
        while True:
            current, _ = peer_certificate(server, ctx)
            if current.serial_number == renewed.serial_number:
                break
            assert time.monotonic() < deadline, "new handshakes still present the old certificate"
            time.sleep(0.1)

        # The socket opened before the reload is still alive and served.
        ws.send(json.dumps({"type": "ping"}))
        deadline = time.monotonic() + 10
        while True:
            frame = json.loads(ws.recv(timeout=10))
            if frame.get("type") == "pong":
                break
            assert time.monotonic() < deadline

    # A broken file on the next reload keeps the last good certificate and the server running.
    (certs / "server.crt").write_text("not a certificate\n")
    server.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert server.running
    still, _ = peer_certificate(server, ctx)
    assert still.serial_number == renewed.serial_number
    assert "TLS certificate reload failed" in server.output
    assert "not a certificate" not in server.output


def test_mutual_tls_requires_a_client_certificate_from_the_client_ca(make_server, ca, tmp_path):
    client_ca = CA("Conclave peer CA")
    (tmp_path / "client-ca.pem").write_bytes(client_ca.pem)
    server, _, _ = tls_server(make_server, ca, CONCLAVE_TLS_CLIENT_CA=str(tmp_path / "client-ca.pem"))

    def health(ctx: ssl.SSLContext) -> int:
        with httpx.Client(base_url=server.base_url, verify=ctx, timeout=20) as c:
            return c.get("/health").status_code

    # No certificate: the handshake (or the first read, in TLS 1.3) fails.
    with pytest.raises((httpx.TransportError, ssl.SSLError)):
        health(client_context(ca))

    # A certificate from another CA: refused.
    _, stranger_pem, stranger_key = CA("Somebody else").issue("peer", server=False)
    with pytest.raises((httpx.TransportError, ssl.SSLError)):
        health(client_context(ca, client_cert=(stranger_pem, stranger_key), tmp=tmp_path))

    # A certificate issued by the configured client CA: served.
    _, peer_pem, peer_key = client_ca.issue("server-b.internal", server=False)
    assert health(client_context(ca, client_cert=(peer_pem, peer_key), tmp=tmp_path)) == 200


@pytest.mark.parametrize("env, variable", [
    ({"CONCLAVE_TLS_CERT": "/nonexistent/cert.pem", "CONCLAVE_TLS_KEY": "/nonexistent/key.pem"}, "CONCLAVE_TLS_CERT"),
    ({"CONCLAVE_TLS_CLIENT_CA": "/nonexistent/ca.pem"}, "CONCLAVE_TLS_CLIENT_CA"),
])
def test_unusable_tls_configuration_exits_2_naming_the_variable(make_server, env, variable):
    server = make_server(env, start=False)
    proc = server.run_cli(["serve"], timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert variable in proc.stderr


def test_mismatched_key_exits_2(make_server, ca):
    server = make_server(start=False)
    certs = server.root / "certs"
    certs.mkdir()
    write_server_cert(ca, certs, "a")
    write_server_cert(ca, certs, "b")
    proc = server.run_cli(["serve"], env={
        "CONCLAVE_TLS_CERT": str(certs / "a.crt"), "CONCLAVE_TLS_KEY": str(certs / "b.key")}, timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert "does not match" in proc.stderr
    assert "PRIVATE KEY" not in proc.stderr + proc.stdout


def test_a_malformed_first_request_over_tls_gets_the_same_security_headers(make_server, ca):
    """The 400 written beneath the router for a request that is not valid HTTP/1.1 carries the
    headers every response carries, HSTS included."""
    server, _, _ = tls_server(make_server, ca)
    request = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        with client_context(ca).wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(request)
            answer = b""
            while chunk := tls.recv(4096):
                answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode().lower()
    assert head.startswith("http/1.1 400 "), head
    for header in ("strict-transport-security: max-age=63072000; includesubdomains", "x-content-type-options: nosniff",
                   "x-frame-options: deny", "content-security-policy: default-src 'none'", "x-request-id: req_"):
        assert header in head, f"{header!r} missing from {head!r}"
