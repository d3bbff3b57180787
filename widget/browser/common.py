"""Pieces both adapters share."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine

Log = Callable[[str, str], None]


def spawn(coro: Coroutine[Any, Any, Any], log: Log) -> "asyncio.Future[Any]":
    """Run ``coro`` in the background; an exception is logged instead of lost."""
    task = asyncio.ensure_future(coro)

    def done(t: "asyncio.Future[Any]") -> None:
        if not t.cancelled() and t.exception() is not None:
            e = t.exception()
            log("error", f"Eye: background task failed: {type(e).__name__}: {e}")

    task.add_done_callback(done)
    return task


def call_later(seconds: float, fn: Callable[[], None]) -> Callable[[], None]:
    handle = asyncio.get_event_loop().call_later(seconds, fn)
    return handle.cancel
