"""The outbox: every event and evidence file waits here until the server acknowledged it.

Items are kept in memory in the order they happened and mirrored into the browser's persistent
store (IndexedDB) once the session exists, so a reload, a crash or a network outage loses
nothing: a resumed session restores its items and sends them again (the server stores each event
id once). ``store`` is the adapter's: ``put(item)``, ``delete(keys)``, ``load(session)``,
``drop(session)`` — all coroutines.
"""

from __future__ import annotations

from typing import Any, Callable


class Outbox:
    def __init__(self, store: Any, spawn: Callable[[Any], Any]):
        self.store = store
        self._spawn = spawn
        self.session_id: str | None = None
        self.items: list[dict[str, Any]] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self.items)

    def _key(self) -> str:
        self._seq += 1
        return f"{self.session_id or 'pending'}:{self._seq:010d}"

    def _persist(self, item: dict[str, Any]) -> None:
        if self.session_id is not None and self.store is not None:
            self._spawn(self.store.put(item))

    def add_event(self, event: dict[str, Any]) -> None:
        item = {"key": self._key(), "session": self.session_id, "kind": "event", "event": event}
        self.items.append(item)
        self._persist(item)

    def add_media(self, event_id: str, file: Any, content_type: str) -> None:
        item = {"key": self._key(), "session": self.session_id, "kind": "media", "eventId": event_id,
                "file": file, "contentType": content_type}
        self.items.append(item)
        self._persist(item)

    def bind(self, session_id: str) -> None:
        """The session now exists: items queued before it are keyed to it and persisted."""
        self.session_id = session_id
        for item in self.items:
            item["session"] = session_id
            item["key"] = self._key()
            self._persist(item)

    async def restore(self, session_id: str) -> int:
        """Load what a previous page of this session left unsent; returns how many items."""
        self.session_id = session_id
        if self.store is None:
            return 0
        saved = sorted(await self.store.load(session_id), key=lambda i: i["key"])
        known = {i["key"] for i in self.items}
        restored = [i for i in saved if i["key"] not in known]
        self.items = restored + self.items
        if saved:
            self._seq = max(self._seq, max(int(i["key"].rsplit(":", 1)[1]) for i in saved))
        return len(restored)

    def events(self, limit: int) -> list[dict[str, Any]]:
        return [i for i in self.items if i["kind"] == "event"][:limit]

    def media(self) -> list[dict[str, Any]]:
        return [i for i in self.items if i["kind"] == "media"]

    def done(self, items: list[dict[str, Any]]) -> None:
        keys = {i["key"] for i in items}
        self.items = [i for i in self.items if i["key"] not in keys]
        if self.session_id is not None and self.store is not None and keys:
            self._spawn(self.store.delete(sorted(keys)))

    def clear(self) -> None:
        self.items = []
        if self.session_id is not None and self.store is not None:
            self._spawn(self.store.drop(self.session_id))
