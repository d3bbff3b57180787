"""Retention and candidate rights: purge sessions past their institution's retention period;
export or delete everything about one candidate. Evidence files go with their rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from .dashboard import data
from .store import Database, ExamSession, Institution
from .store.models import utcnow


def purge(db: Database, media_dir: Path, now: dt.datetime | None = None) -> int:
    """Delete every session that ended (or, if never ended, started) more than its institution's
    ``retention_days`` ago. Returns how many sessions were deleted."""
    now = now or utcnow()
    removed = 0
    with db.session() as s:
        for institution in s.scalars(select(Institution)):
            cutoff = now - dt.timedelta(days=institution.retention_days)
            ids = list(s.scalars(select(ExamSession.id).where(
                ExamSession.institution_id == institution.id,
                func.coalesce(ExamSession.ended_at, ExamSession.started_at) < cutoff)))
            removed += data.delete_sessions(s, media_dir, ids)
    return removed


def _institution_sessions(s, institution_name: str, candidate_id: str) -> list[ExamSession]:  # type: ignore[no-untyped-def]
    return list(s.scalars(select(ExamSession).join(Institution, Institution.id == ExamSession.institution_id)
                          .where(Institution.name == institution_name, ExamSession.candidate_id == candidate_id)))


def candidate_export(db: Database, institution_name: str, candidate_id: str) -> dict[str, Any]:
    with db.session() as s:
        return {"candidateId": candidate_id, "institution": institution_name,
                "sessions": [data.session_record(s, r) for r in _institution_sessions(s, institution_name, candidate_id)]}


def delete_candidate(db: Database, media_dir: Path, institution_name: str, candidate_id: str) -> int:
    with db.session() as s:
        ids = [r.id for r in _institution_sessions(s, institution_name, candidate_id)]
        return data.delete_sessions(s, media_dir, ids)
