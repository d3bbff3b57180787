"""Flag webhooks: each new flag is POSTed as JSON to its institution's webhook URL, signed.

Durable and at least once: the event writer puts a row in the outbox (``webhook_outbox``) in the
same transaction as the flag, and the delivery worker drains it with retries over about 24 h
(``SCHEDULE``, jittered), then marks it ``dead``; a restart or crash loses nothing. Ingestion
never waits for a receiver.

Bodies (docs/webhooks.md has an example of each): ``Flag`` (the vendor's fields and
``sessionId``), ``SessionEnded`` when a session ends (by the widget, the platform, or abandoned),
``ReviewCompleted`` when a reviewer clears or escalates it. Headers: ``X-Eye-Timestamp: UNIX``,
``X-Eye-Signature: sha256=HEX`` where HEX = HMAC-SHA256(secret, "UNIX." + body), and
``X-Eye-Delivery`` (the flag id, or the review's delivery id: a receiver may see a delivery
twice, so it dedupes on it). Each
attempt has a 5 s timeout and is logged with its outcome class.

A webhook cannot be turned against the host: only http(s); the host is resolved and every address
must be public (loopback, private, link-local, multicast, unspecified, reserved, shared and
documentation ranges are refused, IPv4 and IPv6, mapped forms too) unless the operator allowed
it (``EYE_WEBHOOK_ALLOW_HOSTS``); the check runs when the URL is saved and again at each delivery,
and the connection goes to the address that was checked (no DNS-rebinding window). Redirects are
not followed. Deliveries of sessions deleted meanwhile are dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import secrets
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable, cast
from urllib.parse import urlsplit

from sqlalchemy import CursorResult, func, select, update

from .outcomes.records import flag_counts, score_of, timeline
from .outcomes.review import end_abandoned, reviewer_name
from .store import Database, Event, ExamSession, Institution, WebhookDelivery, WebhookOutbox
from .store.models import aware, iso, utcnow

TIMEOUT = 5.0
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookTargetError(ValueError):
    """The webhook URL may not be used (says why, without revealing anything about the network)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def _public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return _public(embedded)
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified
                                      or address.is_loopback or address.is_link_local or address.is_private)


def _allowed(host: str, address: IpAddress, allow: Iterable[str]) -> bool:
    for entry in allow:
        entry = entry.strip().lower()
        if not entry:
            continue
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            if host == entry:
                return True
    return False


def check_target(url: str, allow: Iterable[str] = ()) -> tuple[str, int, list[str]]:
    """``(host, port, addresses)`` a webhook may be delivered to, or WebhookTargetError."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookTargetError("expected an http(s) URL with a valid host and port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookTargetError("expected an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise WebhookTargetError("credentials in the URL are not allowed; the signature authenticates Eye")
    host = parts.hostname.lower()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise WebhookTargetError(f"the host {host} could not be resolved") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    allow = list(allow)
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%")[0])
        if not _public(address) and not _allowed(host, address, allow):
            raise WebhookTargetError(f"the host {host} is not a public address; the server operator can allow "
                                     "on-premise receivers with EYE_WEBHOOK_ALLOW_HOSTS")
    if not addresses:
        raise WebhookTargetError(f"the host {host} could not be resolved")
    return host, port, addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address while speaking to ``host`` (Host header)."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: certificate and SNI checked against ``host``, not the address."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def outcome(status: int | None, error: Exception | None) -> str:
    """What the delivery log shows: a class of outcome, never the remote's error text."""
    if status is not None:
        if 200 <= status < 300:
            return "delivered"
        if 300 <= status < 400:
            return "redirect (not followed)"
        return "refused by the receiver" if status < 500 else "receiver error"
    if isinstance(error, WebhookTargetError):
        return "blocked address"
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(error, ssl.SSLError):
        return "TLS failure"
    return "no connection"


def post(url: str, data: bytes, headers: dict[str, str], allow: Iterable[str], timeout: float) -> int:
    """POST ``data`` to ``url`` after checking its addresses; returns the HTTP status (no redirects)."""
    host, port, addresses = check_target(url, allow)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(host, port, addresses[0], timeout)
    try:
        connection.request("POST", path, body=data, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


#: Seconds before attempts 2, 3, ...: quick retries for a blip, then minutes, then hours, about
#: 24 h in all; after the last one the delivery is ``dead`` (the dashboard can redeliver it).
SCHEDULE = (1.0, 2.0, 4.0, 60.0, 300.0, 900.0, 3600.0, 3 * 3600.0, 6 * 3600.0, 12 * 3600.0)
#: How long a worker holds a claimed delivery before another may take it: longer than one attempt
#: (a 5 s timeout), short enough that a crashed worker's claims are retried soon after.
LEASE = dt.timedelta(seconds=4 * TIMEOUT)
BATCH = 20
#: How often each delivery worker ends abandoned sessions (cheap: one indexed query of open sessions).
SWEEP_SECONDS = 60.0


class Webhooks:
    """The delivery worker: takes due rows of the outbox (``SELECT … FOR UPDATE SKIP LOCKED`` on
    PostgreSQL, so several workers share the work; a lease marks a claim on every database),
    delivers them at least once, and reschedules or finishes each. Runs in ``eye serve`` and,
    for separate processes, as ``eye worker``."""

    def __init__(self, db: Database, media_links: Any, public_url: str, *, allow: Iterable[str] = (),
                 schedule: tuple[float, ...] = SCHEDULE, timeout: float = TIMEOUT, workers: int = 8):
        self.db = db
        self.media_links = media_links
        self.public_url = public_url
        self.allow = tuple(allow)
        self.schedule = tuple(schedule)
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eye-webhook")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- running ----------------------------------------------------------------------------
    def start(self) -> "Webhooks":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="eye-webhook-worker", daemon=True)
            self._thread.start()
        return self

    def wake(self) -> None:
        """New flags were committed: look for due deliveries now rather than at the next poll."""
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def sweep_now(self) -> list[str]:
        """End the sessions abandoned past their planned end (``review.end_abandoned``), so they
        enter the review queue; every instance's worker does this each ``SWEEP_SECONDS``."""
        with self.db.session() as s:
            ended = end_abandoned(s)
        if ended:
            logging.getLogger("eye").info("ended %d abandoned session(s)", len(ended))
        return ended

    def _run(self) -> None:
        next_sweep = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + SWEEP_SECONDS
                    self.sweep_now()
                done = self.run_once()
            except Exception:  # a database hiccup: log it and try again shortly
                logging.getLogger("eye").exception("webhook worker: a round failed")
                done = 0
            if not done:
                self._wake.wait(self._until_next_due())
                self._wake.clear()

    def _until_next_due(self) -> float:
        with self.db.session() as s:
            due = s.scalar(select(func.min(WebhookOutbox.next_attempt_at)).where(WebhookOutbox.state == "pending"))
        if due is None:
            return 1.0
        return min(1.0, max(0.02, (aware(due) - utcnow()).total_seconds()))

    def run_once(self) -> int:
        """Claim the due deliveries and make one attempt at each; returns how many."""
        claimed = self._claim()
        if claimed:
            list(self._pool.map(self._attempt, claimed))
        return len(claimed)

    def _claim(self) -> list[int]:
        now = utcnow()
        with self.db.session() as s:
            rows = s.execute(select(WebhookOutbox.id, WebhookOutbox.next_attempt_at)
                             .where(WebhookOutbox.state == "pending", WebhookOutbox.next_attempt_at <= now)
                             .order_by(WebhookOutbox.next_attempt_at).limit(BATCH)
                             .with_for_update(skip_locked=True)).all()
            claimed = []
            for row in rows:  # the lease: a conditional update, so two processes never claim one row
                taken = cast("CursorResult[Any]", s.execute(
                    update(WebhookOutbox)
                    .where(WebhookOutbox.id == row.id, WebhookOutbox.next_attempt_at == row.next_attempt_at)
                    .values(next_attempt_at=now + LEASE))).rowcount
                if taken:
                    claimed.append(row.id)
        return claimed

    # --- one attempt --------------------------------------------------------------------------
    def _attempt(self, outbox_id: int) -> None:
        with self.db.session() as s:
            item = s.get(WebhookOutbox, outbox_id)
            if item is None:
                return
            found = {"review": self._review_delivery, "ended": self._end_delivery}.get(item.kind, self._flag_delivery)(s, item)
            if found is None:  # the session (or candidate) was deleted meanwhile: nothing to announce
                s.delete(item)
                return
            url, secret, body = found
            if not url or not secret:  # nothing is sent unsigned
                item.state, item.outcome = "dead", "no webhook set"
                return
            session_id, flag_id, attempt = item.session_id, item.event_client_id, item.attempts + 1
            institution_id = item.institution_id
        data = json.dumps(body, separators=(",", ":")).encode()
        timestamp = int(time.time())
        status: int | None = None
        error: Exception | None = None
        try:
            status = post(url, data, {
                "Content-Type": "application/json",
                "User-Agent": "Eye-Webhooks/1",
                "X-Eye-Timestamp": str(timestamp),
                "X-Eye-Signature": sign(secret, timestamp, data),
                "X-Eye-Delivery": flag_id,
            }, self.allow, self.timeout)
        except Exception as e:  # timeouts, refused connections, DNS, blocked addresses: logged, retried
            error = e
        result = outcome(status, error)
        with self.db.session() as s:
            item = s.get(WebhookOutbox, outbox_id)
            if item is None or s.get(ExamSession, session_id) is None:
                return
            s.add(WebhookDelivery(institution_id=institution_id, session_id=session_id, event_client_id=flag_id,
                                  attempt=attempt, status=status, error=result))
            item.attempts, item.outcome = attempt, result
            if result == "delivered":
                item.state = "delivered"
            elif attempt > len(self.schedule):
                item.state = "dead"
            else:
                delay = self.schedule[attempt - 1] * random.uniform(1.0, 1.2)  # noqa: S311 (jitter, not security)
                item.next_attempt_at = utcnow() + dt.timedelta(seconds=delay)

    def _flag_delivery(self, s: Any, item: WebhookOutbox) -> tuple[str | None, str | None, dict[str, Any]] | None:
        """Where a flag goes and what is said: the vendor's Flag body; None if it is gone."""
        found = s.execute(
            select(Institution.webhook_url, Institution.webhook_secret, ExamSession.origin,
                   ExamSession.assessment_id, ExamSession.candidate_id, Event.type, Event.created_at, Event.payload)
            .join(ExamSession, ExamSession.institution_id == Institution.id)
            .join(Event, (Event.session_id == ExamSession.id) & (Event.client_id == item.event_client_id))
            .where(ExamSession.id == item.session_id)).first()
        if found is None:
            return None
        payload = found.payload or {}
        return found.webhook_url, found.webhook_secret, {
            "event": "Flag",
            "flagId": item.event_client_id,
            "sessionId": item.session_id,
            "candidateId": found.candidate_id,
            "examId": found.assessment_id,
            "type": found.type,
            "mediaUrl": (self.media_links.url(self.public_url, item.session_id, item.event_client_id)
                         if payload.get("media") else None),
            "domain": urlsplit(found.origin).netloc,
            "description": payload.get("description", ""),
            "createdAt": iso(found.created_at),
        }

    def _review_delivery(self, s: Any, item: WebhookOutbox) -> tuple[str | None, str | None, dict[str, Any]] | None:
        """A completed review: the session's state, score after review, the confirmed flags, the
        reviewer's note, who decided and when (read now, so a later change is what is sent)."""
        session = s.get(ExamSession, item.session_id)
        if session is None:
            return None
        institution = s.get(Institution, session.institution_id)
        events = timeline(s, session)
        confirmed = [{"flagId": e["id"], "type": e["type"], "createdAt": e["createdAt"]}
                     for e in events if e["verdict"] and e["verdict"]["verdict"] == "confirmed"]
        reviewer = reviewer_name(s, session)
        return institution.webhook_url, institution.webhook_secret, {
            "event": "ReviewCompleted",
            "deliveryId": item.event_client_id,
            "sessionId": session.id,
            "candidateId": session.candidate_id,
            "examId": session.assessment_id,
            "state": session.review_state,
            "score": score_of(session, events)[0],
            "confirmedFlags": confirmed,
            "note": session.review_note or "",
            "reviewer": reviewer,
            "decidedAt": iso(session.reviewed_at) if session.reviewed_at else None,
        }


    def _end_delivery(self, s: Any, item: WebhookOutbox) -> tuple[str | None, str | None, dict[str, Any]] | None:
        """A session ended: why and when, its score as it stands (read now), its flags by type and
        its review state; a platform needs no person to learn the result."""
        session = s.get(ExamSession, item.session_id)
        if session is None:
            return None
        institution = s.get(Institution, session.institution_id)
        events = timeline(s, session)
        counts = flag_counts(s, [session.id]).get(session.id, {})
        return institution.webhook_url, institution.webhook_secret, {
            "event": "SessionEnded",
            "deliveryId": item.event_client_id,
            "sessionId": session.id,
            "candidateId": session.candidate_id,
            "examId": session.assessment_id,
            "reason": session.end_reason,
            "startedAt": iso(session.started_at),
            "endedAt": iso(session.ended_at) if session.ended_at else None,
            "score": score_of(session, events)[0],
            "flagCounts": counts,
            "reviewState": session.review_state,
            "concurrent": session.concurrent,
        }


def new_secret() -> str:
    """A webhook signing secret (shown once)."""
    return "whsec_" + secrets.token_urlsafe(32)


def set_url(institution: Institution, url: str | None, allow: Iterable[str]) -> str | None:
    """Point the institution's webhook at ``url`` (None: no webhook) after checking the target;
    WebhookTargetError if it may not be used. Returns the signing secret made for a first webhook
    (shown once), else None (the secret stays)."""
    url = (url or "").strip() or None
    if url:
        check_target(url, allow)
    institution.webhook_url = url
    if url and not institution.webhook_secret:
        institution.webhook_secret = made = new_secret()
        return made
    return None


def redeliver(db_session: Any, institution_id: int, outbox_id: int) -> bool:
    """Queue a delivery again (a dead one, or one the receiver lost); False if not this institution's."""
    item = db_session.get(WebhookOutbox, outbox_id)
    if item is None or item.institution_id != institution_id:
        return False
    item.state, item.attempts, item.next_attempt_at = "pending", 0, utcnow()
    return True
