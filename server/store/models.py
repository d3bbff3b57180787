"""The tables: institutions own API keys; a key lists its domains; sessions hold events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(moment: dt.datetime) -> dt.datetime:
    """``moment`` with its time zone: SQLite gives stored times back naive, and they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    """ISO-8601 UTC with milliseconds, as the API and exports write times: ``2026-11-26T10:00:00.000Z``."""
    return aware(moment).astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, dt.datetime: DateTime(timezone=True)}


class Institution(Base):
    __tablename__ = "institutions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retention_days: Mapped[int] = mapped_column(default=30, server_default="30")
    webhook_url: Mapped[str | None] = mapped_column(String(500), default=None)
    webhook_secret: Mapped[str | None] = mapped_column(String(200), default=None)
    keys: Mapped[list["ApiKey"]] = relationship(back_populates="institution")


class User(Base):
    """A reviewer: sees and manages only their institution's data. Password hashed with argon2."""

    __tablename__ = "users"
    #: An address is unique within an institution only: inviting it never tells an admin that
    #: another institution has an account with it.
    __table_args__ = (UniqueConstraint("institution_id", "email", name="uq_users_institution_email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    #: ``admin`` (keys, settings, deletions, and deciding), ``reviewer`` (deciding) or ``auditor``
    #: (reading only).
    role: Mapped[str] = mapped_column(String(12), default="admin", server_default="admin")
    #: The IANA time zone the dashboard shows this user's times in (``/dashboard/account``).
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: A disabled account cannot sign in (its sessions ended when it was disabled); kept for the audit trail.
    disabled_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: An invited account has no password yet: the invitation link's token hash, until it expires.
    invite_hash: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    invite_expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    institution: Mapped[Institution] = relationship()


class ReviewerSession(Base):
    """A signed-in reviewer's browser: the cookie holds a random token, stored here as its SHA-256.
    Signing out or changing the password deletes the row, which ends the session at once."""

    __tablename__ = "reviewer_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


class WebhookDelivery(Base):
    """One attempt to deliver one flag to an institution's webhook."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    session_id: Mapped[str] = mapped_column(String(36), index=True)
    event_client_id: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int]
    status: Mapped[int | None] = mapped_column(default=None)  # HTTP status; None when no answer
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookOutbox(Base):
    """A flag waiting to be announced to its institution's webhook: written in the same
    transaction as the flag, so a crash or restart loses no delivery. ``state`` is ``pending``
    (due at ``next_attempt_at``; a worker that claims it moves that time forward as a lease),
    ``delivered`` or ``dead`` (the schedule ran out); the dashboard can redeliver either."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (UniqueConstraint("session_id", "event_client_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    session_id: Mapped[str] = mapped_column(String(36), index=True)
    event_client_id: Mapped[str] = mapped_column(String(64))
    #: ``flag`` (``event_client_id`` is the flag's id) or ``review`` (a session's review was
    #: completed; ``event_client_id`` is the delivery's own id).
    kind: Mapped[str] = mapped_column(String(12), default="flag", server_default="flag")
    state: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    outcome: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """An API key, stored as its SHA-256 (keys are long random secrets; the hash is the lookup)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: The secret an exam platform's backend signs launch tokens with (None: launch tokens off).
    launch_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    require_launch_token: Mapped[bool] = mapped_column(default=False, server_default=false())
    institution: Mapped[Institution] = relationship(back_populates="keys")
    domains: Mapped[list["KeyDomain"]] = relationship(back_populates="key", cascade="all, delete-orphan")


class SecretKey(Base):
    """A secret key (``eye_sk_…``) for an exam platform's server: its institution's sessions,
    results and evidence through the platform API. Stored as its SHA-256, like publishable keys,
    but in its own table: one kind is never accepted where the other is expected."""

    __tablename__ = "secret_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The institution the key acts for; None for an operator's key, which names one per request
    #: (``Eye-Institution``) and may create institutions.
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True, default=None)
    operator: Mapped[bool] = mapped_column(default=False, server_default=false())
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    #: A read-only key may list and read, never end, decide or change anything.
    read_only: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: When the key was last used (written at most once a minute).
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    institution: Mapped[Institution | None] = relationship()


class KeyDomain(Base):
    __tablename__ = "key_domains"
    __table_args__ = (UniqueConstraint("api_key_id", "domain"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    domain: Mapped[str] = mapped_column(String(255), index=True)
    key: Mapped[ApiKey] = relationship(back_populates="domains")


class ExamSession(Base):
    __tablename__ = "sessions"
    #: The session lists (platform API, dashboard, reports): one institution's, or one of its
    #: assessments', newest first, by cursor.
    __table_args__ = (Index("ix_sessions_institution_started", "institution_id", "started_at", "id"),
                      Index("ix_sessions_institution_assessment", "institution_id", "assessment_id", "started_at", "id"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    origin: Mapped[str] = mapped_column(String(300))
    assessment_id: Mapped[str] = mapped_column(String(500))
    assessment_title: Mapped[str] = mapped_column(Text)
    candidate_id: Mapped[str] = mapped_column(String(500), index=True)
    candidate_email: Mapped[str] = mapped_column(Text)
    candidate_name: Mapped[str] = mapped_column(Text)
    exam_duration: Mapped[float]
    config: Mapped[dict[str, Any]]
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(20), default=None)
    #: The LMS's attempt number when an LTI proctoring launch started this session.
    attempt_number: Mapped[int | None] = mapped_column(default=None)
    #: Another session of the same candidate and assessment was live at the same time.
    concurrent: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Human review: ``unreviewed`` → ``in review`` → ``cleared`` or ``escalated`` (with a note).
    review_state: Mapped[str] = mapped_column(String(12), default="unreviewed", server_default="unreviewed", index=True)
    review_note: Mapped[str | None] = mapped_column(Text, default=None)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    #: Who decided when it was no user: ``secret key eye_sk_…`` (the platform API).
    reviewed_actor: Mapped[str | None] = mapped_column(String(60), default=None)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: A reviewer working on the session holds it until ``claimed_until`` (others are kept off it).
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    events: Mapped[list["Event"]] = relationship(back_populates="session", order_by="Event.created_at")


class Event(Base):
    """One widget event; ``client_id`` (generated by the widget) makes a retried batch harmless."""

    __tablename__ = "events"
    #: (session, type): a page's flag counts read only its sessions' rows (an index on the type
    #: alone had both databases read every flag of that type ever stored).
    __table_args__ = (UniqueConstraint("session_id", "client_id"), Index("ix_events_session_type", "session_id", "type"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    session: Mapped[ExamSession] = relationship(back_populates="events")


class Media(Base):
    """An evidence file (JPEG snapshot or WAV clip) of one event, stored on disk under the media folder."""

    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("session_id", "event_client_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    event_client_id: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FlagVerdict(Base):
    """A reviewer's decision on one flag: ``confirmed`` or ``dismissed`` (a false flag)."""

    __tablename__ = "flag_verdicts"
    __table_args__ = (UniqueConstraint("session_id", "event_client_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    event_client_id: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    #: The reviewer who decided, or None when a platform decided through the API (``actor``).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor: Mapped[str | None] = mapped_column(String(60), default=None)
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProctorMessage(Base):
    """What a proctor sends a running widget — a message, a pause, a resume, an end — in the order
    sent. The widget's channel streams them by ``id`` and acknowledges each it applied
    (``delivered_at``); a reconnecting widget resumes after the last id it applied."""

    __tablename__ = "proctor_messages"
    __table_args__ = (Index("ix_proctor_messages_session", "session_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"))
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text, default="")
    #: Who the candidate is told it is from (a proctor's name, else the institution's).
    sender: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class AuditEntry(Base):
    """Append-only: who did what, when, from where (verdicts, review states, sign-ins, exports,
    deletions, key changes). ``target`` names rows by opaque id, never a candidate's data."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    #: Who acted when it was not a signed-in user: ``secret key eye_sk_AbCd…`` (the platform API).
    actor: Mapped[str | None] = mapped_column(String(60), default=None)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class IdempotentRequest(Base):
    """A request made with an ``Idempotency-Key``: its fingerprint (method, path, body) and, once
    answered, the answer, replayed to a retry for 24 h. ``owner`` is the SHA-256 of the credential;
    ``session_id`` ties the answer to the session it is about, so it goes when the session goes."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("owner", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(default=None)
    response: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: The session the kept answer is about (from the path, or the answer's ``sessionId``): deleting
    #: the session deletes the answer, which may hold the candidate's name and email.
    session_id: Mapped[str | None] = mapped_column(String(36), default=None, index=True)


class Setting(Base):
    """Server-wide settings shared by every instance on this database (e.g. the token signing key)."""

    __tablename__ = "settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LtiPlatform(Base):
    """An LMS registered as an LTI 1.3 platform of one institution (``eye lti add-platform``): who
    it is (``issuer``, Eye's ``client_id`` there, the ``deployment_id``) and where its login
    endpoint and public keys are. A launch from anything else is refused."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", "deployment_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(String(255))
    auth_url: Mapped[str] = mapped_column(String(1000))
    jwks_url: Mapped[str] = mapped_column(String(1000))
    token_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The dashboard role an LMS Instructor / Administrator signs in with ("reviewer", "admin" or
    #: "none": not signed in).
    instructor_role: Mapped[str] = mapped_column(String(12), default="reviewer", server_default="reviewer")
    administrator_role: Mapped[str] = mapped_column(String(12), default="admin", server_default="admin")
    #: How long a proctored attempt may last when the LMS does not say (seconds).
    exam_seconds: Mapped[float] = mapped_column(default=3 * 3600.0, server_default="10800")
    #: The publishable key (with launch tokens required) of Eye's own proctoring page for this
    #: platform's attempts: made on the first attempt, for Eye's public host.
    widget_key: Mapped[str | None] = mapped_column(String(100), default=None)
    institution: Mapped[Institution] = relationship()


class LtiAttempt(Base):
    """One proctored attempt an LMS started with ``LtiStartProctoring``: who (``subject``, the
    LTI ``sub``), which assessment (the resource link) and which attempt; what the platform wants
    echoed in ``LtiStartAssessment``; the Eye session that watches it. A relaunch of the same
    attempt finds this row again; the browser holding it proves so with a cookie whose hash is
    ``browser_hash``."""

    __tablename__ = "lti_attempts"
    __table_args__ = (UniqueConstraint("platform_id", "subject", "resource_link_id", "attempt_number"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    attempt_number: Mapped[int]
    title: Mapped[str] = mapped_column(Text, default="")
    person: Mapped[dict[str, Any]]
    features: Mapped[dict[str, Any]]
    session_data: Mapped[str] = mapped_column(Text)
    start_assessment_url: Mapped[str] = mapped_column(String(1000))
    browser_hash: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"), default=None, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    assessment_started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    window_closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    platform: Mapped[LtiPlatform] = relationship()


class LtiUser(Base):
    """An LMS person Eye signed into the dashboard from an instructor launch: the platform's
    ``sub`` is the identity (never an email match), the user is the one it signs in as."""

    __tablename__ = "lti_users"
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class LtiLogin(Base):
    """One OIDC login Eye started for a platform: the ``state`` the browser must bring back (its
    cookie too) and the ``nonce`` the id_token must carry; used once, then kept until it expires
    so a replayed id_token finds it spent."""

    __tablename__ = "lti_logins"
    #: SHA-256 of the state (the state itself lives only in the browser's cookie and the form).
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class LtiSigningKey(Base):
    """One of Eye's RS256 keys for the messages it signs to platforms (``LtiStartAssessment``);
    the newest signs, a retired one is still published in ``/lti/jwks.json`` until what it signed
    has expired (``eye lti rotate-key``)."""

    __tablename__ = "lti_signing_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(default=None)
