"""An exam platform's backend, end to end over HTTP with ``eye.client`` against a real ``eye serve``
(SQLite, and PostgreSQL when scripts/test.sh started one): an operator's key sets up a new
customer (institution, publishable key for its exam site, webhook), a candidate sits an exam in
Chromium on that key, the platform lists the session, reads its flags and photo, dismisses a flag
(the score rises; the webhooks carry it), ends another candidate's live exam from the server (the
page sees ``ended_by_server``) and deletes the first candidate (nothing of them is left)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time

import pytest
from PIL import Image

from eye.client import EyeClient, EyeError
from eye_testing import media as fx
from eye_testing.servers import EyeServer, PageServer, eye_command, throwaway_database
from tests.conftest import BROWSER_ONLY, VALID_CONFIG
from tests.receiver import Receiver

from .conftest import exam_page_html
from .test_media_in_chromium import Exam

pytestmark = pytest.mark.e2e
POSTGRES = os.environ.get("EYE_TEST_POSTGRES_URL")
ENV = {"EYE_WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "EYE_WEBHOOK_RETRY_SECONDS": ",".join(["0.5"] * 30)}
CANDIDATE = {"candidateId": "story-cand-5521", "candidateEmail": "zenobia.story.5521@example.edu",
             "candidateFirstName": "Zenobia", "candidateLastName": "Storyteller"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield None
        return
    if not POSTGRES:
        pytest.skip("scripts/test.sh starts PostgreSQL (EYE_TEST_POSTGRES_URL)")
    with throwaway_database(POSTGRES, "eye_story") as url:
        yield url


def bodies(receiver: Receiver, event: str) -> list[dict]:
    return [b for b in (json.loads(body) for _, body, _ in receiver.got) if b["event"] == event]


def until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return found


def test_a_platform_backend_sets_up_a_customer_reviews_ends_and_deletes(database, tmp_path, built, playwright_instance):
    eye = EyeServer(tmp_path, db_url=database, env=ENV)
    pages = PageServer({"/exam.html": exam_page_html(eye.url)})
    receiver = Receiver()
    exams: list[Exam] = []
    try:
        made = subprocess.run(eye_command("keys", "create-secret", "--operator", "--database-url", eye.db_url),
                              cwd=tmp_path, capture_output=True, text=True, check=True)
        operator = EyeClient(eye.url, made.stdout.strip().splitlines()[-1])

        # a new customer, set up in a few calls
        college = operator.institutions.create("Story College", retention_days=90)
        assert college.name == "Story College" and college.retentionDays == 90
        platform = operator.for_institution("Story College")
        key = platform.keys.create([pages.domain])
        assert key.key is not None and key.domains == [pages.domain]
        hook = platform.webhook.set(receiver.url)
        assert hook.secret and hook.secret.startswith("whsec_") and platform.webhook.get().secret is None

        # a candidate sits the exam in Chromium on that key; the empty room is a FACE_ABSENCE with a photo
        config = {"institutionName": "Story College", "assessmentId": "story-final", **CANDIDATE}
        empty = fx.write_y4m(tmp_path / "empty.y4m", fx.background())
        exams.append(Exam(playwright_instance, pages, video=empty))
        first = exams[-1]
        assert first.start(key.key, **config)["ok"]
        first.wait_for("FACE_ABSENCE", timeout=60000)
        first.page.wait_for_timeout(2500)  # its evidence is uploaded
        first.end()

        [listed] = until(lambda: [s for s in platform.sessions.list(assessment_id="story-final", state="ended")])
        assert listed.candidateId == CANDIDATE["candidateId"] and listed.flagCounts.get("FACE_ABSENCE", 0) >= 1

        def with_its_photo():
            record = platform.sessions.get(listed.sessionId)
            return record if all(f.media for f in record.flags if f.type == "FACE_ABSENCE") else None

        record = until(with_its_photo)
        absence = next(f for f in record.flags if f.type == "FACE_ABSENCE")
        photo = platform.sessions.media(listed.sessionId, absence.id)
        assert Image.open(io.BytesIO(photo)).format == "JPEG" and len(photo) == absence.media.size
        ended = until(lambda: bodies(receiver, "SessionEnded"))
        assert ended[0]["sessionId"] == listed.sessionId and ended[0]["score"] == record.integrityScore
        assert any(b["sessionId"] == listed.sessionId for b in bodies(receiver, "Flag"))

        # the platform reviews in its own screen: dismissing the flag raises the score
        before = record.integrityScore
        for flag in record.flags:
            decided = platform.sessions.decide(listed.sessionId, flag.id, "dismiss", "the candidate was in view")
        assert decided.integrityScore > before and decided.integrityScore == 100
        cleared = platform.sessions.review(listed.sessionId, "cleared", "all flags dismissed")
        assert cleared.reviewState == "cleared" and cleared.integrityScore == 100
        [completed] = until(lambda: bodies(receiver, "ReviewCompleted"))
        assert completed["sessionId"] == listed.sessionId and completed["score"] == 100
        assert completed["reviewer"].startswith("secret key eye_sk_")

        # another candidate's live exam, ended from the platform's server
        exams.append(Exam(playwright_instance, pages))
        second = exams[-1]
        browser_only = {**VALID_CONFIG, **config, "apiKey": key.key, "candidateId": "story-other", "candidateFirstName": "Otto",
                        "candidateLastName": "Other", "candidateEmail": "otto@example.edu", "features": BROWSER_ONLY["features"]}
        started = second.page.evaluate("(c) => window.startExam(c)", browser_only)  # no device: no consent notice
        assert started["ok"], started
        [live] = until(lambda: [s for s in platform.sessions.list(candidate_id="story-other", state="live")])
        began = time.monotonic()
        assert platform.sessions.end(live.sessionId).reason == "platform"
        second.wait_for("END_PROCTORING", timeout=5000)
        assert time.monotonic() - began < 5
        assert second.first("END_PROCTORING")["reason"] == "ended_by_server"

        # the first candidate asks to be deleted: every session, event, verdict, file and delivery
        gone = platform.candidates.delete(CANDIDATE["candidateId"])
        assert gone.deletedSessions == 1
        assert platform.candidates.export(CANDIDATE["candidateId"]).sessions == []
        with pytest.raises(EyeError) as missing:
            platform.sessions.get(listed.sessionId)
        assert missing.value.code == "NOT_FOUND"
        for table, column in (("sessions", "id"), ("events", "session_id"), ("media", "session_id"),
                              ("flag_verdicts", "session_id"), ("webhook_outbox", "session_id"),
                              ("webhook_deliveries", "session_id")):
            assert eye.query(f"select count(*) from {table} where {column} = :id", id=listed.sessionId)[0][0] == 0, table  # noqa: S608
        assert not (eye.media_dir / listed.sessionId).exists()
        assert [s.candidateId for s in platform.sessions.list()] == ["story-other"]
    finally:
        for e in exams:
            e.close()
        pages.stop()
        receiver.httpd.shutdown()
        eye.stop()
    if database is None:  # nothing of the candidate is readable in SQLite's files either
        for path in tmp_path.glob("eye.db*"):
            data = path.read_bytes()
            for secret in (b"Zenobia", b"Storyteller", b"zenobia.story.5521", b"story-cand-5521"):
                assert secret not in data, (path.name, secret)
