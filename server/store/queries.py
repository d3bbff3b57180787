"""Queries on the hot path, written with SQLAlchemy Core for speed, for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import Event


def store_events(db: Session, rows: list[dict[str, Any]]) -> list[str]:
    """Insert events, skipping ids this session already has (a retried batch): returns the ids
    that were new. One statement; concurrent retries of the same batch cannot store an event twice."""
    dialect = db.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    statement = insert(Event).on_conflict_do_nothing(index_elements=["session_id", "client_id"]).returning(Event.client_id)
    return [row.client_id for row in db.execute(statement, rows)]
