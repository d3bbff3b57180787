"""Request bodies of the API, validated by pydantic (sizes bounded, unknown fields refused)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH = 500


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionCreate(Strict):
    apiKey: str = Field(min_length=1, max_length=200)
    config: dict[str, Any]


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
    id: str = Field(min_length=1, max_length=64)
    type: str = Field(min_length=1, max_length=64, pattern=r"^[A-Z][A-Z_]*$")
    createdAt: dt.datetime
    payload: dict[str, Any] | None = None


class EventBatch(Strict):
    events: list[EventIn] = Field(max_length=MAX_BATCH)


class BatchResult(BaseModel):
    stored: int
    duplicates: int


class EndIn(Strict):
    reason: Literal["manual", "time_up", "error"]
    endedAt: dt.datetime | None = None


class Ended(BaseModel):
    sessionId: str
    endedAt: str
    reason: str
