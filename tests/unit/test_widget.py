"""The Widget under CPython: FakeBrowser for the DOM and clock, the real server app for HTTP."""

import asyncio
import concurrent.futures

import pytest
from sqlalchemy import select

from server.store import Event, ExamSession
from tests.conftest import BROWSER_ONLY as VALID_CONFIG
from tests.unit.conftest import SERVER
from widget.api import Widget
from widget.errors import WidgetError


def run(coro):
    """Run ``coro`` on a fresh event loop in its own thread (Playwright's sync API, used by the
    end-to-end tests in the same pytest process, keeps a loop running in the main thread)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Recorder:
    def __init__(self, widget, names):
        self.events = []
        for name in names:
            widget.on(name, lambda payload, name=name: self.events.append((name, payload)))

    def names(self):
        return [n for n, _ in self.events]


ALL = ["SYSTEM_CHECK_STARTED", "SYSTEM_CHECK_COMPLETED", "SET_CONFIG", "STARTED", "TAB_FOCUS_CHANGE",
       "TAB_NOT_FOCUS", "FULLSCREEN_CHANGE", "EXIT_FULLSCREEN", "SUSPICIOUS_ACTIVITY", "END_PROCTORING"]


def stored(app):
    with app.state.db.session() as s:
        sessions = s.scalars(select(ExamSession)).all()
        events = s.scalars(select(Event).order_by(Event.created_at, Event.id)).all()
        return [(x.ended_at is not None, x.end_reason) for x in sessions], [e.type for e in events]


def test_full_session_reaches_the_server(app, api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ALL)
        started = await widget.init({**VALID_CONFIG, "apiKey": api_key})
        assert widget.state == "active" and started["sessionId"]
        browser.has_focus = False
        browser.dispatch("window", "blur")
        browser.has_focus = True
        browser.dispatch("window", "focus")
        browser.fullscreen = True
        browser.dispatch("document", "fullscreenchange")
        browser.fullscreen = False
        browser.dispatch("document", "fullscreenchange")
        browser.advance(1.0)  # periodic flush
        await browser.settle()
        await widget.endProctoring()
        return rec

    rec = run(scenario())
    assert rec.names() == [
        "SYSTEM_CHECK_STARTED", "SYSTEM_CHECK_COMPLETED", "SET_CONFIG", "STARTED",
        "TAB_FOCUS_CHANGE", "TAB_NOT_FOCUS", "TAB_FOCUS_CHANGE",
        "FULLSCREEN_CHANGE", "FULLSCREEN_CHANGE", "EXIT_FULLSCREEN", "END_PROCTORING",
    ]
    flag = dict(rec.events)["TAB_NOT_FOCUS"]
    assert flag["examId"] == "exam-42" and flag["candidateId"] == "cand-7" and flag["createdAt"].endswith("Z")
    assert "apiKey" not in dict(rec.events)["SET_CONFIG"]["config"]
    sessions, types = stored(app)
    assert sessions == [(True, "manual")]
    assert types == rec.names()[:-1]


def test_monitors_stop_at_end_and_end_is_idempotent(app, api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ALL)
        await widget.init({**VALID_CONFIG, "apiKey": api_key})
        first, second = await asyncio.gather(widget.endProctoring(), widget.end_proctoring())
        await widget.endProctoring()
        browser.dispatch("window", "blur")
        assert browser.listening("window", "blur") == 0
        return rec, first, second

    rec, first, second = run(scenario())
    assert rec.names().count("END_PROCTORING") == 1
    assert first == second and first["reason"] == "manual"


def test_time_up_ends_with_reason(app, api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ["END_PROCTORING"])
        await widget.init({**VALID_CONFIG, "apiKey": api_key, "examDuration": 5})
        browser.advance(4.9)
        await browser.settle()
        assert rec.events == []
        browser.advance(0.2)
        await browser.settle(60)
        return widget, rec

    widget, rec = run(scenario())
    assert rec.events[0][1]["reason"] == "time_up" and widget.state == "ended"
    assert stored(app)[0] == [(True, "time_up")]


@pytest.mark.parametrize(
    "change, code",
    [({"apiKey": "eye_wrong"}, "INVALID_API_KEY"), ({"candidateEmail": "bad"}, "INVALID_CONFIG")],
)
def test_rejected_init_starts_nothing(app, api_key, browser, change, code):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ["STARTED"])
        with pytest.raises(WidgetError) as info:
            await widget.init({**VALID_CONFIG, "apiKey": api_key, **change})
        return widget, rec, info.value

    widget, rec, error = run(scenario())
    assert error.code == code
    assert widget.state == "loaded" and rec.events == []
    assert browser.listening("window", "blur") == 0
    assert stored(app)[0] == []


def test_unreachable_server_is_network_error(browser, api_key):
    browser.server.offline = True

    async def scenario():
        widget = Widget(browser, SERVER)
        with pytest.raises(WidgetError) as info:
            await widget.init({**VALID_CONFIG, "apiKey": api_key})
        return info.value

    assert run(scenario()).code == "NETWORK_ERROR"


def test_second_init_while_active_is_already_active(api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        await widget.init({**VALID_CONFIG, "apiKey": api_key})
        with pytest.raises(WidgetError) as info:
            await widget.init({**VALID_CONFIG, "apiKey": api_key})
        assert widget.state == "active"
        await widget.endProctoring()
        await widget.init({**VALID_CONFIG, "apiKey": api_key})  # a new session after the end
        return info.value, widget.state

    error, state = run(scenario())
    assert error.code == "ALREADY_ACTIVE" and state == "active"


def test_failed_event_batch_is_retried_and_stored_once(app, api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        await widget.init({**VALID_CONFIG, "apiKey": api_key, "features": {**VALID_CONFIG["features"], "fullscreen": False}})
        browser.server.offline = True
        browser.dispatch("window", "blur")
        browser.advance(1.0)
        await browser.settle()
        browser.server.offline = False
        browser.advance(1.0)
        await browser.settle()
        await widget.endProctoring()

    run(scenario())
    types = stored(app)[1]
    assert types.count("TAB_NOT_FOCUS") == 1 and types.count("STARTED") == 1


def test_five_violation_types_raise_suspicious_activity(api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ["SUSPICIOUS_ACTIVITY"])
        await widget.init({**VALID_CONFIG, "apiKey": api_key})
        for kind in ["TAB_NOT_FOCUS", "EXIT_FULLSCREEN", "FACE_ABSENCE", "MULTIPLE_FACE", "TAB_NOT_FOCUS", "SOUND_DETECTED"]:
            widget._flag(kind, "test", {})
        await widget.endProctoring()
        return rec

    rec = run(scenario())
    assert len(rec.events) == 1
    assert rec.events[0][1]["details"]["types"] == ["TAB_NOT_FOCUS", "EXIT_FULLSCREEN", "FACE_ABSENCE", "MULTIPLE_FACE", "SOUND_DETECTED"]


def test_end_during_init_ends_the_session_init_starts(app, api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ["STARTED", "END_PROCTORING"])
        starting = widget.init({**VALID_CONFIG, "apiKey": api_key})
        assert widget.state == "loaded"  # init has not run its first step yet
        await asyncio.sleep(0)
        assert widget.state == "initializing"
        ended = await widget.endProctoring()
        await starting
        return widget, rec, ended

    widget, rec, ended = run(scenario())
    assert rec.names() == ["STARTED", "END_PROCTORING"] and ended["reason"] == "manual"
    assert widget.state == "ended" and stored(app)[0] == [(True, "manual")]


def test_a_wrong_computer_clock_loses_no_events(app, api_key, browser):
    """The fake browser's clock is weeks ahead of the server's: the widget sends its events in the
    server's clock (learnt from the health check), so the server stores them, at the right time."""
    import datetime as dt

    assert abs(browser.now() - dt.datetime.now(dt.timezone.utc).timestamp()) > 3600

    async def scenario():
        widget = Widget(browser, SERVER)
        await widget.init({**VALID_CONFIG, "apiKey": api_key})
        browser.has_focus = False
        browser.dispatch("window", "blur")
        browser.advance(1.0)
        await browser.settle()
        await widget.endProctoring()

    run(scenario())
    with app.state.db.session() as s:
        events = s.scalars(select(Event)).all()
        started = s.scalars(select(ExamSession)).one().started_at
    assert "TAB_NOT_FOCUS" in [e.type for e in events]
    started = started if started.tzinfo else started.replace(tzinfo=dt.timezone.utc)
    for e in events:
        created = e.created_at if e.created_at.tzinfo else e.created_at.replace(tzinfo=dt.timezone.utc)
        assert abs((created - started).total_seconds()) < 60, e.type


def test_a_key_that_requires_a_launch_token(app, api_key, browser):
    import time

    from server.access.keys import enable_launch_tokens, sign_launch_token

    with app.state.db.session() as s:
        secret = enable_launch_tokens(s, api_key)

    async def scenario():
        refused = Widget(browser, SERVER)
        with pytest.raises(WidgetError) as e:
            await refused.init({**VALID_CONFIG, "apiKey": api_key})
        assert e.value.code == "INVALID_LAUNCH_TOKEN" and "launchToken" in e.value.details
        token = sign_launch_token(secret, VALID_CONFIG["assessmentId"], VALID_CONFIG["candidateId"], int(time.time()) + 600,
                                  max_duration=VALID_CONFIG["examDuration"])
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ["SET_CONFIG"])
        started = await widget.init({**VALID_CONFIG, "apiKey": api_key, "launchToken": token})
        assert started["sessionId"]
        assert "launchToken" not in rec.events[0][1]["config"]  # a credential, not shown to listeners
        await widget.endProctoring()

    run(scenario())
    with app.state.db.session() as s:
        assert all("launchToken" not in x.config for x in s.scalars(select(ExamSession)))


def test_a_session_the_platform_ends_stops_the_widget_and_keeps_what_came_before(app, api_key, browser, client):
    """The exam platform's server ends a live session (secret key): the widget learns it from the
    server within STATUS_SECONDS of quiet (or from its next batch), ends with ``ended_by_server``,
    and the events it had recorded before the end are stored."""
    from server.access.keys import create_secret_key
    from widget.transport import STATUS_SECONDS

    with app.state.db.session() as s:
        secret = create_secret_key(s, "Test University")

    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ["END_PROCTORING"])
        started = await widget.init({**VALID_CONFIG, "apiKey": api_key})
        # a flag recorded just before the platform ends the session, not yet sent (the fake clock
        # stands still meanwhile, as the server's real one barely moves)
        browser.dispatch("window", "blur")
        ended = client.post(f"/api/v1/sessions/{started['sessionId']}/end", headers={"Authorization": f"Bearer {secret}"})
        assert ended.status_code == 200
        browser.advance(STATUS_SECONDS + 1.1)
        await browser.settle(60)
        return widget, rec, started

    widget, rec, started = run(scenario())
    assert [e[1]["reason"] for e in rec.events] == ["ended_by_server"] and widget.state == "ended"
    with app.state.db.session() as s:
        session = s.get(ExamSession, started["sessionId"])
        assert session.end_reason == "platform"  # the server's end stands; the widget did not overwrite it
        types = set(s.scalars(select(Event.type).where(Event.session_id == session.id)))
    assert "TAB_NOT_FOCUS" in types  # recorded before the end: kept


def test_a_quiet_widget_asks_the_server_and_stops_when_the_platform_ended_it(app, api_key, browser, client):
    from server.access.keys import create_secret_key
    from widget.transport import STATUS_SECONDS

    with app.state.db.session() as s:
        secret = create_secret_key(s, "Test University")

    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ["END_PROCTORING"])
        started = await widget.init({**VALID_CONFIG, "apiKey": api_key})
        browser.advance(STATUS_SECONDS * 3)
        await browser.settle()
        assert rec.events == []  # asking changes nothing while the session runs
        client.post(f"/api/v1/sessions/{started['sessionId']}/end", headers={"Authorization": f"Bearer {secret}"})
        browser.advance(STATUS_SECONDS + 1.1)
        await browser.settle(60)
        return rec

    rec = run(scenario())
    assert [e[1]["reason"] for e in rec.events] == ["ended_by_server"]
