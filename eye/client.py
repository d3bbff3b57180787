"""The platform API from Python: an exam platform's server lists its sessions, reads results and
evidence, reviews, ends live sessions, answers deletion requests and provisions institutions with
a secret key (docs/platform-api.md). ::

    from eye.client import EyeClient

    with EyeClient("https://eye.example.edu", "eye_sk_…") as eye:
        for session in eye.sessions.list(assessment_id="final-2026"):   # every page, lazily
            print(session.candidateId, session.integrityScore)

Answers are the server's own models (:mod:`eye.answers`); an error answer raises
:class:`EyeError` with its stable ``code``. Every POST and DELETE carries an ``Idempotency-Key``
(yours, or one made per call), so the client retries a dropped connection or a ``429`` (after its
``Retry-After``) without doing anything twice.
"""

from __future__ import annotations

import time
import urllib.parse
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel

from .answers import (
    Account,
    AccountPage,
    CandidateDeleted,
    CandidateExport,
    Ended,
    EventOut,
    EventPage,
    FlagDecided,
    InstitutionOut,
    InstitutionPage,
    PublishableKey,
    PublishableKeyPage,
    SecretKeyOut,
    SecretKeyPage,
    SessionPage,
    SessionRecord,
    SessionSummary,
    Webhook,
)

M = TypeVar("M", bound=BaseModel)
_RETRY_AFTER_CAP = 30.0


class EyeError(Exception):
    """An error answer: ``status``, the stable ``code`` (docs/errors.md), its ``message`` and the
    ``details`` naming the fields at fault."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def _segment(value: str) -> str:
    """One path segment, percent-encoded (a candidate id may hold any character, ``/`` included)."""
    return urllib.parse.quote(value, safe="")


class EyeClient:
    """A platform's connection to one Eye server with one secret key (``eye_sk_…``).

    ``institution`` (an operator's key only) names the institution each call acts for, sent as
    ``Eye-Institution``; :meth:`for_institution` gives a client for another one on the same
    connection. ``max_retries`` bounds the retries of a ``429`` or a dropped connection.
    """

    def __init__(self, url: str, secret_key: str, *, institution: str | None = None, timeout: float = 10.0,
                 max_retries: int = 2, transport: httpx.BaseTransport | None = None,
                 _http: httpx.Client | None = None) -> None:
        if not secret_key.startswith("eye_sk_"):
            raise ValueError("secret_key: expected a secret key (eye_sk_…, from `eye keys create-secret`), "
                             f"received {secret_key[:7]!r}… (the publishable key, from `eye keys create`, belongs in exam pages)")
        self._http = _http or httpx.Client(base_url=url.rstrip("/") + "/api/v1", timeout=timeout, transport=transport,
                                           headers={"Authorization": f"Bearer {secret_key}", "User-Agent": "eye.client"})
        self._owner = _http is None
        self.url, self._key, self.institution, self.max_retries = url, secret_key, institution, max_retries
        self.sessions = Sessions(self)
        self.candidates = Candidates(self)
        self.webhook = WebhookSettings(self)
        self.keys = PublishableKeys(self)
        self.users = Users(self)
        self.secret_keys = SecretKeys(self)
        self.institutions = Institutions(self)

    def for_institution(self, institution: str | int) -> EyeClient:
        """The same key and connection, acting for ``institution`` (name or id; an operator's key)."""
        return EyeClient(self.url, self._key, institution=str(institution), max_retries=self.max_retries, _http=self._http)

    def close(self) -> None:
        if self._owner:
            self._http.close()

    def __enter__(self) -> EyeClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None,
                idempotency_key: str | None = None) -> httpx.Response:
        """One call, retried on ``429`` and on a dropped connection; an error answer raises
        :class:`EyeError`. Any method but GET carries an idempotency key, so a retry is safe."""
        headers = {} if self.institution is None else {"Eye-Institution": self.institution}
        if method != "GET":
            headers["Idempotency-Key"] = idempotency_key or f"eye-client-{uuid.uuid4()}"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                answer = self._http.request(method, path, params=query, json=json, headers=headers)
            except httpx.TransportError:
                if last:
                    raise
                time.sleep(0.5 * 2**attempt)
                continue
            if answer.status_code == 429 and not last:
                time.sleep(min(float(answer.headers.get("Retry-After") or 1), _RETRY_AFTER_CAP))
                continue
            if answer.is_error:
                raise _error(answer)
            return answer
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def call(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        """``request`` and the answer read as ``model`` (fields this client does not know are ignored)."""
        return model.model_validate(self.request(method, path, **kwargs).json(), extra="ignore")


def _error(answer: httpx.Response) -> EyeError:
    try:
        body = answer.json()
        return EyeError(answer.status_code, str(body["code"]), str(body["message"]), dict(body.get("details") or {}))
    except (ValueError, KeyError, TypeError):
        return EyeError(answer.status_code, "HTTP_ERROR", answer.text[:200] or answer.reason_phrase)


class _Resource:
    def __init__(self, client: EyeClient) -> None:
        self._client = client


class Sessions(_Resource):
    """``/sessions``: the institution's exam sessions, their events and evidence, review and end."""

    def list(self, *, assessment_id: str | None = None, candidate_id: str | None = None,
             state: Literal["live", "ended"] | None = None, review_state: str | None = None,
             created_after: str | None = None, page_size: int = 100) -> Iterator[SessionSummary]:
        """Every matching session, newest first, fetched a page (``page_size`` ≤ 100) at a time as
        you iterate; a session created meanwhile never shifts a later page."""
        params = {"assessmentId": assessment_id, "candidateId": candidate_id, "state": state,
                  "reviewState": review_state, "createdAfter": created_after, "limit": page_size}
        cursor: str | None = None
        while True:
            page = self._client.call(SessionPage, "GET", "/sessions", params={**params, "cursor": cursor})
            yield from page.data
            if page.nextCursor is None:
                return
            cursor = page.nextCursor

    def get(self, session_id: str) -> SessionRecord:
        """The full record: candidate, times, scores, review state, flags with evidence and verdicts."""
        return self._client.call(SessionRecord, "GET", f"/sessions/{_segment(session_id)}")

    def events(self, session_id: str, *, page_size: int = 100) -> Iterator[EventOut]:
        """Every event of the session in the order stored, page by page."""
        cursor: str | None = None
        while True:
            page = self._client.call(EventPage, "GET", f"/sessions/{_segment(session_id)}/events",
                                     params={"limit": page_size, "cursor": cursor})
            yield from page.data
            if page.nextCursor is None:
                return
            cursor = page.nextCursor

    def media(self, session_id: str, event_id: str) -> bytes:
        """An event's evidence file (JPEG or WAV), as stored."""
        return self._client.request("GET", f"/sessions/{_segment(session_id)}/events/{_segment(event_id)}/media").content

    def end(self, session_id: str, *, idempotency_key: str | None = None) -> Ended:
        """End a live session now (recorded as ``platform``); the candidate's page ends with
        ``END_PROCTORING {reason: "ended_by_server"}``. An ended session stays as it was."""
        return self._client.call(Ended, "POST", f"/sessions/{_segment(session_id)}/end", idempotency_key=idempotency_key)

    def decide(self, session_id: str, flag_id: str, verdict: Literal["confirm", "dismiss"], note: str | None = None,
               *, idempotency_key: str | None = None) -> FlagDecided:
        """Confirm or dismiss one flag of an ended session; answers the new integrity score."""
        return self._client.call(FlagDecided, "POST", f"/sessions/{_segment(session_id)}/flags/{_segment(flag_id)}/verdict",
                                 json={"verdict": verdict, "note": note}, idempotency_key=idempotency_key)

    def review(self, session_id: str, state: Literal["cleared", "escalated"], note: str = "",
               *, idempotency_key: str | None = None) -> SessionRecord:
        """Complete the review (a note is required to escalate); sends the ``ReviewCompleted`` webhook."""
        return self._client.call(SessionRecord, "POST", f"/sessions/{_segment(session_id)}/review",
                                 json={"state": state, "note": note}, idempotency_key=idempotency_key)

    def reopen(self, session_id: str, note: str, *, idempotency_key: str | None = None) -> SessionRecord:
        """Open a completed review again, saying why."""
        return self._client.call(SessionRecord, "POST", f"/sessions/{_segment(session_id)}/reopen",
                                 json={"note": note}, idempotency_key=idempotency_key)


class Candidates(_Resource):
    """``/candidates``: a candidate's data, for an access or a deletion request."""

    def export(self, candidate_id: str) -> CandidateExport:
        return self._client.call(CandidateExport, "GET", f"/candidates/{_segment(candidate_id)}/export")

    def delete(self, candidate_id: str, *, idempotency_key: str | None = None) -> CandidateDeleted:
        """Delete every session, event, verdict, evidence file and queued webhook of the candidate."""
        return self._client.call(CandidateDeleted, "DELETE", f"/candidates/{_segment(candidate_id)}",
                                 idempotency_key=idempotency_key)


class WebhookSettings(_Resource):
    """``/webhook``: where the institution's webhooks go and the secret that signs them."""

    def get(self) -> Webhook:
        return self._client.call(Webhook, "GET", "/webhook")

    def set(self, url: str | None) -> Webhook:
        """Set (or, with ``None``, remove) the URL; the first one answers its signing ``secret``, once."""
        return self._client.call(Webhook, "PUT", "/webhook", json={"url": url})

    def rotate_secret(self, *, idempotency_key: str | None = None) -> Webhook:
        return self._client.call(Webhook, "POST", "/webhook/rotate-secret", idempotency_key=idempotency_key)


class PublishableKeys(_Resource):
    """``/keys``: the publishable keys exam pages carry, with their domains."""

    def list(self) -> list[PublishableKey]:
        return self._client.call(PublishableKeyPage, "GET", "/keys").data

    def create(self, domains: Sequence[str], *, require_launch_token: bool = False,
               idempotency_key: str | None = None) -> PublishableKey:
        """A new key for these origins; its ``key`` (and ``launchSecret``) are in this answer only."""
        return self._client.call(PublishableKey, "POST", "/keys", idempotency_key=idempotency_key,
                                 json={"domains": [*domains], "requireLaunchToken": require_launch_token})

    def revoke(self, prefix: str, *, idempotency_key: str | None = None) -> PublishableKey:
        return self._client.call(PublishableKey, "POST", f"/keys/{_segment(prefix)}/revoke", idempotency_key=idempotency_key)


class Users(_Resource):
    """``/users``: the institution's dashboard accounts."""

    def list(self) -> list[Account]:
        return self._client.call(AccountPage, "GET", "/users").data

    def invite(self, email: str, role: Literal["admin", "reviewer", "auditor"] = "reviewer", *, idempotency_key: str | None = None) -> Account:
        """Invite a reviewer, admin or auditor: the answer's one-time ``inviteUrl`` is for you to send them."""
        return self._client.call(Account, "POST", "/users", json={"email": email, "role": role},
                                 idempotency_key=idempotency_key)


class SecretKeys(_Resource):
    """``/secret-keys``: more secret keys of the institution (a read-only one for reporting)."""

    def list(self) -> list[SecretKeyOut]:
        return self._client.call(SecretKeyPage, "GET", "/secret-keys").data

    def create(self, *, read_only: bool = False, idempotency_key: str | None = None) -> SecretKeyOut:
        """A new secret key; its ``key`` is in this answer only."""
        return self._client.call(SecretKeyOut, "POST", "/secret-keys", json={"readOnly": read_only},
                                 idempotency_key=idempotency_key)

    def revoke(self, prefix: str, *, idempotency_key: str | None = None) -> SecretKeyOut:
        return self._client.call(SecretKeyOut, "POST", f"/secret-keys/{_segment(prefix)}/revoke",
                                 idempotency_key=idempotency_key)


class Institutions(_Resource):
    """``/institutions`` (an operator's key only): the platform's customers."""

    def list(self) -> list[InstitutionOut]:
        return self._client.call(InstitutionPage, "GET", "/institutions").data

    def create(self, name: str, retention_days: int = 30, *, idempotency_key: str | None = None) -> InstitutionOut:
        return self._client.call(InstitutionOut, "POST", "/institutions", json={"name": name, "retentionDays": retention_days},
                                 idempotency_key=idempotency_key)
