"""Registering an LMS as an LTI 1.3 platform of an institution (``eye lti add-platform``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..institutions import institution_named
from ..store import LtiLogin, LtiPlatform


class PlatformError(ValueError):
    """A registration refused; the message names the field and what was wrong."""


def _url(field: str, value: str) -> str:
    parts = urlsplit(value)
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme not in ("https", "http") or not parts.hostname or (parts.scheme == "http" and not local):
        raise PlatformError(f"{field}: expected an https:// URL (http:// only on localhost), received {value[:200]!r}")
    return value


def add_platform(db: Session, institution: str, *, issuer: str, client_id: str, deployment_id: str, auth_url: str,
                 jwks_url: str, token_url: str | None = None) -> LtiPlatform:
    """Register the platform for ``institution`` (which must exist)."""
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
                           jwks_url=_url("jwks-url", jwks_url), token_url=_url("token-url", token_url) if token_url else None)
    db.add(platform)
    db.flush()
    return platform


def platforms(db: Session) -> list[LtiPlatform]:
    return list(db.scalars(select(LtiPlatform).order_by(LtiPlatform.id)))


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
