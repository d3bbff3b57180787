"""An LTI 1.3 launch, strictly: the OIDC login Eye starts (``state`` bound to the browser by a
cookie, ``nonce`` remembered), then every check of the id_token the platform posts back —
signature by a key in the platform's JWKS, ``iss``/``aud``/``azp``, ``exp``/``iat``, the nonce
used once, a registered deployment, version 1.3.0, and each message's required claims.
Eye never relies on the platform being strict."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..store import LtiLogin, LtiPlatform
from ..store.models import aware, utcnow
from . import claims as c
from .platforms import for_launch

#: A login must come back within this; the clock skew allowed on ``iat``/``exp``.
LOGIN_SECONDS = 600
LEEWAY_SECONDS = 60


class LaunchRefused(Exception):
    """A login or launch Eye will not accept; the message says what was wrong (shown to the user)."""


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def start_login(db: Session, platform: LtiPlatform, redirect_uri: str, login_hint: str,
                message_hint: str | None) -> tuple[str, str]:
    """Remember a new login; returns (state for the browser's cookie, the platform's auth URL to
    send the browser to)."""
    if not login_hint:
        raise LaunchRefused("login_hint: the platform must send it (LTI 1.3 §5.1.1)")
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    db.execute(delete(LtiLogin).where(LtiLogin.created_at < utcnow() - dt.timedelta(seconds=LOGIN_SECONDS * 2)))
    db.add(LtiLogin(state_hash=_digest(state), nonce=nonce, platform_id=platform.id))
    query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
             "client_id": platform.client_id, "redirect_uri": redirect_uri, "login_hint": login_hint,
             "state": state, "nonce": nonce}
    if message_hint:
        query["lti_message_hint"] = message_hint
    separator = "&" if "?" in platform.auth_url else "?"
    return state, platform.auth_url + separator + urlencode(query)


class PlatformKeys:
    """The platforms' public keys, fetched from their JWKS URLs and cached; a ``kid`` not in the
    cache refetches (at most every ``refetch_seconds`` per URL, so forged kids cannot make Eye
    hammer a platform)."""

    def __init__(self, ttl_seconds: float = 3600, refetch_seconds: float = 10):
        self.ttl, self.refetch = ttl_seconds, refetch_seconds
        self._cache: dict[str, tuple[float, jwt.PyJWKSet]] = {}
        self._lock = threading.Lock()

    def _fetch(self, url: str) -> jwt.PyJWKSet:
        try:
            answer = httpx.get(url, timeout=10, follow_redirects=False)
            answer.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(answer.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as e:
            raise LaunchRefused(f"the platform's public keys could not be read from {url}: {str(e)[:200]}") from None
        with self._lock:
            self._cache[url] = (time.monotonic(), keys)
        return keys

    def key(self, url: str, kid: str) -> Any:
        """The public key ``kid`` of the platform whose JWKS is at ``url``."""
        with self._lock:
            cached = self._cache.get(url)
        age = time.monotonic() - cached[0] if cached is not None else None
        keys = cached[1] if cached is not None else None
        if age is None or keys is None or age >= self.ttl or (_find(keys, kid) is None and age >= self.refetch):
            keys = self._fetch(url)
        found = _find(keys, kid)
        if found is None:
            raise LaunchRefused(f"the id_token is signed by a key (kid {kid[:60]!r}) that is not among the platform's keys")
        return found


def _find(keys: jwt.PyJWKSet, kid: str) -> Any:
    return next((k.key for k in keys.keys if k.key_id == kid), None)


@dataclass(frozen=True)
class Launch:
    """A launch that passed every check: the registration (deployment) it came through, its message
    type and its claims."""

    platform: LtiPlatform
    message_type: str
    claims: dict[str, Any]

    @property
    def roles(self) -> list[str]:
        return [str(r) for r in self.claims.get(c.ROLES) or []]


def check_launch(db: Session, keys: PlatformKeys, id_token: str, state: str, cookie_state: str | None) -> Launch:
    """Every check of a launch; the login it answers is spent even when a later check fails (an
    id_token is never tried twice)."""
    if not state or not cookie_state or not hmac.compare_digest(state, cookie_state):
        raise LaunchRefused("state: the launch does not come back to the browser that started the login "
                            "(missing or different state; are third-party cookies blocked?)")
    login = db.get(LtiLogin, _digest(state))
    if login is None:
        raise LaunchRefused("state: Eye did not start this login (or it was removed)")
    if login.used_at is not None:
        raise LaunchRefused("this launch was used already: an id_token is accepted once")
    login.used_at = utcnow()
    db.flush()
    if aware(login.created_at) < utcnow() - dt.timedelta(seconds=LOGIN_SECONDS):
        raise LaunchRefused("the login took too long: start again from the course")
    started = db.get(LtiPlatform, login.platform_id)
    if started is None:
        raise LaunchRefused("the platform this login was for is no longer registered")
    if not id_token:
        raise LaunchRefused("id_token: the platform must post it")
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError:
        raise LaunchRefused("id_token: not a JWT") from None
    if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
        raise LaunchRefused(f"id_token: expected an RS256 signature with a kid, received alg {str(header.get('alg'))[:20]!r}")
    key = keys.key(started.jwks_url, header["kid"])
    try:
        token = jwt.decode(id_token, key, algorithms=["RS256"], audience=started.client_id, issuer=started.issuer,
                           leeway=LEEWAY_SECONDS, options={"require": ["exp", "iat", "iss", "aud", "nonce", "sub"]})
    except jwt.ExpiredSignatureError:
        raise LaunchRefused("id_token: expired") from None
    except jwt.InvalidAudienceError:
        raise LaunchRefused(f"id_token: aud is not Eye's client id {started.client_id!r} at this platform") from None
    except jwt.InvalidIssuerError:
        raise LaunchRefused(f"id_token: iss is not the platform's issuer {started.issuer!r}") from None
    except jwt.ImmatureSignatureError:
        raise LaunchRefused("id_token: issued in the future (iat)") from None
    except jwt.InvalidSignatureError:
        raise LaunchRefused("id_token: the signature does not match the platform's key") from None
    except jwt.MissingRequiredClaimError as e:
        raise LaunchRefused(f"id_token: the {e.claim} claim is missing") from None
    except jwt.PyJWTError as e:
        raise LaunchRefused(f"id_token: {str(e)[:200]}") from None
    audiences = token["aud"] if isinstance(token["aud"], list) else [token["aud"]]
    if (len(audiences) > 1 or "azp" in token) and token.get("azp") != started.client_id:
        raise LaunchRefused(f"id_token: azp must be Eye's client id {started.client_id!r} when aud names several")
    if not isinstance(token["nonce"], str) or not hmac.compare_digest(token["nonce"], login.nonce):
        raise LaunchRefused("id_token: the nonce is not the one of this login")
    if token.get(c.VERSION) != "1.3.0":
        raise LaunchRefused(f"id_token: expected LTI version 1.3.0, received {str(token.get(c.VERSION))[:20]!r}")
    deployment = token.get(c.DEPLOYMENT_ID)
    platform = for_launch(db, started.issuer, started.client_id, deployment) if isinstance(deployment, str) else None
    if platform is None:
        raise LaunchRefused(f"id_token: deployment {str(deployment)[:80]!r} is not registered with Eye for this platform")
    message_type = token.get(c.MESSAGE_TYPE)
    if message_type not in c.REQUIRED:
        raise LaunchRefused(f"id_token: Eye does not accept the message type {str(message_type)[:60]!r} "
                            f"(it accepts {', '.join(c.REQUIRED)})")
    missing = [name.rsplit("/", 1)[-1] for name in c.REQUIRED[message_type] if not token.get(name)]
    if missing:
        raise LaunchRefused(f"id_token: a {message_type} must carry {', '.join(missing)}")
    return Launch(platform, message_type, token)
