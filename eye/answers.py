"""What the platform API answers, as pydantic models: the server's response models (the schemas
of its OpenAPI document, ``/api/v1/openapi.json``, from which TypeScript's types are generated)
and what :mod:`eye.client` returns. The server refuses unknown fields, so an answer that grows a
field its model lacks fails in the tests rather than drifting from the document; the client
ignores them, so an older client keeps working against a newer server."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Answer):
    """Every error: a stable ``code`` (docs/errors.md), a sentence, and the fields at fault."""

    code: str
    message: str
    details: dict[str, Any] = {}


class Ended(Answer):
    """``POST /sessions/{id}/end``: when, and why (``platform`` when a secret key ended it)."""

    sessionId: str
    endedAt: str
    reason: str


class Verdict(Answer):
    verdict: str = Field(description="confirm or dismiss")
    note: str | None
    by: str | None = Field(description="the reviewer's email, or the secret key that decided")
    decidedAt: str


class MediaInfo(Answer):
    contentType: str
    size: int


class EventOut(Answer):
    """One stored event: a flag (``flag``) or a record; its evidence and verdict, if any."""

    id: str
    type: str
    createdAt: str
    flag: bool
    description: str
    details: dict[str, Any]
    media: MediaInfo | None
    verdict: Verdict | None


class ScoreLine(Answer):
    type: str
    count: int
    weight: float
    penalty: float


class SessionSummary(Answer):
    sessionId: str
    assessmentId: str
    assessmentTitle: str
    candidateId: str
    candidateEmail: str
    candidateName: str
    startedAt: str
    endedAt: str | None
    endReason: str | None
    examDuration: float
    state: str = Field(description="live or ended")
    reviewState: str
    concurrent: bool
    flagCount: int
    flagCounts: dict[str, int]
    integrityScore: int


class SessionPage(Answer):
    data: list[SessionSummary]
    nextCursor: str | None


class _Record(Answer):
    sessionId: str
    assessmentId: str
    assessmentTitle: str
    candidateId: str
    candidateEmail: str
    candidateName: str
    origin: str
    startedAt: str
    endedAt: str | None
    endReason: str | None
    integrityScore: int = Field(description="after review: dismissed flags do not count")
    integrityScoreBeforeReview: int
    scoreBreakdown: list[ScoreLine]
    reviewState: str
    reviewNote: str | None
    reviewedAt: str | None


class SessionRecord(_Record):
    """``GET /sessions/{id}`` with a secret key: the full record, its flags with their verdicts."""

    examDuration: float
    concurrent: bool
    state: str = Field(description="live or ended")
    flags: list[EventOut]


class ExportedSession(_Record):
    events: list[EventOut]


class EventPage(Answer):
    data: list[EventOut]
    nextCursor: str | None


class FlagDecided(Answer):
    flagId: str
    verdict: str
    note: str | None
    decidedAt: str
    reviewState: str
    integrityScore: int
    integrityScoreBeforeReview: int


class CandidateExport(Answer):
    candidateId: str
    sessions: list[ExportedSession]


class CandidateDeleted(Answer):
    candidateId: str
    deletedSessions: int


class Webhook(Answer):
    url: str | None
    secretSet: bool
    secret: str | None = Field(default=None, description="the signing secret: in the answer that makes it, only")


class PublishableKey(Answer):
    prefix: str
    domains: list[str]
    requireLaunchToken: bool
    createdAt: str
    revokedAt: str | None
    key: str | None = Field(default=None, description="the key itself: in the answer that makes it, only")
    launchSecret: str | None = Field(default=None, description="with requireLaunchToken: shown once")


class PublishableKeyPage(Answer):
    data: list[PublishableKey]


class Account(Answer):
    email: str
    role: str
    state: str = Field(description="active, invited or disabled")
    createdAt: str
    inviteUrl: str | None = Field(default=None, description="the one-time invitation link: in the answer that invites, only")


class AccountPage(Answer):
    data: list[Account]


class SecretKeyOut(Answer):
    prefix: str
    readOnly: bool
    createdAt: str
    lastUsedAt: str | None
    revokedAt: str | None
    key: str | None = Field(default=None, description="the key itself: in the answer that makes it, only")


class SecretKeyPage(Answer):
    data: list[SecretKeyOut]


class InstitutionOut(Answer):
    id: int
    name: str
    retentionDays: int
    createdAt: str


class InstitutionPage(Answer):
    data: list[InstitutionOut]
