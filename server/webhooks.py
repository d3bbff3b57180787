"""Flag webhooks: each new flag is POSTed as JSON to its institution's webhook URL, signed, with
retries, on background threads — ingestion only enqueues and never waits for a receiver.

Body (the vendor's fields): ``{event: "Flag", flagId, candidateId, examId, type, mediaUrl,
domain, description, createdAt}``. Headers: ``X-Eye-Timestamp: UNIX``,
``X-Eye-Signature: sha256=HEX`` where HEX = HMAC-SHA256(secret, "UNIX." + body), and
``X-Eye-Delivery`` (the flag id: receivers dedupe on it). Up to 3 attempts, 1 s then 2 s apart
(timeout 5 s each); every attempt is logged with its outcome class.

A webhook cannot be turned against the host: only http(s); the host is resolved and every address
must be public (loopback, private, link-local, multicast, unspecified, reserved, shared and
documentation ranges are refused, IPv4 and IPv6, mapped forms too) unless the operator allowed
it (``EYE_WEBHOOK_ALLOW_HOSTS``); the check runs when the URL is saved and again at each delivery,
and the connection goes to the address that was checked (no DNS-rebinding window). Redirects are
not followed. Deliveries of sessions deleted meanwhile are dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable
from urllib.parse import urlsplit

from sqlalchemy import select

from widget.events import FLAGS

from .store import Database, ExamSession, Institution, WebhookDelivery

DELAYS = (1.0, 2.0)  # before attempts 2 and 3
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
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
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
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


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


class Webhooks:
    def __init__(self, db: Database, media_links: Any, public_url: str, *, allow: Iterable[str] = (), workers: int = 8,
                 delays: tuple[float, ...] = DELAYS, timeout: float = TIMEOUT):
        self.db = db
        self.media_links = media_links
        self.public_url = public_url
        self.allow = tuple(allow)
        self.delays = delays
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eye-webhook")

    def flags_stored(self, session_id: str, rows: list[dict[str, Any]]) -> None:
        """Called after events were committed: queue a delivery for each new flag (non-blocking)."""
        flags = [r for r in rows if r["type"] in FLAGS]
        if flags:
            self._pool.submit(self._prepare, session_id, flags)

    def _target(self, session_id: str) -> Any:
        """The institution's webhook for a session; None if the session is gone or has none."""
        with self.db.session() as s:
            return s.execute(
                select(Institution.id, Institution.webhook_url, Institution.webhook_secret, ExamSession.origin,
                       ExamSession.assessment_id, ExamSession.candidate_id)
                .join(ExamSession, ExamSession.institution_id == Institution.id)
                .where(ExamSession.id == session_id)
            ).first()

    def _prepare(self, session_id: str, flags: list[dict[str, Any]]) -> None:
        row = self._target(session_id)
        if row is None or not row.webhook_url or not row.webhook_secret:
            return  # nothing is sent unsigned
        for flag in flags:
            payload = flag.get("payload") or {}
            body = {
                "event": "Flag",
                "flagId": flag["client_id"],
                "candidateId": row.candidate_id,
                "examId": row.assessment_id,
                "type": flag["type"],
                "mediaUrl": self.media_links.url(self.public_url, session_id, flag["client_id"]) if payload.get("media") else None,
                "domain": urlsplit(row.origin).netloc,
                "description": payload.get("description", ""),
                "createdAt": flag["created_at"].isoformat().replace("+00:00", "Z"),
            }
            self._pool.submit(self._deliver, session_id, flag["client_id"], body)

    def _deliver(self, session_id: str, flag_id: str, body: dict[str, Any]) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        for attempt in range(1, len(self.delays) + 2):
            row = self._target(session_id)  # read again: the session may be deleted, the webhook changed
            if row is None or not row.webhook_url or not row.webhook_secret:
                return
            timestamp = int(time.time())
            status: int | None = None
            error: Exception | None = None
            try:
                status = post(row.webhook_url, data, {
                    "Content-Type": "application/json",
                    "User-Agent": "Eye-Webhooks/1",
                    "X-Eye-Timestamp": str(timestamp),
                    "X-Eye-Signature": sign(row.webhook_secret, timestamp, data),
                    "X-Eye-Delivery": flag_id,
                }, self.allow, self.timeout)
            except Exception as e:  # timeouts, refused connections, DNS, blocked addresses: logged, retried
                error = e
            with self.db.session() as s:
                if s.get(ExamSession, session_id) is None:
                    return
                s.add(WebhookDelivery(institution_id=row.id, session_id=session_id, event_client_id=flag_id,
                                      attempt=attempt, status=status, error=outcome(status, error)))
            if status is not None and 200 <= status < 300:
                return
            if attempt <= len(self.delays):
                time.sleep(self.delays[attempt - 1])

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
