"""Persistent storage in the real browser (Pyodide only): the outbox in IndexedDB.

Operations run one at a time in the order they were asked for (a FIFO lock), so a delete can
never overtake the put it follows. Items are stored by structured clone: evidence ``File``s are
kept as they are.
"""

from __future__ import annotations

import asyncio
from typing import Any

import js
from pyodide.ffi import JsProxy, create_proxy

from .jsvalues import plain

DB_NAME = "eye-outbox"
STORE = "items"



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


async def _finished(transaction: Any) -> None:
    """Await an IDBTransaction's completion (or its error/abort)."""
    future: asyncio.Future[None] = asyncio.get_event_loop().create_future()

    def complete(*_: Any) -> None:
        if not future.done():
            future.set_result(None)

    def failed(*_: Any) -> None:
        if not future.done():
            future.set_exception(RuntimeError(f"IndexedDB: {transaction.error}"))

    proxies = [create_proxy(complete), create_proxy(failed)]
    transaction.oncomplete, transaction.onerror, transaction.onabort = proxies[0], proxies[1], proxies[1]
    try:
        await future
    finally:
        transaction.oncomplete = transaction.onerror = transaction.onabort = None
        for proxy in proxies:
            proxy.destroy()


class IndexedDbOutbox:
    def __init__(self) -> None:
        self._db: Any = None
        self._lock = asyncio.Lock()

    async def _open(self) -> Any:
        if self._db is None:
            request = js.indexedDB.open(DB_NAME, 1)

            def upgrade(*_: Any) -> None:
                store = request.result.createObjectStore(STORE, plain({"keyPath": "key"}))
                store.createIndex("session", "session")

            on_upgrade = create_proxy(upgrade)
            request.onupgradeneeded = on_upgrade
            try:
                self._db = await _done(request)
            finally:
                request.onupgradeneeded = None
                on_upgrade.destroy()
        return self._db

    async def _read(self, query: Any) -> Any:
        """One read request in its own transaction."""
        async with self._lock:
            db = await self._open()
            return await _done(query(db.transaction(STORE, "readonly").objectStore(STORE)))

    async def _write(self, issue: Any) -> None:
        """Issue every write request at once, then wait for the transaction to complete.

        An IndexedDB transaction commits as soon as control returns to the event loop with no
        request pending, and Python resumes after an ``await`` in a later task; so requests are
        never awaited one by one inside a transaction (that raised TransactionInactiveError)."""
        async with self._lock:
            db = await self._open()
            transaction = db.transaction(STORE, "readwrite")
            issue(transaction.objectStore(STORE))
            await _finished(transaction)

    async def put(self, item: dict[str, Any]) -> None:
        await self._write(lambda store: store.put(plain(item)))

    async def delete(self, keys: list[str]) -> None:
        if keys:
            await self._write(lambda store: [store.delete(key) for key in keys])

    async def load(self, session_id: str) -> list[dict[str, Any]]:
        rows = await self._read(lambda store: store.index("session").getAll(session_id))
        items = []
        for row in rows:
            item = {}
            for key in js.Object.keys(row):
                value = getattr(row, key)
                item[key] = value.to_py() if isinstance(value, JsProxy) and key == "event" else value
            items.append(item)
        return items

    async def drop(self, session_id: str) -> None:
        keys = await self._read(lambda store: store.index("session").getAllKeys(session_id))
        await self.delete([str(key) for key in keys])
