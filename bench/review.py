"""Review benchmark: what clearing a session costs a reviewer, and how fast the queue renders.

1. In Chromium against a real ``eye serve``: a session with 10 flags is cleared by keyboard from
   its page (a verdict per flag, then ``x``); prints the keystrokes and page loads it took
   (goal: ≤ 12 keystrokes, ≤ 2 page loads) and checks every flag was decided.
2. The review queue with ``--sessions`` (5,000) ended sessions in PostgreSQL (about 4 flags each,
   written straight into a fresh database): prints p50/p95 of ``GET /dashboard/review`` over
   ``--requests`` requests, signed in, measured at the client, and of the report page.

Run: ``.venv/bin/python bench/review.py [--sessions 5000] [--requests 40]``
(PostgreSQL: ``EYE_TEST_POSTGRES_URL``, or a throwaway server from ``scripts/postgres.sh``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import fresh_postgres  # noqa: E402
from eye_testing.chromium import chromium_path  # noqa: E402
from eye_testing.servers import EyeServer, eye_command  # noqa: E402
from eye_testing.sessions import ended_session  # noqa: E402
from server.store import Event, ExamSession  # noqa: E402
from tests.e2e.conftest import sign_in  # noqa: E402

PASSWORD = "reviewer password 42"
ORIGIN = "http://localhost:5000"
KINDS = ["TAB_NOT_FOCUS", "FACE_ABSENCE", "MULTIPLE_FACE", "SOUND_DETECTED", "EXIT_FULLSCREEN", "FACE_MISALIGNMENT"]


def admin(eye: EyeServer) -> None:
    subprocess.run(eye_command("users", "create", "--institution", "Test University", "--create-institution",
                               "--email", "admin@test.edu",
                               "--password-stdin", "--database-url", eye.db_url),
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=eye.tmp)


def keyboard(eye: EyeServer, key: str) -> tuple[int, int, int]:
    """(keystrokes, page loads, flags decided) to clear a 10-flag session from its page."""
    from playwright.sync_api import sync_playwright

    session = ended_session(eye.url, key, ORIGIN, [random.Random(i).choice(KINDS) for i in range(10)])
    following = ended_session(eye.url, key, ORIGIN, ["TAB_NOT_FOCUS"])  # where clearing leads
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        sign_in(page, eye.url, "admin@test.edu", PASSWORD)
        loads = 0

        def counted(frame) -> None:  # a document loaded in the tab (not a fetch)
            nonlocal loads
            if frame == page.main_frame:
                loads += 1

        page.on("framenavigated", counted)
        keys = 0
        page.goto(f"{eye.url}dashboard/sessions/{session['sessionId']}")
        page.wait_for_selector("tr.flag.current")
        for i in range(10):
            page.keyboard.press("c" if i % 3 == 0 else "d")
            keys += 1
            page.wait_for_function("n => document.querySelectorAll('tr.flag[data-verdict=confirmed], "
                                   "tr.flag[data-verdict=dismissed]').length >= n", arg=i + 1)
        page.keyboard.press("x")
        keys += 1
        page.wait_for_url(f"**/dashboard/sessions/{following['sessionId']}")
        page.wait_for_load_state()
        browser.close()
    decided = eye.query("select count(*) from flag_verdicts where session_id = :s", s=session["sessionId"])[0][0]
    state = eye.query("select review_state from sessions where id = :s", s=session["sessionId"])[0][0]
    assert state == "cleared", state
    return keys, loads, decided


def seed(db_url: str, sessions: int) -> None:
    """``sessions`` ended sessions of one institution, about 4 flags and 6 other events each."""
    engine = create_engine(db_url)
    rng = random.Random(7)
    with engine.begin() as c:
        institution_id, key_id = c.exec_driver_sql("select institution_id, id from api_keys limit 1").one()
        now = dt.datetime.now(dt.timezone.utc)
        for start in range(0, sessions, 500):
            rows, events = [], []
            for i in range(start, min(sessions, start + 500)):
                sid = str(uuid.uuid4())
                began = now - dt.timedelta(hours=rng.uniform(1, 200))
                rows.append({"id": sid, "api_key_id": key_id, "institution_id": institution_id, "origin": ORIGIN,
                             "assessment_id": f"exam-{i % 20}", "assessment_title": f"Exam {i % 20}",
                             "candidate_id": f"cand-{i}", "candidate_email": f"c{i}@example.edu",
                             "candidate_name": f"Candidate {i}", "config": {}, "exam_duration": 3600,
                             "started_at": began, "ended_at": began + dt.timedelta(minutes=rng.uniform(20, 60)),
                             "end_reason": "manual"})
                for j in range(rng.randint(0, 8)):
                    events.append({"session_id": sid, "client_id": f"f{j}", "type": rng.choice(KINDS),
                                   "created_at": began + dt.timedelta(minutes=j), "payload": {"description": "x"}})
                for j in range(6):
                    events.append({"session_id": sid, "client_id": f"e{j}", "type": "PERIODIC_SNAPSHOT",
                                   "created_at": began + dt.timedelta(minutes=j), "payload": {}})
            c.execute(insert(ExamSession), rows)
            c.execute(insert(Event), events)
    # As autovacuum does within a minute of a bulk load: without statistics PostgreSQL plans the
    # queue's flag count as if the tables were empty (1.3 s instead of 30 ms, measured here).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ANALYZE")
    engine.dispose()


def timed(http: httpx.Client, path: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = http.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        eye = EyeServer(Path(tmp))
        try:
            admin(eye)
            key = eye.create_key("localhost:5000")
            keys, loads, decided = keyboard(eye, key)
        finally:
            eye.stop()
        print(f"clear a session with 10 flags by keyboard: {keys} keystrokes, {loads} page loads "
              f"({decided}/10 flags decided; goal ≤ 12 keystrokes, ≤ 2 page loads)")

    with tempfile.TemporaryDirectory() as tmp:
        db_url = fresh_postgres()
        eye = EyeServer(Path(tmp), db_url)
        try:
            admin(eye)
            eye.create_key("localhost:5000")
            t0 = time.monotonic()
            seed(db_url, args.sessions)
            print(f"seeded {args.sessions} ended sessions in PostgreSQL in {time.monotonic() - t0:.1f} s")
            with httpx.Client(base_url=eye.url, timeout=60) as http:
                login = http.get("/dashboard/login").text
                csrf = re.search(r'name="csrf" value="([^"]+)"', login).group(1)
                http.post("/dashboard/login", data={"email": "admin@test.edu", "password": PASSWORD, "csrf": csrf})
                page = http.get("/dashboard/review").text
                shown = page.count("<tr data-session=")
                total = re.search(r"still need a decision \((\d+)\)", page).group(1)
                queue = timed(http, "/dashboard/review", args.requests)
                report = timed(http, "/dashboard/report?assessment=exam-3", max(5, args.requests // 4))
            print(f"review queue, {total} sessions waiting ({shown} on a page): p50 {statistics.median(queue):.0f} ms, "
                  f"p95 {p95(queue):.0f} ms over {len(queue)} requests")
            print(f"assessment report ({args.sessions // 20} sessions): p50 {statistics.median(report):.0f} ms, "
                  f"p95 {p95(report):.0f} ms over {len(report)} requests")
        finally:
            eye.stop()


if __name__ == "__main__":
    main()
