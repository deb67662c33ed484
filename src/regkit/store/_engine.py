"""Opening a store: its URL, its engine and its migrations.

A store is new when it has no ``alembic_version`` table: the migrations then run, in the
same transaction as the check (two processes opening a new store at once create it once).
An existing store must be at the newest revision this regkit knows: an older one is
upgraded by ``regkit store upgrade`` (:func:`upgrade`), a newer one is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from regkit.errors import StoreError

__all__ = ["DEFAULT_PATH", "ENVIRONMENT", "connect", "store_url", "upgrade", "writing"]

#: The store's file when neither the argument nor the environment names one.
DEFAULT_PATH = "regkit.db"
#: The environment variable that names the store (a path or a SQLAlchemy URL).
ENVIRONMENT = "REGKIT_STORE"
#: Any 64-bit number, the same in every process: PostgreSQL's lock on creating a store.
_CREATE_LOCK = 0x7265676B6974


def store_url(url: str | os.PathLike[str] | None = None) -> str:
    """The SQLAlchemy URL of a store: ``url`` (a URL, or a path to a SQLite file), else the
    ``REGKIT_STORE`` environment variable, else ``./regkit.db``."""
    if url is not None and not isinstance(url, str | os.PathLike):
        raise TypeError(f"url must be a URL, a path or None, got {type(url).__name__}")
    value = os.fspath(url) if url is not None else os.environ.get(ENVIRONMENT) or DEFAULT_PATH
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().resolve())


def shown(url: str) -> str:
    """A URL as messages show it (no password)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _engine(url: str) -> Engine:
    """An engine on a URL (SQLite set up as a store needs it), not yet connected."""
    try:
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"store {shown(url)}: not a database URL regkit can open ({exc})") from exc
    if engine.dialect.name == "sqlite":
        _sqlite(engine)
    return engine


def connect(url: str) -> Engine:
    """An engine on the store at ``url``, made ready for use (see the module)."""
    engine = _engine(url)
    try:
        with writing(engine) as connection:
            _ready(connection, url)
    except SQLAlchemyError as exc:
        engine.dispose()
        origin = getattr(exc, "orig", None)
        reason = str(origin if origin is not None else exc).splitlines()[0]
        raise StoreError(f"store {shown(url)}: cannot be opened: {reason}") from exc
    except BaseException:
        engine.dispose()
        raise
    return engine


def _sqlite(engine: Engine) -> None:
    """SQLite as a store needs it: foreign keys enforced, a writer waiting for another
    rather than failing, readers beside a writer (WAL), and transactions begun by us."""

    @event.listens_for(engine, "connect")
    def connected(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA journal_mode=WAL")
        # A run is one transaction, and its write-ahead log as big as what it wrote; once
        # checkpointed, the log goes back to 64 MiB rather than keep that size on disk.
        cursor.execute("PRAGMA journal_size_limit=67108864")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: findings' keys are random
        cursor.close()

    @event.listens_for(engine, "begin")
    def begun(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock first: no deadlock


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes: committed as a whole at the end, or not at all."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_LOCK})
        yield connection


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("regkit.store") / "migrations"))
    config.attributes["connection"] = connection
    return config


def _ready(connection: Connection, url: str) -> None:
    """Create a new store, or check that an existing one is at this regkit's revision."""
    config = _config(connection)
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        if inspect(connection).get_table_names():
            raise StoreError(f"store {shown(url)}: holds tables but is not a regkit store")
        command.upgrade(config, "head")
        return
    known = {script.revision for script in scripts.walk_revisions()}
    if current not in known:
        raise StoreError(
            f"store {shown(url)}: at revision {current}, newer than this regkit knows "
            f"(up to {head}); upgrade regkit to use it"
        )
    if current != head:
        raise StoreError(
            f"store {shown(url)}: at revision {current}, older than this regkit's {head}; "
            "run `regkit store upgrade` first"
        )


def upgrade(url: str) -> tuple[str | None, str]:
    """Bring an existing store up to this regkit's revision (a new one is created).

    Returns:
        The revision before and after.

    Raises:
        StoreError: the store cannot be opened or is newer than this regkit.
    """
    engine = _engine(url)
    try:
        with writing(engine) as connection:
            config = _config(connection)
            scripts = ScriptDirectory.from_config(config)
            before = MigrationContext.configure(connection).get_current_revision()
            known = {script.revision for script in scripts.walk_revisions()}
            if before is not None and before not in known:
                raise StoreError(
                    f"store {shown(url)}: at revision {before}, newer than this regkit knows"
                )
            command.upgrade(config, "head")
            return before, str(scripts.get_current_head())
    except SQLAlchemyError as exc:
        raise StoreError(f"store {shown(url)}: cannot be upgraded: {exc}") from exc
    finally:
        engine.dispose()
