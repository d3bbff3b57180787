"""Waking the streams that wait on a session, across instances.

The messages themselves are in the database; the fan-out only says "session X has news", so a
stream waiting on X reads them now instead of at its next poll. In one process an asyncio event
per waiting stream does it; with ``EYE_REDIS_URL`` every instance also publishes to and listens on
Redis (``eye:live`` channel), so a proctor on instance 2 reaches a candidate streaming from
instance 1. Without Redis, a stream still polls the database every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from .. import logs

CHANNEL = "eye:live"
#: The key the live pages wait on: any running session has news (an event, a start, an end, a pause).
BOARD = "live:board"


class Fanout:
    """``publish(session_id)`` from any thread; ``await wait(session_id, seconds)`` in the loop."""

    def __init__(self, redis_url: str | None = None):
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._lock = threading.Lock()
        self._redis: Any = None
        self._thread: threading.Thread | None = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url)
            self._thread = threading.Thread(target=self._listen, name="eye-live-fanout", daemon=True)
            self._thread.start()

    def publish(self, session_id: str) -> None:
        """Tell every instance's streams of ``session_id`` that it has news."""
        if self._redis is not None:
            try:
                self._redis.publish(CHANNEL, session_id)
                return  # this instance hears it back from Redis too
            except Exception as e:  # noqa: BLE001 - Redis down: this instance's streams still learn, others poll
                logs.warning("live fan-out: Redis publish failed", error=str(e)[:200])
        self._wake(session_id)

    def _wake(self, session_id: str) -> None:
        with self._lock:
            waiting = list(self._waiters.get(session_id, ()))
        for loop, event in waiting:
            with contextlib.suppress(RuntimeError):  # a loop that closed meanwhile
                loop.call_soon_threadsafe(event.set)

    async def wait(self, session_id: str, seconds: float) -> bool:
        """True when ``session_id`` had news within ``seconds``."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.setdefault(session_id, set()).add(entry)
        try:
            await asyncio.wait_for(event.wait(), seconds)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
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

    def _listen(self) -> None:
        """Redis messages → this process's waiters; reconnects after a failure."""
        import time

        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                for message in pubsub.listen():
                    data = message.get("data")
                    if isinstance(data, bytes):
                        self._wake(data.decode())
            except Exception as e:  # noqa: BLE001 - Redis restarted or unreachable: try again shortly
                logs.warning("live fan-out: Redis subscription lost", error=str(e)[:200])
                time.sleep(1.0)
