"""Nothing lost: the outbox across outages, 429s, reloads and an end while offline."""

from sqlalchemy import select

from server.store import Event, ExamSession
from tests.conftest import BROWSER_ONLY as CONFIG
from tests.unit.conftest import SERVER
from tests.unit.test_widget import Recorder, run
from widget.api import Widget

NAMES = ["STARTED", "TAB_NOT_FOCUS", "NETWORK_OFFLINE", "NETWORK_ONLINE", "END_PROCTORING"]


def events_on_server(app):
    with app.state.db.session() as s:
        rows = s.scalars(select(Event).order_by(Event.created_at, Event.id)).all()
        return [(r.type, r.client_id, r.created_at) for r in rows]


def sessions_on_server(app):
    with app.state.db.session() as s:
        return [(x.id, x.end_reason) for x in s.scalars(select(ExamSession).order_by(ExamSession.started_at))]


async def tick(browser, seconds, step=0.5):
    for _ in range(int(seconds / step)):
        browser.advance(step)
        await browser.settle()


def blur_and_back(browser):
    browser.has_focus = False
    browser.dispatch("window", "blur")
    browser.has_focus = True
    browser.dispatch("window", "focus")


def test_events_made_offline_arrive_once_in_order_with_backoff(app, api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, NAMES)
        await widget.init({**CONFIG, "apiKey": api_key})
        await tick(browser, 2)
        browser.server.offline = True
        browser.dispatch("window", "offline")
        before = len(browser.requests)
        for _ in range(5):
            blur_and_back(browser)
            await tick(browser, 4)
        attempts = len(browser.requests) - before
        browser.server.offline = False
        browser.dispatch("window", "online")
        await tick(browser, 1)
        await widget.endProctoring()
        return rec, attempts

    rec, attempts = run(scenario())
    assert attempts <= 8  # 20 s offline: exponential backoff, not one request per second
    stored = events_on_server(app)
    types = [t for t, _, _ in stored]
    assert types.count("TAB_NOT_FOCUS") == 5 and "NETWORK_OFFLINE" in types and "NETWORK_ONLINE" in types
    assert len({c for _, c, _ in stored}) == len(stored)  # each event once
    with app.state.db.session() as s:  # the outbox delivered them in the order they happened
        arrival = [r.created_at for r in s.scalars(select(Event).order_by(Event.id))]
    assert arrival == sorted(arrival) and len(arrival) == len(stored)
    assert rec.names().count("NETWORK_ONLINE") == 1


def test_rate_limited_batches_wait_for_retry_after(app, api_key, browser):
    real = browser.server
    answered = []

    def server(method, url, body, token):
        if url.endswith("/events") and len(answered) < 1:
            answered.append(browser.now())
            return 429, {"code": "RATE_LIMITED", "details": {"retryAfter": 6}}
        if url.endswith("/events"):
            answered.append(browser.now())
        return real(method, url, body, token)

    browser.server = server

    async def scenario():
        widget = Widget(browser, SERVER)
        await widget.init({**CONFIG, "apiKey": api_key})
        await tick(browser, 10)
        await widget.endProctoring()

    run(scenario())
    assert answered[1] - answered[0] >= 6


def test_reload_resumes_the_session_and_sends_what_the_old_page_left(app, api_key, browser):
    async def scenario():
        first = Widget(browser, SERVER)
        await first.init({**CONFIG, "apiKey": api_key})
        await tick(browser, 1.5)
        browser.server.offline = True
        blur_and_back(browser)
        await tick(browser, 2)
        # the tab reloads: a new page, a new widget; IndexedDB and sessionStorage survive
        browser.server.offline = False
        second = Widget(browser, SERVER)
        rec = Recorder(second, NAMES)
        started = await second.init({**CONFIG, "apiKey": api_key})
        await tick(browser, 2)
        await second.endProctoring()
        return first.session_id, started, rec

    old_id, started, rec = run(scenario())
    assert started["sessionId"] == old_id and started["resumed"] is True
    assert sessions_on_server(app) == [(old_id, "manual")]
    types = [t for t, _, _ in events_on_server(app)]
    assert types.count("TAB_NOT_FOCUS") == 1 and types.count("STARTED") == 2
    assert browser.stored.items == {}  # everything acknowledged, nothing left behind


def test_end_while_offline_is_finished_in_the_background(app, api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, NAMES)
        await widget.init({**CONFIG, "apiKey": api_key})
        browser.server.offline = True
        blur_and_back(browser)
        await widget.endProctoring()
        assert rec.names()[-1] == "END_PROCTORING" and widget.state == "ended"
        assert sessions_on_server(app)[0][1] is None
        browser.server.offline = False
        await tick(browser, 60)
        return widget

    widget = run(scenario())
    assert sessions_on_server(app) == [(widget.session_id, "manual")]
    assert "TAB_NOT_FOCUS" in [t for t, _, _ in events_on_server(app)]
    assert browser.session_storage == {}


def test_end_offline_then_reload_finishes_the_old_session_and_starts_a_new_one(app, api_key, browser):
    async def scenario():
        first = Widget(browser, SERVER)
        await first.init({**CONFIG, "apiKey": api_key})
        browser.server.offline = True
        blur_and_back(browser)
        await first.endProctoring()
        browser.server.offline = False
        second = Widget(browser, SERVER)
        started = await second.init({**CONFIG, "apiKey": api_key})
        await tick(browser, 3)
        await second.endProctoring()
        return first.session_id, started

    old_id, started = run(scenario())
    assert started["sessionId"] != old_id and started["resumed"] is False
    assert dict(sessions_on_server(app)) == {old_id: "manual", started["sessionId"]: "manual"}


def test_pagehide_sends_pending_events_with_keepalive(api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        await widget.init({**CONFIG, "apiKey": api_key})
        blur_and_back(browser)
        browser.dispatch("window", "pagehide")
        return widget

    run(scenario())
    url, body = browser.keepalives[0]
    assert url.endswith("/events") and "TAB_NOT_FOCUS" in [e["type"] for e in body["events"]]
