"""Queries on the hot path, written with SQLAlchemy Core for speed, for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from widget.events import FLAGS

from .models import Event, WebhookOutbox


def store_events(db: Session, rows: list[dict[str, Any]]) -> list[str]:
    """Insert events, skipping ids this session already has (a retried batch): returns the ids
    that were new. One statement; concurrent retries of the same batch cannot store an event twice."""
    dialect = db.get_bind().dialect.name
    insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
    statement = insert(Event).on_conflict_do_nothing(index_elements=["session_id", "client_id"]).returning(Event.client_id)
    return [row.client_id for row in db.execute(statement, rows)]


def queue_flags(db: Session, institution_id: int, session_id: str, rows: list[dict[str, Any]], new_ids: list[str]) -> None:
    """Outbox rows for the new flags among ``rows``, in the transaction that stores them: a
    flag is never stored without its webhook delivery, and never delivered without being stored."""
    new = set(new_ids)
    flags = [{"institution_id": institution_id, "session_id": session_id, "event_client_id": r["client_id"],
              "state": "pending", "attempts": 0, "next_attempt_at": r["received_at"], "created_at": r["received_at"]}
             for r in rows if r["client_id"] in new and r["type"] in FLAGS]
    if flags:
        db.execute(insert(WebhookOutbox), flags)
