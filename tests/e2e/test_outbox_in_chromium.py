"""Nothing lost, in Chromium: a 20 s network outage mid-exam, and a reload mid-exam."""

from __future__ import annotations

import time

import pytest

from tests.conftest import BROWSER_ONLY

from .test_widget_in_chromium import blur, boot, received, start, wait_for

pytestmark = pytest.mark.e2e
NAMES_SENT = ["SYSTEM_CHECK_STARTED", "SYSTEM_CHECK_COMPLETED", "SET_CONFIG", "STARTED", "TAB_FOCUS_CHANGE",
              "TAB_NOT_FOCUS", "FULLSCREEN_CHANGE", "EXIT_FULLSCREEN", "NETWORK_OFFLINE", "NETWORK_ONLINE"]


def stored(eye, session_id):
    return eye.query("select type, client_id from events where session_id = :s order by created_at, id", s=session_id)


def wait_stored(eye, session_id, count, timeout=30):
    deadline = time.monotonic() + timeout
    while len(stored(eye, session_id)) < count and time.monotonic() < deadline:
        time.sleep(0.3)
    return stored(eye, session_id)


def test_twenty_seconds_offline_loses_nothing(page, api_key, eye):
    page.evaluate("(n) => window.boot(n, [])", NAMES_SENT + ["END_PROCTORING"])
    result = start(page, api_key)
    assert result["ok"], result
    session_id = result["started"]["sessionId"]
    wait_stored(eye, session_id, 4)
    page.context.set_offline(True)
    wait_for(page, "NETWORK_OFFLINE")
    offline_at = time.monotonic()
    blur(page, False)
    wait_for(page, "TAB_NOT_FOCUS")
    blur(page, True)
    page.click("#fullscreen")
    wait_for(page, "FULLSCREEN_CHANGE")
    page.evaluate("document.exitFullscreen()")
    wait_for(page, "EXIT_FULLSCREEN")
    blur(page, False)
    page.wait_for_timeout(300)
    blur(page, True)
    time.sleep(max(0.0, 20 - (time.monotonic() - offline_at)))
    assert len(stored(eye, session_id)) == 4  # nothing got through while offline
    page.context.set_offline(False)
    wait_for(page, "NETWORK_ONLINE")
    emitted = [e["name"] for e in received(page) if e["name"] in NAMES_SENT]
    rows = wait_stored(eye, session_id, len(emitted))
    assert [t for t, _ in rows] == emitted  # every event, once, in the order it happened
    assert len({c for _, c in rows}) == len(rows)
    assert emitted.count("TAB_NOT_FOCUS") == 2 and "EXIT_FULLSCREEN" in emitted
    page.evaluate("window.widget.endProctoring()")
    wait_for(page, "END_PROCTORING")
    assert eye.query("select end_reason from sessions where id = :s", s=session_id) == [("manual",)]


def test_reload_mid_exam_resumes_the_same_session(page, api_key, eye, exam_page):
    boot(page)
    config = {**BROWSER_ONLY, "apiKey": api_key}
    result = start(page, api_key)
    assert result["ok"], result
    session_id = result["started"]["sessionId"]
    wait_stored(eye, session_id, 4)
    page.route("**/api/v1/sessions/*/events", lambda route: route.abort())  # events cannot get out
    blur(page, False)
    wait_for(page, "TAB_NOT_FOCUS")
    blur(page, True)
    page.wait_for_timeout(1500)  # a send was tried and failed; the outbox (IndexedDB) holds them
    page.reload()
    page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
    boot(page)
    again = page.evaluate("(c) => window.startExam(c)", config)
    assert again["ok"], again
    assert again["started"]["sessionId"] == session_id and again["started"]["resumed"] is True
    page.unroute("**/api/v1/sessions/*/events")
    rows = wait_stored(eye, session_id, 11)
    types = [t for t, _ in rows]
    assert types.count("TAB_NOT_FOCUS") == 1 and types.count("STARTED") == 2, types
    assert len({c for _, c in rows}) == len(rows)
    newer = "select count(*) from sessions where started_at > (select started_at from sessions where id = :s)"
    assert eye.query(newer, s=session_id) == [(0,)]  # resumed: no second session was created
    page.wait_for_timeout(1500)  # the resumed outbox's deletes ran
    assert not [text for _, text in page.console if "IndexedDB" in text or "TransactionInactiveError" in text]
