"""TLS to PostgreSQL with libpq's sslmode semantics (CONCLAVE_DATABASE_URL), against a PostgreSQL
of the test's own: a throwaway cluster (scripts/pg-start on a free port and its own directory)
restarted with ssl on, its certificate issued by a test CA for `localhost` only, and plaintext
connections refused by its pg_hba.conf, so a server that works there spoke TLS. The shared test
server is not touched (it serves only as a server without TLS)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import BACKEND, REPO, create_owner
from tcp_proxy import CuttableProxy
from test_cli import run_serve
from test_tls import CA

needs_postgres = pytest.mark.skipif(BACKEND != "postgres", reason="TLS to PostgreSQL needs PostgreSQL")

PASSWORD = "conclave"  # of the role scripts/pg-start creates


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def non_loopback_address() -> str:
    """An IPv4 address of this machine that is not loopback (skips the test if there is none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route
            address = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    if address.startswith("127."):
        pytest.skip("this machine has no non-loopback IPv4 address")
    return address


class TLSPostgres:
    """A PostgreSQL cluster of its own with ssl on."""

    def __init__(self, ca: CA):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="conclave-pg-tls-"))
        self.env = dict(os.environ, CONCLAVE_PG_PORT=str(self.port), CONCLAVE_PG_ROOT=str(self.root))
        self.script("pg-start")
        data = self.root / "data"
        _, cert_pem, key_pem = ca.issue("localhost", server=True, ip_address=False)
        for name, content in (("server.crt", cert_pem), ("server.key", key_pem)):
            (data / name).write_bytes(content)
            (data / name).chmod(0o600)
            if os.geteuid() == 0:
                shutil.chown(data / name, "postgres")
        with open(data / "postgresql.conf", "a") as conf:
            conf.write("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
        hba = data / "pg_hba.conf"
        hba.write_text("hostnossl all all all reject\n" + hba.read_text())
        self.script("pg-stop")
        self.script("pg-start")

    def script(self, name: str, *args: str) -> None:
        subprocess.run([str(REPO / "scripts" / name), *args], env=self.env, check=True, capture_output=True, timeout=120)

    def url(self, host: str, database: str = "postgres", **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgres://conclave:{PASSWORD}@{host}:{self.port}/{database}" + (f"?{query}" if query else "")

    def new_database(self) -> str:
        name = "conclave_tls_" + os.urandom(5).hex()
        subprocess.run(["psql", self.url("localhost", sslmode="require"), "-X", "-q", "-c", f'CREATE DATABASE "{name}"'],
                       check=True, capture_output=True, timeout=30)
        return name

    def stop(self) -> None:
        self.script("pg-stop", "--purge")


@pytest.fixture(scope="module")
def test_ca() -> CA:
    return CA("Conclave PostgreSQL test CA")


@pytest.fixture(scope="module")
def tls_postgres(test_ca):
    if BACKEND != "postgres":
        pytest.skip("TLS to PostgreSQL needs PostgreSQL")
    cluster = TLSPostgres(test_ca)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def ca_files(test_ca, tmp_path_factory) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("pg-ca")
    (directory / "right.pem").write_bytes(test_ca.pem)
    (directory / "wrong.pem").write_bytes(CA("Somebody else's CA").pem)
    return {name: str(directory / f"{name}.pem") for name in ("right", "wrong")}


def serves_with(make_server, tls_postgres: TLSPostgres, host: str, **params: str) -> None:
    """A server on a fresh database of the TLS cluster starts, migrates, and answers requests
    that need the database."""
    server = make_server({"CONCLAVE_DATABASE_URL": tls_postgres.url(host, tls_postgres.new_database(), **params)})
    owner = create_owner(server, "tls@example.com", "TLS")
    with server.client() as c:
        assert c.get("/health/ready").status_code == 200
        assert c.get("/api/v1/me", headers=owner["headers"]).status_code == 200


def refused_with(make_server, url: str, expected: str) -> None:
    """A production server on `url` never starts: it logs why it cannot reach the database
    (`expected`) and exits on the fatal finding, without printing the password."""
    server = make_server(start=False)
    code, out, err, _ = run_serve(server, {"CONCLAVE_ENV": "production", "CONCLAVE_DISABLE_BOOTSTRAP": "true",
                                           "CONCLAVE_DATABASE_URL": url}, timeout=45)
    output = out + err
    assert "conclave listening" not in out, f"the server started:\n{output}"
    assert code != 0
    assert expected in output, f"no {expected!r} in the output:\n{output}"
    assert f":{PASSWORD}@" not in output, "the database password was printed"


@needs_postgres
def test_verify_full_with_the_right_ca_and_host_connects(make_server, tls_postgres, ca_files):
    # Before: sslrootcert was ignored, so only a certificate from a system CA could ever pass.
    serves_with(make_server, tls_postgres, "localhost", sslmode="verify-full", sslrootcert=ca_files["right"])


@needs_postgres
def test_verify_full_refuses_a_certificate_from_another_ca(make_server, tls_postgres, ca_files):
    refused_with(make_server, tls_postgres.url("localhost", sslmode="verify-full", sslrootcert=ca_files["wrong"]),
                 "TLS handshake failed")


@needs_postgres
def test_verify_full_refuses_a_host_the_certificate_does_not_name(make_server, tls_postgres, ca_files):
    # The certificate names `localhost` only; 127.0.0.1 is the same server under another name.
    refused_with(make_server, tls_postgres.url("127.0.0.1", sslmode="verify-full", sslrootcert=ca_files["right"]),
                 "TLS handshake failed")


@needs_postgres
def test_verify_ca_checks_the_chain_but_not_the_host(make_server, tls_postgres, ca_files):
    serves_with(make_server, tls_postgres, "127.0.0.1", sslmode="verify-ca", sslrootcert=ca_files["right"])
    refused_with(make_server, tls_postgres.url("127.0.0.1", sslmode="verify-ca", sslrootcert=ca_files["wrong"]),
                 "TLS handshake failed")


@needs_postgres
def test_require_encrypts_without_checking_the_certificate(make_server, tls_postgres):
    # libpq's require: TLS (the cluster refuses plaintext) and any certificate. Before: the
    # certificate had to chain to a system CA and name the host, as for verify-full.
    serves_with(make_server, tls_postgres, "127.0.0.1", sslmode="require")


@needs_postgres
def test_require_refuses_a_server_without_tls(make_server):
    server = make_server(start=False)  # its database is on the shared server, which has no TLS
    refused_with(make_server, server.database_url + "?sslmode=require", "TLS required by sslmode but not offered")


@needs_postgres
def test_without_sslmode_a_database_off_loopback_must_speak_tls(make_server):
    """The default sslmode is prefer only on loopback; elsewhere it is require, so someone on
    the network cannot make the server fall back to plaintext by refusing TLS. (Before: prefer
    everywhere, and the server went on in plaintext.)"""
    server = make_server(start=False)
    proxy, url = CuttableProxy.for_database_url(server.database_url, listen_host=non_loopback_address())
    try:
        refused_with(make_server, url, "TLS required by sslmode but not offered")
    finally:
        proxy.close()


@needs_postgres
def test_doctor_warns_about_a_database_off_loopback_without_verify_full(make_server, ca_files):
    server = make_server(start=False)
    host = non_loopback_address()

    def database_tls_line(query: str) -> str:
        url = server.database_url.replace("127.0.0.1", host, 1) + query
        doctor = server.run_cli(["doctor"], env={"CONCLAVE_DATABASE_URL": url})
        lines = [line for line in doctor.stdout.splitlines() if "database-tls" in line]
        assert len(lines) == 1, f"no database-tls finding:\n{doctor.stdout}\n{doctor.stderr}"
        assert f":{PASSWORD}@" not in doctor.stdout + doctor.stderr
        return lines[0]

    for query in ("", "?sslmode=require", f"?sslmode=verify-ca&sslrootcert={ca_files['right']}"):
        line = database_tls_line(query)
        assert line.startswith("warn") and "verify-full" in line, line
    assert database_tls_line(f"?sslmode=verify-full&sslrootcert={ca_files['right']}").startswith("ok")


@pytest.mark.parametrize("query", ["?sslmode=verify-everything", "?sslmode=require&sslrootcert=/nonexistent/ca.pem"])
def test_an_unusable_tls_setting_exits_2_naming_the_variable_without_the_password(make_server, query):
    server = make_server(start=False)
    url = "postgres://conclave:Hunter2-secret@db.example.com:5432/conclave" + query
    code, out, err, _ = run_serve(server, {"CONCLAVE_DATABASE_URL": url})
    assert code == 2, f"exit {code}\n{out}\n{err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "CONCLAVE_DATABASE_URL" in lines[0], err
    assert "Hunter2" not in out + err
