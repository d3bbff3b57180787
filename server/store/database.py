"""The database handle: an engine and a session factory for one URL."""

from __future__ import annotations

import contextlib
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from alembic.config import Config

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> "Config":  # noqa: F821  (imported below, when called)
    """Alembic settings without an ini file: the migrations folder inside this package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config

ENV = "EYE_DATABASE_URL"
MEDIA_ENV = "EYE_MEDIA_DIR"


def default_media_dir() -> Path:
    """``EYE_MEDIA_DIR`` if set, else ``eye-media/`` in the working folder."""
    return Path(os.environ.get(MEDIA_ENV) or Path.cwd() / "eye-media")


def default_url() -> str:
    """``EYE_DATABASE_URL`` if set, else ``eye.db`` (SQLite) in the working folder."""
    return os.environ.get(ENV) or f"sqlite:///{Path.cwd() / 'eye.db'}"


class Database:
    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        sqlite = self.url.startswith("sqlite")
        self.engine = create_engine(
            self.url,
            connect_args={"check_same_thread": False, "timeout": 30} if sqlite else {},
            pool_pre_ping=not sqlite,
            pool_size=10,
            max_overflow=30,
        )
        # SQLite has one writer at a time; threads that queue on a lock here instead of in
        # SQLite's busy handler (which sleeps in growing steps) keep throughput and latency sane.
        self._serial = threading.Lock() if sqlite else contextlib.nullcontext()
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent; safe for several instances)."""
        from alembic import command

        with self.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction that may write (on SQLite, one at a time in this process)."""
        with self._serial, self._sessions() as s:
            with s.begin():
                yield s

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction: on SQLite (WAL) readers run beside each other and beside the
        writer, so a large dashboard export does not stall ingestion."""
        with self._sessions() as s:
            with s.begin():
                yield s


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted personal data is zeroed, not left in free pages
    cursor.close()
