"""Nothing lost on restart: ``eye serve`` is killed with SIGKILL while flags' webhook deliveries
are queued and failing and while event batches stream in; after a restart every flag reaches the
receiver and every acknowledged event is stored exactly once."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import create_engine, text

from eye_testing.servers import EyeServer
from tests.conftest import VALID_CONFIG, moment
from tests.receiver import Receiver

pytestmark = pytest.mark.e2e
ORIGIN = {"Origin": "http://localhost:5000"}
ENV = {"EYE_WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "EYE_WEBHOOK_RETRY_SECONDS": ",".join(["0.3"] * 30)}


class FlakyReceiver(Receiver):
    """Answers 500 until ``accept`` is set; remembers which flags it accepted."""

    def __init__(self):
        self.accept = False
        self.accepted: set[str] = set()
        super().__init__(answer=self._answer)

    def _answer(self, headers: dict[str, str]) -> int:
        if not self.accept:
            return 500
        self.accepted.add(headers["X-Eye-Delivery"])
        return 200


def test_a_killed_server_loses_no_webhook_and_no_acknowledged_event(tmp_path, built):
    receiver = FlakyReceiver()
    eye = EyeServer(tmp_path, env=ENV)
    key = eye.create_key("localhost:5000")
    with create_engine(eye.db_url).begin() as c:
        c.execute(text("UPDATE institutions SET webhook_url = :u, webhook_secret = 'whsec_test'"), {"u": receiver.url})
    session = httpx.post(f"{eye.url}api/v1/sessions", json={"apiKey": key, "config": VALID_CONFIG}, headers=ORIGIN).json()
    auth = {**ORIGIN, "Authorization": f"Bearer {session['token']}"}
    flags = [f"flag-{i}" for i in range(5)]
    r = httpx.post(f"{eye.url}api/v1/sessions/{session['sessionId']}/events", headers=auth, json={"events": [
        {"id": f, "type": "TAB_NOT_FOCUS", "createdAt": moment(), "payload": {"description": "left"}} for f in flags]})
    assert r.json()["stored"] == 5
    deadline = time.monotonic() + 10
    while len(receiver.got) < 10 and time.monotonic() < deadline:  # deliveries are being retried
        time.sleep(0.05)
    assert len(receiver.got) >= 10 and not receiver.accepted

    acknowledged: list[str] = []
    stop = threading.Event()

    def stream(base: str) -> None:
        n = 0
        with httpx.Client(timeout=2) as client:
            while not stop.is_set():
                ids = [f"ev-{n + i}" for i in range(10)]
                try:
                    answer = client.post(f"{base}api/v1/sessions/{session['sessionId']}/events", headers=auth,
                                         json={"events": [{"id": i, "type": "TAB_FOCUS_CHANGE", "createdAt": moment(),
                                                           "payload": {"focused": True}} for i in ids]})
                    if answer.status_code == 200:
                        acknowledged.extend(ids)
                        n += 10
                except httpx.HTTPError:
                    pass  # the server is gone: this batch was not acknowledged; the next try resends it

    streamer = threading.Thread(target=stream, args=(eye.url,), daemon=True)
    streamer.start()
    time.sleep(1.0)
    eye.proc.kill()  # SIGKILL: no shutdown, no flush
    eye.proc.wait(5)
    stop.set()
    streamer.join(5)
    assert len(acknowledged) > 20

    receiver.accept = True
    again = EyeServer(tmp_path, env=ENV)  # the same database and key file
    try:
        # A delivery the killed server had claimed waits for its lease (20 s) to run out.
        deadline = time.monotonic() + 45
        while receiver.accepted != set(flags) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert receiver.accepted == set(flags)  # every flag announced after the restart
        stored = [r[0] for r in again.query("SELECT client_id FROM events WHERE type = 'TAB_FOCUS_CHANGE'")]
        assert set(acknowledged) <= set(stored) and len(stored) == len(set(stored))  # none lost, none twice
        states = {r[0] for r in again.query("SELECT state FROM webhook_outbox")}
        assert states == {"delivered"}
    finally:
        again.stop()
