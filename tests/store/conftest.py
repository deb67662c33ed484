"""Stores for the tests: a SQLite file, and a database of its own on a real PostgreSQL
server named by ``REGKIT_TEST_POSTGRES`` (a URL to a database the tests may create others
from; ``.ci/run`` starts a server and sets it). Without a server, the PostgreSQL tests skip
on a developer's machine and fail under CI."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER = os.environ.get("REGKIT_TEST_POSTGRES")
BACKENDS = ["sqlite", "postgresql"]


def _database(server: str) -> Iterator[str]:
    """A new, empty database on the server, dropped afterwards; its URL."""
    from sqlalchemy import create_engine, make_url, text

    name = f"regkit_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new store's URL, on each database."""
    if request.param == "sqlite":
        yield str(tmp_path / "regkit.db")
        return
    if not SERVER:
        if os.environ.get("CI"):
            pytest.fail("REGKIT_TEST_POSTGRES is not set: .ci/run starts a PostgreSQL server")
        pytest.skip("no PostgreSQL server (set REGKIT_TEST_POSTGRES)")
    yield from _database(SERVER)
