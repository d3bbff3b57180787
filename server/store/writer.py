"""Group commit for event batches: one writer thread stores the batches of many concurrent
requests in one transaction and one commit (one fsync), then answers each request.

A request is acknowledged only after the commit that holds its events, so an acknowledged
event is durable; under load, requests share commits instead of queueing for one each.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import select

from .database import Database
from .models import ExamSession, Institution, aware, iso, utcnow
from .queries import queue_flags, store_events

MAX_GROUP = 200
#: An event's ``createdAt`` must lie within the session's life: from this long before its start
#: (the consent notice and system check come before the session exists) ...
EARLY = dt.timedelta(minutes=30)
#: ... to this long after its end (or after now, for an open session).
LATE = dt.timedelta(minutes=5)


def out_of_window(rows: list[dict[str, Any]], started_at: dt.datetime, ended_at: dt.datetime | None,
                  now: dt.datetime) -> dict[str, str]:
    """Event id → why its ``createdAt`` (time-zone aware) is refused: before the session, after
    its end, or (live) more than ``LATE`` ahead of the server's clock."""
    first = aware(started_at) - EARLY
    last = aware(ended_at) if ended_at is not None else now + LATE  # an ended session: nothing after its end
    refused = {}
    for row in rows:
        created = row["created_at"]
        if not first <= created <= last:
            refused[row["client_id"]] = (f"createdAt {created.isoformat()} lies outside the session "
                                         f"({first.isoformat()} to {last.isoformat()})")
    return refused


class Refused(Exception):
    """The batch is not stored: ``code`` says why (no session, other origin, session ended)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def refusal(found: bool, origin: str | None, session_origin: str | None, ended: bool, *,
            writing: str | None = None) -> Refused | None:
    """Why a request may not touch this session, or None: it does not exist, it belongs to another
    origin, or — for ``writing`` (what is being written: "events", "evidence") — it has ended. The
    one check the event writer, the evidence upload and the other session endpoints share."""
    if not found:
        return Refused(401, "INVALID_SESSION_TOKEN", "No such session.")
    if origin is not None and origin != session_origin:
        return Refused(403, "DOMAIN_NOT_REGISTERED", "This session belongs to another origin.")
    if writing is not None and ended:
        return Refused(409, "SESSION_ENDED", f"The session has ended; it accepts no more {writing}.")
    return None


class Stored(NamedTuple):
    """What became of one batch."""

    new_ids: list[str]  # the events that were new (the rest were duplicates or refused)
    refused: dict[str, str]  # event id → why (``createdAt`` outside the session's life)
    ended: dict[str, str] | None  # ``{endedAt, reason}`` if the session has ended
    institution_id: int  # the session's, for whom to tell of the news


@dataclass
class _Job:
    session_id: str
    origin: str | None
    rows: list[dict[str, Any]]
    future: "Future[Stored]" = field(default_factory=Future)


class EventWriter:
    def __init__(self, db: Database):
        self.db = db
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="eye-event-writer", daemon=True)
        self._thread.start()
        self.commits = 0

    def store(self, session_id: str, origin: str | None, rows: list[dict[str, Any]],
              timeout: float = 30.0) -> Stored:
        """Store one batch (idempotent by event id). An ended session still takes the events from
        before its end (a late flush: the platform may end a session while the page has events
        in flight); a batch with nothing from before the end is refused (409 SESSION_ENDED)."""
        job = _Job(session_id, origin, rows)
        self._jobs.put(job)
        return job.future.result(timeout)

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._jobs.put(None)
                    break
                group.append(job)
            self._commit(group)

    def _commit(self, group: list[_Job]) -> None:
        results: list[Any] = []
        try:
            with self.db.session() as s:
                ids = {j.session_id for j in group}
                state = {r.id: r for r in s.execute(
                    select(ExamSession.id, ExamSession.ended_at, ExamSession.end_reason, ExamSession.origin, ExamSession.started_at,
                           ExamSession.institution_id, Institution.webhook_url, Institution.webhook_secret)
                    .join(Institution, Institution.id == ExamSession.institution_id)
                    .where(ExamSession.id.in_(ids)))}
                now = utcnow()
                for job in group:
                    row = state.get(job.session_id)
                    refused_why = refusal(row is not None, job.origin, row.origin if row else None, False)
                    if refused_why is not None:
                        results.append(refused_why)
                    elif row is not None:  # always, once refusal() passed it
                        refused = out_of_window(job.rows, row.started_at, row.ended_at, now)
                        if row.ended_at is not None and len(refused) == len(job.rows):
                            # nothing from before the end (a late flush of those is kept): refused whole
                            results.append(refusal(True, None, None, True, writing="events"))
                            continue
                        valid = [r for r in job.rows if r["client_id"] not in refused]
                        new_ids = store_events(s, valid) if valid else []
                        if row.webhook_url and row.webhook_secret:
                            queue_flags(s, row.institution_id, job.session_id, valid, new_ids)
                        ended = ({"endedAt": iso(row.ended_at), "reason": row.end_reason or ""}
                                 if row.ended_at is not None else None)
                        results.append(Stored(new_ids, refused, ended, row.institution_id))
            self.commits += 1
        except Exception as e:  # the whole group failed to commit: every request may retry
            for job in group:
                job.future.set_exception(e)
            return
        for job, result in zip(group, results, strict=True):
            if isinstance(result, Exception):
                job.future.set_exception(result)
            else:
                job.future.set_result(result)
