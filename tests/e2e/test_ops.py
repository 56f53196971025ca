"""Readiness follows the database."""

from __future__ import annotations

import time

import pytest

from conftest import BACKEND, POSTGRES_URL, assert_problem, psql


@pytest.mark.skipif(BACKEND != "postgres", reason="needs a database that can be taken away (PostgreSQL)")
def test_ready_is_503_when_the_database_is_gone(make_server):
    srv = make_server()
    with srv.client() as c:
        assert c.get("/health/ready").status_code == 200
        psql(POSTGRES_URL, f'DROP DATABASE "{srv.db_name}" WITH (FORCE)')
        deadline = time.monotonic() + 15
        while True:
            r = c.get("/health/ready")
            if r.status_code == 503 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert_problem(r, 503)
        # Liveness does not touch the database.
        r = c.get("/health")
        assert r.status_code == 200 and r.json() == {"status": "ok"}
