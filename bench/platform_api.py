"""Platform API benchmark: list and read latency with many sessions stored (loopback, one client).

Fills a fresh database with ``--sessions`` sessions of one institution (spread over 90 days and
``--assessments`` assessments, a few events each, one in three with a flag, some reviewed) plus a
tenth as many of another institution, starts a real ``eye serve`` on it, and times with a secret
key, one request after another:

- ``first page``: ``GET /sessions?limit=100``;
- ``every page``: the whole list walked by ``nextCursor``, 100 a page (deep pages included);
- ``by assessment``, ``ended, unreviewed``: filtered first pages;
- ``one session``: ``GET /sessions/{id}`` for random sessions (the record with its flags);
- ``its events``: ``GET /sessions/{id}/events``.

Prints p50 and p99 per request kind and whether p99 is under the goal (50 ms for a page of 100).
The figures are this machine's: compare runs on one machine, not across machines.

Run: ``.venv/bin/python bench/platform_api.py [--sessions 100000] [--database postgresql|sqlite|both]``
(PostgreSQL: a throwaway server from ``scripts/postgres.sh``, or ``EYE_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import fresh_postgres  # noqa: E402
from eye_testing.servers import EyeServer, eye_command  # noqa: E402
from server.store.models import Event, ExamSession  # noqa: E402
from tests.conftest import BROWSER_ONLY  # noqa: E402

GOAL_MS = 50.0
#: One client asks as fast as it can: the per-key limit (200 per 10 s) would make this a rate test.
ENV = {"EYE_RATE_LIMITS": "secret_key=1000000 per 10 seconds"}
FLAGS = ("FACE_ABSENCE", "MULTIPLE_FACE", "TAB_NOT_FOCUS", "SOUND_DETECTED")
REVIEWS = ("unreviewed", "unreviewed", "unreviewed", "cleared", "escalated")


def fill(db_url: str, institution_id: int, api_key_id: int, sessions: int, assessments: int, seed: int) -> list[str]:
    """Insert ``sessions`` sessions (and their events) in chunks; returns their ids."""
    rng = random.Random(seed)
    engine = create_engine(db_url)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    ids: list[str] = []
    chunk = 5000
    with engine.begin() as c:
        for start in range(0, sessions, chunk):
            rows: list[dict[str, Any]] = []
            events: list[dict[str, Any]] = []
            for n in range(start, min(start + chunk, sessions)):
                sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                began = now - dt.timedelta(seconds=rng.uniform(0, 90 * 86400))
                ended = n % 50 != 0  # a few are live
                rows.append({
                    "id": sid, "api_key_id": api_key_id, "institution_id": institution_id, "origin": "http://localhost:5000",
                    "assessment_id": f"exam-{n % assessments}", "assessment_title": f"Exam {n % assessments}",
                    "candidate_id": f"cand-{n}", "candidate_email": f"cand-{n}@example.edu", "candidate_name": f"Candidate {n}",
                    "exam_duration": 3600.0, "config": BROWSER_ONLY, "started_at": began,
                    "ended_at": began + dt.timedelta(minutes=55) if ended else None, "end_reason": "manual" if ended else None,
                    "concurrent": False, "review_state": rng.choice(REVIEWS) if ended else "unreviewed",
                })
                kinds = ["SET_CONFIG", "STARTED"] + ([rng.choice(FLAGS)] if n % 3 == 0 else []) + (["END_PROCTORING"] if ended else [])
                for i, kind in enumerate(kinds):
                    at = began + dt.timedelta(seconds=i * 60)
                    events.append({"session_id": sid, "client_id": f"e{i}", "type": kind, "created_at": at, "received_at": at,
                                   "payload": {"description": kind.lower()}})
                ids.append(sid)
            c.execute(insert(ExamSession.__table__), rows)
            c.execute(insert(Event.__table__), events)
        if db_url.startswith("postgresql"):
            c.execute(text("ANALYZE"))
    engine.dispose()
    return ids


def timed(http: httpx.Client, path: str, params: dict[str, Any] | None = None) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    answer = http.get(path, params=params)
    took = time.perf_counter() - began
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path} {params}: {answer.status_code} {answer.text[:300]}")
    return took, answer.json()


def figures(name: str, seconds: list[float], label: str) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p50, p99 = statistics.median(ms), ms[max(0, int(len(ms) * 0.99) - 1)]
    verdict = "under" if p99 < GOAL_MS else "OVER"
    print(f"[{label}] {name:<20} requests {len(ms):>5}   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({verdict} the {GOAL_MS:.0f} ms goal)")


def run(label: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_url = fresh_postgres() if label == "postgresql" else None
        eye = EyeServer(Path(tmp), db_url, env=ENV)
        try:
            eye.create_key("localhost:5000")
            subprocess.run(eye_command("keys", "create", "--institution", "Other College", "--create-institution",
                                       "--domain", "localhost:5001", "--database-url", eye.db_url),
                           cwd=tmp, capture_output=True, check=True)
            secret = eye.create_secret_key()
            [(ours, ours_key)] = eye.query("select i.id, k.id from institutions i join api_keys k on k.institution_id = i.id "
                                           "where i.name = 'Test University'")
            [(theirs, theirs_key)] = eye.query("select i.id, k.id from institutions i join api_keys k on k.institution_id = i.id "
                                               "where i.name = 'Other College'")
            began = time.monotonic()
            ids = fill(eye.db_url, ours, ours_key, args.sessions, args.assessments, 1)
            fill(eye.db_url, theirs, theirs_key, args.sessions // 10, args.assessments, 2)
            print(f"[{label}] stored {args.sessions:,} sessions (+{args.sessions // 10:,} of another institution) "
                  f"with {eye.query('select count(*) from events')[0][0]:,} events in {time.monotonic() - began:.0f} s")
            rng = random.Random(3)
            with httpx.Client(base_url=eye.url + "api/v1", headers={"Authorization": f"Bearer {secret}"}, timeout=30) as http:
                for _ in range(20):  # warm up: connections, caches, the first query plans
                    timed(http, "/sessions", {"limit": 100})
                figures("first page", [timed(http, "/sessions", {"limit": 100})[0] for _ in range(args.repeat)], label)
                walk, cursor, seen = [], None, 0
                while True:
                    took, page = timed(http, "/sessions", {"limit": 100, **({"cursor": cursor} if cursor else {})})
                    walk.append(took)
                    seen += len(page["data"])
                    cursor = page["nextCursor"]
                    if not cursor:
                        break
                if seen != args.sessions:
                    raise RuntimeError(f"the walk saw {seen} sessions, expected {args.sessions}")
                figures("every page", walk, label)
                figures("by assessment", [timed(http, "/sessions", {"limit": 100, "assessmentId": f"exam-{rng.randrange(args.assessments)}"})[0]
                                          for _ in range(args.repeat)], label)
                figures("ended, unreviewed", [timed(http, "/sessions", {"limit": 100, "state": "ended", "reviewState": "unreviewed"})[0]
                                              for _ in range(args.repeat)], label)
                figures("one session", [timed(http, f"/sessions/{rng.choice(ids)}")[0] for _ in range(args.repeat)], label)
                figures("its events", [timed(http, f"/sessions/{rng.choice(ids)}/events")[0] for _ in range(args.repeat)], label)
        finally:
            eye.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--assessments", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=300, help="requests per kind (the walk is one pass)")
    parser.add_argument("--database", choices=["postgresql", "sqlite", "both"], default="postgresql")
    args = parser.parse_args()
    for label in (["postgresql", "sqlite"] if args.database == "both" else [args.database]):
        run(label, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
