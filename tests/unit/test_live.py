"""Live proctoring (issue 24) under CPython: the channel's event parser, the widget applying what a
proctor sends (message, pause, resume) once each across a dropped connection, its acks reaching
the server, a proctor's end, and the server's stream of what was sent."""

from __future__ import annotations

import json

from sqlalchemy import select

from server.access.keys import create_secret_key
from server.store import ProctorMessage
from tests.conftest import BROWSER_ONLY
from tests.unit.conftest import SERVER
from tests.unit.test_platform_api import PAGE, bearer
from tests.unit.test_widget import Recorder, run
from widget.api import Widget
from widget.channel import Parser

LIVE = ["STARTED", "PROCTOR_MESSAGE", "PROCTORING_PAUSED", "PROCTORING_RESUMED", "END_PROCTORING"]


def event(ident, kind, text="", sender=""):
    return f"id: {ident}\nevent: proctor\ndata: {json.dumps({'id': ident, 'kind': kind, 'text': text, 'from': sender})}\n\n"


def test_the_parser_takes_events_in_any_split_and_skips_heartbeats_and_junk():
    text = ": connected\n\n" + event(1, "message", "Hello\nthere") + ": ping\n\n" + "data: not json\n\n" + event(2, "pause")
    whole = Parser().feed(text)
    assert [(s.id, s.kind, s.text) for s in whole] == [(1, "message", "Hello\nthere"), (2, "pause", "")]
    split = Parser()
    found = [s for i in range(0, len(text), 7) for s in split.feed(text[i:i + 7])]
    assert [(s.id, s.kind) for s in found] == [(1, "message"), (2, "pause")]
    assert Parser().feed(event(3, "format-disk")) == []  # only the kinds a proctor can send


def test_the_widget_applies_each_message_once_and_acks_it(app, api_key, browser):
    """The stream is scripted (browser.streamed); the acks reach the real server."""

    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, LIVE)
        started = await widget.init({**BROWSER_ONLY, "apiKey": api_key})
        sid = started["sessionId"]
        browser.streamed.put_nowait(": connected\n\n" + event(1, "message", "<b>Look at the camera</b>", "Ms Proctor"))
        await browser.settle()
        browser.streamed.put_nowait("drop")  # the network drops; the server sends message 1 again after it
        await browser.settle()
        browser.advance(1.0)
        await browser.settle()
        browser.streamed.put_nowait(event(1, "message", "<b>Look at the camera</b>") + event(2, "pause", "Show your desk"))
        await browser.settle()
        browser.advance(90.0)
        browser.streamed.put_nowait(event(3, "resume"))
        await browser.settle()
        await widget.endProctoring()
        return sid, rec

    sid, rec = run(scenario())
    live = [(n, p) for n, p in rec.events if n != "STARTED"]
    assert [n for n, _ in live] == ["PROCTOR_MESSAGE", "PROCTORING_PAUSED", "PROCTORING_RESUMED", "END_PROCTORING"]
    message = live[0][1]
    assert (message["messageId"], message["text"], message["from"]) == ("1", "<b>Look at the camera</b>", "Ms Proctor")
    assert live[1][1]["reason"] == "Show your desk" and live[2][1]["pausedMs"] == 90000
    overlay = browser.overlays[-1]
    assert overlay.messages == [("<b>Look at the camera</b>", "Ms Proctor")] and overlay.paused is None
    assert browser.streams[0].endswith(f"/sessions/{sid}/channel?after=0")
    assert browser.streams[1].endswith("?after=1")  # resumed after the last message it applied
    acks = [body for method, url, body, _ in browser.requests if url.endswith("/channel/ack")]
    assert acks == [{"upTo": 1}, {"upTo": 2}, {"upTo": 3}]


def test_a_proctors_end_ends_the_widget_with_reason_proctor(app, api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, LIVE)
        started = await widget.init({**BROWSER_ONLY, "apiKey": api_key})
        with app.state.db.session() as s:
            from server.live import channel
            from server.store import ExamSession

            channel.end(s, app.state.fanout, s.get(ExamSession, started["sessionId"]))
        browser.streamed.put_nowait(409)  # the stream of an ended session is refused
        for _ in range(5):
            await browser.settle()
        return rec

    rec = run(scenario())
    [(_, ended)] = [e for e in rec.events if e[0] == "END_PROCTORING"]
    assert ended["reason"] == "proctor"


def test_the_server_streams_what_was_sent_after_the_last_id_and_records_acks(client, api_key, app):
    with app.state.db.session() as s:
        secret = create_secret_key(s, "Test University")
    created = client.post("/api/v1/sessions", json={"apiKey": api_key, "config": BROWSER_ONLY}, headers=PAGE).json()
    sid, auth = created["sessionId"], {**PAGE, "Authorization": f"Bearer {created['token']}"}
    for text in ("first", "second"):
        assert client.post(f"/api/v1/sessions/{sid}/messages", json={"text": text}, headers=bearer(secret)).status_code == 201
    with client.stream("GET", f"/api/v1/sessions/{sid}/channel?after=1", headers=auth) as answer:
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
        assert answer.headers["x-accel-buffering"] == "no"
        seen = ""
        for chunk in answer.iter_text():
            seen += chunk
            if "second" in seen:
                break
    [sent] = Parser().feed(seen)
    assert (sent.id, sent.kind, sent.text) == (2, "message", "second")  # nothing before ?after=
    # ?after=1 said message 1 was applied; the ack covers message 2
    assert client.post(f"/api/v1/sessions/{sid}/channel/ack", json={"upTo": 2}, headers=auth).json() == {"acknowledged": 1}
    with app.state.db.session() as s:
        assert all(m.delivered_at is not None for m in s.scalars(select(ProctorMessage)))


def test_the_candidate_replies_and_a_check_in_sends_a_fresh_picture(app, api_key, browser):
    from sqlalchemy import select as query

    from server.store import Event
    from tests.conftest import VALID_CONFIG

    camera_only = {"aiProctoring": False, "facialRecognition": False, "periodicSnapshots": True}

    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ["PROCTOR_REPLY", "CHECK_IN"])
        started = await widget.init({**VALID_CONFIG, "apiKey": api_key, "features": camera_only})
        browser.streamed.put_nowait(event(1, "message", "Is your door closed?"))
        await browser.settle()
        browser.overlays[-1].reply("Yes, it is closed now.")
        browser.streamed.put_nowait(event(2, "checkin"))
        for _ in range(5):
            await browser.settle()
        await widget.endProctoring()
        return started["sessionId"], rec

    sid, rec = run(scenario())
    [(_, reply)] = [e for e in rec.events if e[0] == "PROCTOR_REPLY"]
    assert reply["messageId"] == "1" and reply["text"] == "Yes, it is closed now."
    [(_, picture)] = [e for e in rec.events if e[0] == "CHECK_IN"]
    assert picture["source"] == "camera" and picture["mediaFile"].type == "image/jpeg"
    with app.state.db.session() as s:
        kinds = {e.type for e in s.scalars(query(Event).where(Event.session_id == sid))}
        assert {"PROCTOR_REPLY", "CHECK_IN"} <= kinds
    # the picture is this event's evidence: uploaded after the event (the fake browser's upload log)
    check_in = next(e for e in browser.requests if isinstance(e[2], dict) and any(
        x.get("type") == "CHECK_IN" for x in e[2].get("events", [])))
    event_id = next(x["id"] for x in check_in[2]["events"] if x["type"] == "CHECK_IN")
    assert any(event_id in url for url, _ in browser.uploads), browser.uploads


def test_two_instances_on_postgresql_wake_each_other_without_redis():
    """PostgreSQL's LISTEN/NOTIFY carries 'session X has news' between instances (here two
    fan-outs, as two processes would have), so a stream on one wakes at once for the other."""
    import asyncio
    import os
    import time

    import pytest

    from server.live.fanout import Fanout

    url = os.environ.get("EYE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("scripts/test.sh starts PostgreSQL (EYE_TEST_POSTGRES_URL)")
    from sqlalchemy import create_engine

    one, two = Fanout(None, create_engine(url)), Fanout(None, create_engine(url))

    async def scenario():
        await asyncio.sleep(1.0)  # both listening
        waiting = asyncio.ensure_future(one.wait("session-pg", 10.0))  # starts its LISTEN
        await asyncio.sleep(1.0)
        started = time.monotonic()
        two.publish("session-pg")
        return await waiting, time.monotonic() - started

    woke, seconds = run(scenario())
    assert woke and seconds < 5.0  # well before the 5 s database poll would have found it


def test_a_stream_stops_waiting_as_soon_as_its_client_leaves():
    """The lean server-sent events response: when the client goes (``http.disconnect``), the
    source's wait on the fan-out ends at once — not at its poll timeout — its generator is
    closed, and no waiter is left behind."""
    import asyncio
    import time

    from server.live.fanout import Fanout
    from server.live.sse import EventStream

    fanout = Fanout()
    sent: list[dict] = []
    closed = []

    async def scenario():
        leave = asyncio.Event()

        async def receive():
            await leave.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        async def source(gone):
            try:
                yield ": connected\n\n"
                while not gone.done():
                    if await fanout.wait("s-1", 60.0, gone):
                        yield "data: news\n\n"
            finally:
                closed.append(True)

        streaming = asyncio.ensure_future(EventStream(source)({"type": "http"}, receive, send))
        while fanout.waiting() == 0:
            await asyncio.sleep(0.01)
        fanout.publish("s-1")  # news arrives while connected
        while len(sent) < 3:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        leave.set()
        await asyncio.wait_for(streaming, 5)
        return time.monotonic() - started

    seconds = run(scenario())
    assert seconds < 5 and closed == [True] and fanout.waiting() == 0
    assert sent[0]["type"] == "http.response.start" and dict(sent[0]["headers"])[b"x-accel-buffering"] == b"no"
    assert [m["body"] for m in sent[1:]] == [b": connected\n\n", b"data: news\n\n"]  # nothing after the client left


def test_a_closed_fan_out_stops_listening_to_the_other_instances():
    """``close()`` (an app shutting down, a test's teardown) ends the thread that hears the other
    instances — Redis's subscription and PostgreSQL's LISTEN alike — instead of it reconnecting
    every second for the rest of the process once its database is gone."""
    import os
    import threading

    import pytest
    from sqlalchemy import create_engine

    from server.live.fanout import Fanout

    made = []
    if os.environ.get("EYE_TEST_REDIS_URL"):
        made.append(Fanout(os.environ["EYE_TEST_REDIS_URL"]))
    if os.environ.get("EYE_TEST_POSTGRES_URL"):
        made.append(Fanout(None, create_engine(os.environ["EYE_TEST_POSTGRES_URL"])))
    if not made:
        pytest.skip("scripts/test.sh starts Redis and PostgreSQL (EYE_TEST_REDIS_URL, EYE_TEST_POSTGRES_URL)")

    def listeners() -> int:
        return sum(t.name == "eye-live-fanout" and t.is_alive() for t in threading.enumerate())

    before = listeners()
    for fanout in made:
        run(fanout.wait("session-closing", 0.2))  # the first wait starts the listener
    assert listeners() == before + len(made)
    for fanout in made:
        fanout.close()
    assert listeners() == before
