"""API keys: publishable keys (``eye_…``, in exam pages) with their registered domains and launch
secrets, and secret keys (``eye_sk_…``, on an exam platform's server, for the platform API).
Each is shown once, stored as its SHA-256, revocable and rotatable."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store import ApiKey, KeyDomain, SecretKey
from .institutions import UnknownInstitution, institution_named

MAX_DOMAINS = 5
KEY_PREFIX = "eye_"
SECRET_PREFIX = "eye_sk_"  # noqa: S105 (how every secret key begins, not a secret)


class KeyRequestError(ValueError):
    """A key could not be created as asked (bad domain, too many domains)."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_domain(domain: str) -> str:
    """``HOST[:PORT]`` lower-cased; a scheme or path is refused rather than guessed away."""
    d = domain.strip().lower()
    if not d or "/" in d or "@" in d or " " in d:
        raise KeyRequestError(f"domain {domain!r}: expected HOST or HOST:PORT (e.g. exams.example.edu, localhost:5173)")
    host, _, port = d.rpartition(":") if d.count(":") == 1 else (d, "", "")
    if port and not port.isdigit():
        raise KeyRequestError(f"domain {domain!r}: the port must be a number")
    return d


def origin_host(origin: str | None) -> str | None:
    """``http://Host:5173`` → ``host:5173`` (``None`` for a missing or opaque origin)."""
    if not origin or origin == "null":
        return None
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname


def domain_matches(domain: str, origin: str | None) -> bool:
    """A domain with a port matches that host and port; without a port, that host on any port."""
    host_port = origin_host(origin)
    if host_port is None:
        return False
    if ":" in domain:
        return host_port == domain
    return host_port.split(":")[0] == domain


def create_key(db: Session, institution_name: str, domains: list[str], create_institution: bool = True) -> str:
    """Create a key for ``institution_name`` (created if new and ``create_institution``); returns
    the secret, shown once."""
    normalized = list(dict.fromkeys(normalize_domain(d) for d in domains))
    if not normalized:
        raise KeyRequestError("a key needs at least one --domain")
    if len(normalized) > MAX_DOMAINS:
        raise KeyRequestError(f"a key may list at most {MAX_DOMAINS} domains, received {len(normalized)}")
    try:
        institution = institution_named(db, institution_name, create_institution)
    except UnknownInstitution as e:
        raise KeyRequestError(str(e)) from None
    secret = _new_secret()
    key = ApiKey(institution=institution, key_hash=digest(secret), prefix=secret[:12])
    key.domains = [KeyDomain(domain=d) for d in normalized]
    db.add(key)
    db.flush()
    return secret


def add_domain(key: ApiKey, domain: str) -> str:
    """Let ``key`` start sessions from one more page origin too (at most ``MAX_DOMAINS`` in all);
    returns the domain as stored."""
    wanted = normalize_domain(domain)
    if wanted in [d.domain for d in key.domains]:
        return wanted
    if len(key.domains) >= MAX_DOMAINS:
        raise KeyRequestError(f"a key may list at most {MAX_DOMAINS} domains; {key.prefix}… has "
                              f"{len(key.domains)} (remove one, or create another key)")
    key.domains.append(KeyDomain(domain=wanted))
    return wanted


def remove_domain(key: ApiKey, domain: str) -> str:
    """``key`` no longer starts sessions from ``domain`` (live sessions go on); a key keeps at
    least one domain (revoke it instead). Returns the domain removed."""
    wanted = normalize_domain(domain)
    found = [d for d in key.domains if d.domain == wanted]
    if not found:
        raise KeyRequestError(f"{key.prefix}… does not list {wanted} (it lists "
                              f"{', '.join(d.domain for d in key.domains)})")
    if len(key.domains) == 1:
        raise KeyRequestError(f"a key needs at least one domain: revoke {key.prefix}… instead")
    key.domains.remove(found[0])
    return wanted


def _new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _new_launch_secret() -> str:
    return "eyl_" + secrets.token_urlsafe(32)


def find_key(db: Session, secret: str) -> ApiKey | None:
    key = db.scalar(select(ApiKey).where(ApiKey.key_hash == digest(secret)))
    if key is None or key.revoked_at is not None:
        return None
    return key


def revoke_key(key: ApiKey | SecretKey) -> None:
    """From now on the key is refused (``init`` with INVALID_API_KEY, the platform API with
    INVALID_SECRET_KEY); the first revocation time stays."""
    from ..store.models import utcnow

    key.revoked_at = key.revoked_at or utcnow()


@dataclass(frozen=True)
class Rotated:
    """A rotated key's replacement: its secret and, if the old key required launch tokens, its new
    launch secret (both shown once)."""

    secret: str
    launch_secret: str | None


#: Columns a replacement does not take from the key it replaces; every other column is copied, so
#: a property added to ``ApiKey`` later survives rotation without a change here.
_NOT_INHERITED = frozenset({"id", "key_hash", "prefix", "created_at", "revoked_at", "launch_secret"})


def rotate_key(db: Session, old: ApiKey) -> Rotated:
    """A replacement for ``old`` with every one of its properties (institution, domains, the
    launch-token requirement, ...) but a new secret and, where launch tokens are on, a new launch
    secret (the old one may have leaked with the key). The old key is revoked at once."""
    secret = _new_secret()
    copied = {c.key: getattr(old, c.key) for c in ApiKey.__table__.columns if c.key not in _NOT_INHERITED}
    key = ApiKey(**copied, key_hash=digest(secret), prefix=secret[:12],
                 launch_secret=_new_launch_secret() if old.launch_secret else None)
    key.domains = [KeyDomain(domain=d.domain) for d in old.domains]
    db.add(key)
    revoke_key(old)
    db.flush()
    return Rotated(secret, key.launch_secret)


def create_secret_key(db: Session, institution_name: str | None, read_only: bool = False) -> str:
    """A secret key for ``institution_name`` (which must exist) or, with None, an operator's key
    (any institution, named per request; may create institutions). Returns the key, shown once."""
    institution = None
    if institution_name is not None:
        try:
            institution = institution_named(db, institution_name, False)
        except UnknownInstitution as e:
            raise KeyRequestError(str(e)) from None
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    db.add(SecretKey(institution=institution, key_hash=digest(secret), prefix=secret[:14], read_only=read_only,
                     operator=institution is None))
    db.flush()
    return secret


def rotate_secret_key(db: Session, old: SecretKey) -> str:
    """A replacement for the secret key ``old`` (same institution, same read-only setting); the
    old one is revoked at once. Returns the new key, shown once."""
    secret = create_secret_key(db, old.institution.name if old.institution else None, old.read_only)
    revoke_key(old)
    return secret


def find_secret_key(db: Session, secret: str) -> SecretKey | None:
    """The live secret key ``secret`` is, or None (unknown, revoked, or not a secret key at all)."""
    key = db.scalar(select(SecretKey).where(SecretKey.key_hash == digest(secret)))
    return key if key is not None and key.revoked_at is None else None


def find_secret_by_prefix(db: Session, prefix: str) -> SecretKey | None:
    """A secret key by the first characters ``eye keys list`` shows."""
    matches = db.scalars(select(SecretKey).where(SecretKey.prefix.startswith(prefix))).all()
    return matches[0] if len(matches) == 1 else None


def find_by_prefix(db: Session, prefix: str) -> ApiKey | None:
    """A key by the first characters shown in listings (``eye keys list``)."""
    matches = db.scalars(select(ApiKey).where(ApiKey.prefix.startswith(prefix))).all()
    return matches[0] if len(matches) == 1 else None


#: Launch tokens may not be valid for longer than this (the platform mints one per exam start).
MAX_LAUNCH_TOKEN_SECONDS = 24 * 3600


class LaunchTokenError(ValueError):
    """The launch token is missing, forged, expired or for another exam or candidate."""


def enable_launch_tokens(db: Session, secret: str) -> str:
    """Make the key ``secret`` require launch tokens; returns the new launch secret (shown once)."""
    key = find_key(db, secret)
    if key is None:
        raise KeyRequestError("no such key")
    key.launch_secret = _new_launch_secret()
    key.require_launch_token = True
    return key.launch_secret


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_launch_token(launch_secret: str, assessment_id: str, candidate_id: str, exp: int, *,
                      max_duration: int | None) -> str:
    """The recipe an exam platform's backend follows (docs/security.md shows it in Python and Node):
    ``B64URL(JSON) + "." + B64URL(HMAC-SHA256(launch secret, B64URL(JSON)))``. ``max_duration``
    (seconds) is the longest ``examDuration`` the token allows; ``None`` leaves the claim out (which
    the server refuses: only tests want that)."""
    claims: dict[str, object] = {"assessmentId": assessment_id, "candidateId": candidate_id, "exp": exp}
    if max_duration is not None:
        claims["maxDuration"] = max_duration
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return body + "." + _b64(hmac.new(launch_secret.encode(), body.encode(), hashlib.sha256).digest())


def check_launch_token(key: ApiKey, token: object, assessment_id: str, candidate_id: str, exam_duration: float,
                       now: float | None = None) -> None:
    """Nothing if ``token`` was signed with the key's launch secret for this assessment and
    candidate, has not expired, and allows ``exam_duration`` seconds (its ``maxDuration``);
    LaunchTokenError (saying which) otherwise."""
    if not key.launch_secret:
        raise LaunchTokenError("this key has no launch secret")
    if not isinstance(token, str) or token.count(".") != 1:
        raise LaunchTokenError("launchToken is missing or not of the form PAYLOAD.SIGNATURE")
    body, signature = token.split(".")
    expected = _b64(hmac.new(key.launch_secret.encode(), body.encode(), hashlib.sha256).digest())
    # as bytes: compare_digest refuses a str with characters outside ASCII (an attacker's choice)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise LaunchTokenError("launchToken is not signed with this key's launch secret")
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        exp = float(claims["exp"])
    except (ValueError, KeyError, TypeError):
        raise LaunchTokenError("launchToken's payload is not {assessmentId, candidateId, exp, maxDuration}") from None
    now = time.time() if now is None else now
    if not now < exp <= now + MAX_LAUNCH_TOKEN_SECONDS:
        raise LaunchTokenError("launchToken has expired" if exp <= now else "launchToken's exp is too far ahead (24 h at most)")
    if claims.get("assessmentId") != assessment_id or claims.get("candidateId") != candidate_id:
        raise LaunchTokenError("launchToken was issued for another assessment or candidate")
    allowed = claims.get("maxDuration")
    if isinstance(allowed, bool) or not isinstance(allowed, (int, float)) or not allowed > 0:
        raise LaunchTokenError("launchToken has no maxDuration claim (the exam's longest duration in seconds, "
                               "so a candidate cannot declare a longer exam)")
    if exam_duration > allowed:
        raise LaunchTokenError(f"examDuration {exam_duration:g} s is longer than the launchToken allows "
                               f"(maxDuration {allowed:g} s)")
