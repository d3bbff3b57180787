"""The widget as a web developer uses it: a page on another origin, one script tag, real server."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
import pytest

from eye_testing import leave_tab, return_to_tab
from tests.conftest import BROWSER_ONLY as VALID_CONFIG

pytestmark = pytest.mark.e2e

NAMES = ["SYSTEM_CHECK_STARTED", "SYSTEM_CHECK_COMPLETED", "SET_CONFIG", "STARTED", "TAB_FOCUS_CHANGE",
         "TAB_NOT_FOCUS", "FULLSCREEN_CHANGE", "EXIT_FULLSCREEN", "SUSPICIOUS_ACTIVITY", "END_PROCTORING"]


def boot(page, throwing=()):
    assert page.evaluate("([n, t]) => window.boot(n, t)", [NAMES, list(throwing)]) == "loaded"


def start(page, api_key, **changes):
    config = {**VALID_CONFIG, "apiKey": api_key, **changes}
    return page.evaluate("(c) => window.startExam(c)", {k: v for k, v in config.items() if v is not None})


def received(page):
    return page.evaluate("window.received")


def names(page):
    return [e["name"] for e in received(page)]


def wait_for(page, name, count=1, timeout=15000):
    page.wait_for_function(
        "([n, c]) => window.received.filter(e => e.name === n).length >= c", arg=[name, count], timeout=timeout
    )


def blur(page, focused: bool):
    """A real window blur/focus, as the testing kit's helpers make it."""
    (return_to_tab if focused else leave_tab)(page)


def session_rows(eye, session_id):
    return eye.query("select ended_at, end_reason, origin from sessions where id = :id", id=session_id)


def event_types(eye, session_id):
    rows = eye.query("select type from events where session_id = :id order by created_at, id", id=session_id)
    return [r[0] for r in rows]


def test_happy_path_from_another_origin(page, api_key, eye, exam_page):
    boot(page)
    result = start(page, api_key)
    assert result["ok"], result
    session_id = result["started"]["sessionId"]
    assert names(page) == ["SYSTEM_CHECK_STARTED", "SYSTEM_CHECK_COMPLETED", "SET_CONFIG", "STARTED"]
    check = received(page)[1]["data"]
    assert check["success"] and {d["name"] for d in check["data"]} == {"browser", "webcam", "microphone", "screen", "internetSpeed"}
    assert "apiKey" not in received(page)[2]["data"]["config"]
    assert page.evaluate("window.widget.state") == "active"

    blur(page, False)
    wait_for(page, "TAB_NOT_FOCUS")
    blur(page, True)
    wait_for(page, "TAB_FOCUS_CHANGE", 2)
    flag = next(e["data"] for e in received(page) if e["name"] == "TAB_NOT_FOCUS")
    assert flag["sessionId"] == session_id and flag["examId"] == "exam-42" and flag["type"] == "TAB_NOT_FOCUS"

    page.evaluate("window.widget.endProctoring()")
    wait_for(page, "END_PROCTORING")
    assert page.evaluate("window.widget.state") == "ended"
    assert received(page)[-1]["data"]["reason"] == "manual"

    ended_at, reason, origin = session_rows(eye, session_id)[0]
    assert ended_at is not None and reason == "manual" and origin == exam_page.origin
    assert event_types(eye, session_id) == [
        "SYSTEM_CHECK_STARTED", "SYSTEM_CHECK_COMPLETED", "SET_CONFIG", "STARTED",
        "TAB_FOCUS_CHANGE", "TAB_NOT_FOCUS", "TAB_FOCUS_CHANGE",
    ]
    hosts = {urlsplit(u).netloc for u in page.requested if not u.startswith(("blob:", "data:"))}  # in-page objects
    assert hosts <= {f"127.0.0.1:{eye.port}", exam_page.domain}, hosts
    log = eye.log_path.read_text()
    assert '"method": "POST", "path": "/api/v1/sessions"' in log and api_key not in log  # the API key is never logged


def test_fullscreen_exit_is_flagged(page, api_key):
    boot(page)
    assert start(page, api_key)["ok"]
    page.click("#fullscreen")
    wait_for(page, "FULLSCREEN_CHANGE")
    page.evaluate("document.exitFullscreen()")
    wait_for(page, "EXIT_FULLSCREEN")
    changes = [e["data"]["fullscreen"] for e in received(page) if e["name"] == "FULLSCREEN_CHANGE"]
    assert changes == [True, False]


def test_invalid_config_names_every_field_and_starts_nothing(page, api_key, eye):
    boot(page)
    before = eye.query("select count(*) from sessions")[0][0]
    result = start(page, api_key, candidateEmail="not-an-email", examDuration=-1, assessmentId=None, color="red")
    assert result["ok"] is False and result["isError"] and result["code"] == "INVALID_CONFIG"
    assert set(result["fields"]) == {"candidateEmail", "examDuration", "assessmentId", "color"}
    assert "candidateEmail" in result["message"]
    assert names(page) == [] and page.evaluate("window.widget.state") == "loaded"
    assert eye.query("select count(*) from sessions")[0][0] == before


@pytest.mark.parametrize("which", ["wrong key", "unregistered origin"])
def test_refused_key_or_origin_rejects_with_code(page, eye, which):
    if which == "wrong key":
        key, code = "eye_this-key-does-not-exist", "INVALID_API_KEY"
    else:
        key, code = eye.create_key("exams.elsewhere.example"), "DOMAIN_NOT_REGISTERED"
    boot(page)
    result = start(page, key)
    assert result["ok"] is False and result["code"] == code, result
    assert "STARTED" not in names(page) and page.evaluate("window.widget.state") == "loaded"
    blur(page, False)
    time.sleep(0.5)
    assert "TAB_NOT_FOCUS" not in names(page)  # no monitor runs after a rejected init


def test_end_twice_emits_once_and_server_refuses_later_events(page, api_key, eye):
    boot(page)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/sessions")) as created:
        assert start(page, api_key)["ok"]
    session = created.value.json()
    page.evaluate("Promise.all([window.widget.endProctoring(), window.widget.endProctoring()])")
    page.evaluate("window.widget.endProctoring()")
    wait_for(page, "END_PROCTORING")
    time.sleep(0.3)
    assert names(page).count("END_PROCTORING") == 1
    late = httpx.post(
        f"{eye.url}api/v1/sessions/{session['sessionId']}/events",
        json={"events": [{"id": "late-1", "type": "TAB_NOT_FOCUS", "createdAt": "2026-01-01T00:00:00Z"}]},
        headers={"Authorization": f"Bearer {session['token']}"},
    )
    assert late.status_code == 409
    assert session_rows(eye, session["sessionId"])[0][1] == "manual"


def test_time_up_ends_the_exam(page, api_key, eye):
    boot(page)
    result = start(page, api_key, examDuration=2)
    assert result["ok"]
    wait_for(page, "END_PROCTORING", timeout=10000)
    end = received(page)[-1]
    assert end["name"] == "END_PROCTORING" and end["data"]["reason"] == "time_up"
    page.wait_for_timeout(300)
    assert session_rows(eye, result["started"]["sessionId"])[0][1] == "time_up"


def test_a_throwing_listener_does_not_stop_others_or_monitoring(page, api_key):
    boot(page, throwing=["TAB_FOCUS_CHANGE", "TAB_NOT_FOCUS", "STARTED"])
    assert start(page, api_key)["ok"]
    for _ in range(2):
        blur(page, False)
        page.wait_for_timeout(150)
        blur(page, True)
        page.wait_for_timeout(150)
    wait_for(page, "TAB_NOT_FOCUS", 2)
    assert names(page).count("TAB_FOCUS_CHANGE") == 4
    assert any("listener bug" in text for kind, text in page.console if kind == "error")


def test_second_init_while_active_is_refused(page, api_key):
    boot(page)
    assert start(page, api_key)["ok"]
    again = start(page, api_key)
    assert again["ok"] is False and again["code"] == "ALREADY_ACTIVE"
    assert page.evaluate("window.widget.state") == "active"


def test_loader_memoizes_and_reports_progress(page):
    stages = page.evaluate(
        """async () => {
            const stages = [];
            const a = LoadProctormeWidget({ onProgress: (f, s) => stages.push([f, s]) });
            const b = LoadProctormeWidget();
            const [wa, wb] = await Promise.all([a, b]);
            return { same: a === b && wa === wb, stages };
        }"""
    )
    assert stages["same"]
    fractions = [f for f, _ in stages["stages"]]
    assert fractions == sorted(fractions) and fractions[-1] == 1 and stages["stages"][-1][1] == "ready"
    # progress by bytes: the download moves the bar step by step (as chunks arrive: on loopback
    # they are large, so a few steps; over a real network about one per percent), not one jump
    downloading = [f for f, s in stages["stages"] if s in ("runtime", "python") and 0 < f <= 0.85]
    assert len(downloading) >= 5 and max(downloading) >= 0.8, stages["stages"]
    assert [s for _, s in stages["stages"]][-2:] == ["widget", "ready"]


def test_unknown_event_name_is_a_type_error(page):
    boot(page)
    message = page.evaluate("() => { try { window.widget.on('STARTD', () => {}); } catch (e) { return e.message; } }")
    assert "STARTD" in message and "STARTED" in message


def test_failed_load_rejects_then_retries(browser, eye, exam_page):
    """A network failure rejects with a clear Error; a later call tries again and succeeds."""
    context = browser.new_context()
    page = context.new_page()
    blocked = {"on": True}

    def route(r):
        if blocked["on"]:
            r.abort()
        else:
            r.continue_()

    page.route("**/runtime/**/pyodide.mjs", route)
    page.goto(exam_page.url)
    page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
    first = page.evaluate("LoadProctormeWidget().then(() => 'ok', (e) => e.message)")
    assert "network" in first and "pyodide.mjs" in first
    blocked["on"] = False
    assert page.evaluate("LoadProctormeWidget().then((w) => w.state)") == "loaded"
    context.close()


def test_the_platform_ends_a_live_exam_and_the_page_learns_it_within_5_s(page, api_key, eye):
    """A platform's backend ends a candidate's session (secret key, plain HTTP): the exam page
    gets END_PROCTORING {reason: "ended_by_server"} within 5 s, and the flag it raised just
    before is stored."""
    boot(page)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/sessions")) as created:
        assert start(page, api_key)["ok"]
    session = created.value.json()
    secret = eye.create_secret_key()
    blur(page, False)
    wait_for(page, "TAB_NOT_FOCUS")
    blur(page, True)
    page.wait_for_timeout(1500)  # the flag's batch goes out (every second)
    began = time.monotonic()
    ended = httpx.post(f"{eye.url}api/v1/sessions/{session['sessionId']}/end", headers={"Authorization": f"Bearer {secret}"})
    assert ended.status_code == 200 and ended.json()["reason"] == "platform"
    wait_for(page, "END_PROCTORING", timeout=5000)
    assert time.monotonic() - began < 5
    end = received(page)[-1]
    assert end["name"] == "END_PROCTORING" and end["data"]["reason"] == "ended_by_server"
    assert page.evaluate("window.widget.state") == "ended"
    assert session_rows(eye, session["sessionId"])[0][1] == "platform"
    assert "TAB_NOT_FOCUS" in event_types(eye, session["sessionId"])
