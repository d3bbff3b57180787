"""Persistent storage in the real browser (Pyodide only): the outbox in IndexedDB.

Operations run one at a time in the order they were asked for (a FIFO lock), so a delete can
never overtake the put it follows. Items are stored by structured clone: evidence ``File``s are
kept as they are.
"""

from __future__ import annotations

import asyncio
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.ffi import JsProxy, create_proxy, to_js  # type: ignore[import-not-found]

DB_NAME = "eye-outbox"
STORE = "items"


def _plain(value: Any) -> Any:
    return to_js(value, dict_converter=js.Object.fromEntries)


async def _done(request: Any) -> Any:
    """Await an IDBRequest (or IDBOpenDBRequest)."""
    future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()

    def ok(*_: Any) -> None:
        if not future.done():
            future.set_result(request.result)

    def failed(*_: Any) -> None:
        if not future.done():
            future.set_exception(RuntimeError(f"IndexedDB: {request.error}"))

    on_ok, on_fail = create_proxy(ok), create_proxy(failed)
    request.onsuccess = on_ok
    request.onerror = on_fail
    try:
        return await future
    finally:
        request.onsuccess = None
        request.onerror = None
        on_ok.destroy()
        on_fail.destroy()


class IndexedDbOutbox:
    def __init__(self) -> None:
        self._db: Any = None
        self._lock = asyncio.Lock()

    async def _open(self) -> Any:
        if self._db is None:
            request = js.indexedDB.open(DB_NAME, 1)

            def upgrade(*_: Any) -> None:
                store = request.result.createObjectStore(STORE, _plain({"keyPath": "key"}))
                store.createIndex("session", "session")

            on_upgrade = create_proxy(upgrade)
            request.onupgradeneeded = on_upgrade
            try:
                self._db = await _done(request)
            finally:
                request.onupgradeneeded = None
                on_upgrade.destroy()
        return self._db

    async def _run(self, mode: str, action: Any) -> Any:
        async with self._lock:
            db = await self._open()
            store = db.transaction(STORE, mode).objectStore(STORE)
            return await action(store)

    async def put(self, item: dict[str, Any]) -> None:
        async def put(store: Any) -> None:
            await _done(store.put(_plain(item)))

        await self._run("readwrite", put)

    async def delete(self, keys: list[str]) -> None:
        async def delete(store: Any) -> None:
            for key in keys:
                await _done(store.delete(key))

        await self._run("readwrite", delete)

    async def load(self, session_id: str) -> list[dict[str, Any]]:
        async def load(store: Any) -> Any:
            return await _done(store.index("session").getAll(session_id))

        rows = await self._run("readonly", load)
        items = []
        for row in rows:
            item = {}
            for key in js.Object.keys(row):
                value = getattr(row, key)
                item[key] = value.to_py() if isinstance(value, JsProxy) and key == "event" else value
            items.append(item)
        return items

    async def drop(self, session_id: str) -> None:
        async def drop(store: Any) -> None:
            keys = await _done(store.index("session").getAllKeys(session_id))
            for key in keys:
                await _done(store.delete(key))

        await self._run("readwrite", drop)
