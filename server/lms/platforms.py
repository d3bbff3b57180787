"""Registering an LMS as an LTI 1.3 platform of an institution (``eye lti add-platform``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..access.institutions import institution_named
from ..access.users import ROLES
from ..store import LtiLogin, LtiPlatform

#: What an LMS role may map to: a dashboard role, or ``none`` (not signed in).
MAPPABLE = (*ROLES, "none")


class PlatformError(ValueError):
    """A registration refused; the message names the field and what was wrong."""


def acceptable_url(value: object) -> bool:
    """An https:// URL (http:// only on localhost): what Eye accepts from an LMS to call or post to."""
    parts = urlsplit(value if isinstance(value, str) else "")
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    return parts.scheme in ("https", "http") and bool(parts.hostname) and (parts.scheme == "https" or local)


def _url(field: str, value: str) -> str:
    if not acceptable_url(value):
        raise PlatformError(f"{field}: expected an https:// URL (http:// only on localhost), received {value[:200]!r}")
    return value


def add_platform(db: Session, institution: str, *, issuer: str, client_id: str, deployment_id: str, auth_url: str,
                 jwks_url: str, token_url: str | None = None, instructor_role: str = "reviewer",
                 administrator_role: str = "admin", exam_seconds: float = 3 * 3600) -> LtiPlatform:
    """Register the platform for ``institution`` (which must exist); ``instructor_role`` and
    ``administrator_role`` map LMS roles to dashboard roles (``none``: not signed in);
    ``exam_seconds``: how long an attempt may last."""
    for field, role in (("instructor-role", instructor_role), ("administrator-role", administrator_role)):
        if role not in MAPPABLE:
            raise PlatformError(f"{field}: expected one of {', '.join(MAPPABLE)}, received {role!r}")
    if not 60 <= exam_seconds <= 7 * 24 * 3600:
        raise PlatformError(f"exam-seconds: expected 60 to 604800 seconds, received {exam_seconds:g}")
    for field, value in (("issuer", issuer), ("client-id", client_id), ("deployment-id", deployment_id)):
        if not value.strip() or len(value) > 255:
            raise PlatformError(f"{field}: expected 1 to 255 characters, received {len(value)}")
    taken = db.scalar(select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id,
                                                LtiPlatform.deployment_id == deployment_id))
    if taken is not None:
        raise PlatformError(f"issuer {issuer!r} with client id {client_id!r} and deployment {deployment_id!r} is "
                            f"registered already (platform {taken.id})")
    if urlsplit(issuer).scheme not in ("https", "http"):
        raise PlatformError(f"issuer: expected the platform's issuer URL, received {issuer[:200]!r}")
    platform = LtiPlatform(institution=institution_named(db, institution, False), issuer=issuer, client_id=client_id,
                           deployment_id=deployment_id, auth_url=_url("auth-url", auth_url),
                           jwks_url=_url("jwks-url", jwks_url), token_url=_url("token-url", token_url) if token_url else None,
                           instructor_role=instructor_role, administrator_role=administrator_role,
                           exam_seconds=float(exam_seconds))
    db.add(platform)
    db.flush()
    return platform


def platforms(db: Session, institution_id: int | None = None) -> list[LtiPlatform]:
    """Every registration (of one institution, if given), oldest first."""
    query = select(LtiPlatform).order_by(LtiPlatform.id)
    if institution_id is not None:
        query = query.where(LtiPlatform.institution_id == institution_id)
    return list(db.scalars(query))


def tool_urls(public_url: str) -> dict[str, str]:
    """What an LMS administrator pastes into the LMS for Eye's tool (``public_url`` in front)."""
    base = public_url.rstrip("/")
    return {"Login (OIDC initiation) URL": f"{base}/lti/login", "Redirect / launch (target link) URL": f"{base}/lti/launch",
            "Public keyset (JWKS) URL": f"{base}/lti/jwks.json", "Domain": base.split("://", 1)[-1]}


def remove_platform(db: Session, platform_id: int) -> LtiPlatform:
    """Unregister: launches from it are refused from now on (its pending logins go too)."""
    platform = db.get(LtiPlatform, platform_id)
    if platform is None:
        raise PlatformError(f"no LTI platform {platform_id} (see `eye lti list`)")
    db.execute(delete(LtiLogin).where(LtiLogin.platform_id == platform.id))
    db.delete(platform)
    return platform


def for_login(db: Session, issuer: str, client_id: str | None, deployment_id: str | None) -> LtiPlatform | None:
    """A registration a login from ``issuer`` may be for (its ``client_id`` and ``lti_deployment_id``
    narrow it when the platform sends them); None when none fits, or registrations with different
    client ids do (the launch's id_token then says which deployment it is: ``for_launch``)."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    if deployment_id:
        query = query.where(LtiPlatform.deployment_id == deployment_id)
    found = list(db.scalars(query.order_by(LtiPlatform.id)))
    return found[0] if found and len({p.client_id for p in found}) == 1 else None


def for_launch(db: Session, issuer: str, client_id: str, deployment_id: str) -> LtiPlatform | None:
    """The registration exactly this issuer, client id and deployment make; None if none."""
    return db.scalar(select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id,
                                               LtiPlatform.deployment_id == deployment_id))
