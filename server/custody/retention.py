"""Retention and candidate rights: purge sessions past their institution's retention period;
export or delete everything about one candidate. Evidence files go with their rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..outcomes import records
from ..store import Database, ExamSession, Institution
from ..store.models import utcnow
from .evidence import EvidenceStore, delete_sessions


def purge(db: Database, store: EvidenceStore | Path, now: dt.datetime | None = None) -> int:
    """Delete every session that ended (or, if never ended, started) more than its institution's
    ``retention_days`` ago. Returns how many sessions were deleted."""
    now = now or utcnow()
    ids: list[str] = []
    with db.session() as s:
        for institution in s.scalars(select(Institution)):
            cutoff = now - dt.timedelta(days=institution.retention_days)
            ids += s.scalars(select(ExamSession.id).where(
                ExamSession.institution_id == institution.id,
                func.coalesce(ExamSession.ended_at, ExamSession.started_at) < cutoff))
    return delete_sessions(db, store, ids)


def candidate_sessions(s: Session, institution_id: int, candidate_id: str) -> list[ExamSession]:
    return list(s.scalars(select(ExamSession).where(ExamSession.institution_id == institution_id,
                                                    ExamSession.candidate_id == candidate_id)))


def _institution_id(s: Session, institution_name: str) -> int | None:
    return s.scalar(select(Institution.id).where(Institution.name == institution_name))


def candidate_record(s: Session, institution_id: int, candidate_id: str) -> dict[str, Any]:
    return {"candidateId": candidate_id,
            "sessions": [records.session_record(s, r) for r in candidate_sessions(s, institution_id, candidate_id)]}


def candidate_export(db: Database, institution_name: str, candidate_id: str) -> dict[str, Any]:
    with db.session() as s:
        institution_id = _institution_id(s, institution_name)
        record = candidate_record(s, institution_id, candidate_id) if institution_id else {"candidateId": candidate_id, "sessions": []}
        return {**record, "institution": institution_name}


def delete_candidate_of(db: Database, store: EvidenceStore | Path, institution_id: int, candidate_id: str) -> int:
    with db.session() as s:
        ids = [r.id for r in candidate_sessions(s, institution_id, candidate_id)]
    return delete_sessions(db, store, ids)


def delete_candidate(db: Database, store: EvidenceStore | Path, institution_name: str, candidate_id: str) -> int:
    with db.session() as s:
        institution_id = _institution_id(s, institution_name)
    return delete_candidate_of(db, store, institution_id, candidate_id) if institution_id else 0
