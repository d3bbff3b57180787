"""Waking the streams that wait on a session, across instances.

The messages themselves are in the database; the fan-out only says "session X has news", so a
stream waiting on X reads them now instead of at its next poll. In one process an asyncio event
per waiting stream does it; across instances the engines Eye already runs carry the word: Redis
pub/sub (``eye:live``) when ``EYE_REDIS_URL`` is set, else PostgreSQL's ``LISTEN``/``NOTIFY``
(``eye_live``) when the database is PostgreSQL, so a proctor on instance 2 reaches a candidate
streaming from instance 1 at once. On SQLite (one instance) the process alone; a stream also
reads the database every few seconds whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any, Callable

from .. import logs

CHANNEL = "eye:live"
#: PostgreSQL's channel for the same word (NOTIFY names are identifiers).
PG_CHANNEL = "eye_live"
#: How often a listener looks up from its connection to see whether the fan-out was closed.
LISTEN_TURN_SECONDS = 0.5


def board_of(institution_id: int) -> str:
    """The key an institution's live pages wait on: one of its running sessions has news (an
    event, a start, an end, a pause). Per institution, so one's busy exam wakes no one else's page."""
    return f"live:board:{institution_id}"


def _settle(news: "asyncio.Future[bool]", value: bool) -> None:
    if not news.done():
        news.set_result(value)


class Fanout:
    """``publish(session_id)`` from any thread; ``await wait(session_id, seconds)`` in the loop."""

    def __init__(self, redis_url: str | None = None, engine: Any = None):
        """``engine``: the app's database; on PostgreSQL (without Redis) it carries the word."""
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Future[bool]]]] = {}
        self._lock = threading.Lock()
        self._redis: Any = None
        self._engine: Any = None  # PostgreSQL: NOTIFY through the app's pool
        self._pg_url: str | None = None  # PostgreSQL: LISTEN on a connection of its own
        self._thread: threading.Thread | None = None
        self._listener: Any = None
        self._closed = threading.Event()
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url)
            self._listener = self._listen
        elif engine is not None and engine.dialect.name == "postgresql":
            self._engine = engine
            # psycopg's own connection string: the SQLAlchemy URL without its driver name
            self._pg_url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._listener = self._listen_pg

    def _listening(self) -> None:
        """Start hearing the other instances when this one first has a stream waiting."""
        with self._lock:
            if self._listener is not None and self._thread is None:
                self._thread = threading.Thread(target=self._listener, name="eye-live-fanout", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop hearing the other instances (the app is shutting down); waits end at their timeouts."""
        self._closed.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(LISTEN_TURN_SECONDS * 3)

    def publish(self, session_id: str) -> None:
        """Tell every instance's streams of ``session_id`` that it has news."""
        if self._redis is not None:
            try:
                self._redis.publish(CHANNEL, session_id)
                return  # this instance hears it back from Redis too
            except Exception as e:  # noqa: BLE001 - Redis down: this instance's streams still learn, others poll
                logs.warning("live fan-out: Redis publish failed", error=str(e)[:200])
        elif self._pg_url is not None and self._notify(session_id):
            return  # this instance hears it back from PostgreSQL too
        self._wake(session_id)

    def _notify(self, session_id: str) -> bool:
        from sqlalchemy import text

        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": PG_CHANNEL, "payload": session_id})
                connection.commit()
            return True
        except Exception as e:  # noqa: BLE001 - PostgreSQL unreachable: this instance alone, others poll
            logs.warning("live fan-out: NOTIFY failed", error=str(e)[:200])
            return False

    def _wake(self, session_id: str) -> None:
        with self._lock:
            waiting = list(self._waiters.get(session_id, ()))
        for loop, news in waiting:
            with contextlib.suppress(RuntimeError):  # a loop that closed meanwhile
                loop.call_soon_threadsafe(_settle, news, True)

    async def wait(self, session_id: str, seconds: float, gone: "asyncio.Future[None] | None" = None) -> bool:
        """True when ``session_id`` had news within ``seconds``; False at the timeout, or as soon
        as ``gone`` is done (the stream's client left). One future and one timer per wait: a
        stream waits here nearly all its life, once per idle connection."""
        self._listening()
        loop = asyncio.get_running_loop()
        news: asyncio.Future[bool] = loop.create_future()
        entry = (loop, news)
        with self._lock:
            self._waiters.setdefault(session_id, set()).add(entry)
        timer = loop.call_later(seconds, _settle, news, False)

        def left(_: object) -> None:
            _settle(news, False)

        if gone is not None:
            gone.add_done_callback(left)
        try:
            return await news
        finally:
            timer.cancel()
            if gone is not None:
                gone.remove_done_callback(left)
            with self._lock:
                waiting = self._waiters.get(session_id)
                if waiting is not None:
                    waiting.discard(entry)
                    if not waiting:
                        del self._waiters[session_id]

    def waiting(self) -> int:
        """How many streams wait now (for benchmarks and the live page)."""
        with self._lock:
            return sum(len(w) for w in self._waiters.values())

    def _keep_hearing(self, what: str, hear: Callable[[], None]) -> None:
        """Run ``hear`` (one connection's listening, back when the fan-out is closed) until the
        fan-out is closed; after a failure (the engine restarted or unreachable) a second later."""
        while not self._closed.is_set():
            try:
                hear()
            except Exception as e:  # noqa: BLE001 - try again shortly
                if not self._closed.is_set():
                    logs.warning(f"live fan-out: {what} lost", error=str(e)[:200])
                    self._closed.wait(1.0)

    def _listen_pg(self) -> None:
        """PostgreSQL notifications → this process's waiters."""
        import psycopg

        def hear() -> None:
            with psycopg.connect(self._pg_url or "", autocommit=True) as conn:
                conn.execute("LISTEN eye_live")  # PG_CHANNEL
                while not self._closed.is_set():
                    for note in conn.notifies(timeout=LISTEN_TURN_SECONDS):
                        self._wake(note.payload)

        self._keep_hearing("LISTEN", hear)

    def _listen(self) -> None:
        """Redis messages → this process's waiters."""

        def hear() -> None:
            with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                pubsub.subscribe(CHANNEL)
                while not self._closed.is_set():
                    message = pubsub.get_message(timeout=LISTEN_TURN_SECONDS)
                    data = message.get("data") if message else None
                    if isinstance(data, bytes):
                        self._wake(data.decode())

        self._keep_hearing("Redis subscription", hear)
