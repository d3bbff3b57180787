"""Request bodies of the API, validated by pydantic (sizes bounded, unknown fields refused)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from widget.events import EVENTS

MAX_BATCH = 500


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionCreate(Strict):
    apiKey: str = Field(min_length=1, max_length=200)
    config: dict[str, Any]
    #: Signed by the exam platform's backend for keys that require it (see docs/security.md).
    launchToken: str | None = Field(default=None, max_length=2000)


class Preflight(BaseModel):
    #: How long the institution keeps a session and its evidence (the consent notice says so).
    retentionDays: int


class SessionCreated(BaseModel):
    sessionId: str
    token: str
    startedAt: str


class SessionState(BaseModel):
    sessionId: str
    startedAt: str
    endedAt: str | None
    reason: str | None
    examDuration: float
    events: int


class EventIn(Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")
    type: Literal[EVENTS]  # type: ignore[valid-type]  # the one event vocabulary (widget.events), expanded at runtime; pydantic checks it
    createdAt: dt.datetime
    payload: dict[str, Any] | None = None


class EventBatch(Strict):
    events: list[EventIn] = Field(max_length=MAX_BATCH)


class BatchResult(BaseModel):
    stored: int
    duplicates: int
    #: event id → why it was not stored (e.g. its createdAt lies outside the session); the rest are.
    refused: dict[str, str] = {}
    #: Set once the session has ended (``{endedAt, reason}``; ``platform``: the exam platform's
    #: server ended it): the widget stops proctoring.
    ended: dict[str, str] | None = None


class EndIn(Strict):
    #: The widget says why it ended; ``platform`` is what a secret key's end is recorded as.
    reason: Literal["manual", "time_up", "error", "platform"] = "platform"
    endedAt: dt.datetime | None = None
