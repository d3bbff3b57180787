"""Provisioning through the platform API: a platform sets up an institution's whole Eye without a
shell on the server — its webhook (and signing secret), publishable keys with their domains and
launch-token requirement, reviewer invitations, and further secret keys. Secrets are shown once,
in the answer that makes them; every change is audited with the key's prefix as the actor; one
institution's keys and accounts are never another's (404). docs/platform-api.md is the reference."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from eye.answers import (
    Account,
    AccountPage,
    InstitutionOut,
    InstitutionPage,
    PublishableKey,
    PublishableKeyPage,
    SecretKeyOut,
    SecretKeyPage,
    Webhook,
)

from .. import webhooks
from ..access import keys, users
from ..outcomes import review
from ..store import ApiKey, Institution, SecretKey, User
from ..store.models import iso
from ..web.middleware import client_address
from .auth import SecretAuth
from .errors import ApiError, errors
from .platform import Caller, caller

router = APIRouter(prefix="/api/v1")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookIn(Strict):
    url: str | None


class KeyIn(Strict):
    domains: list[str]
    requireLaunchToken: bool = False  # noqa: N815 (the API's name)


class UserIn(Strict):
    email: str
    role: str = "reviewer"


class SecretKeyIn(Strict):
    readOnly: bool = False  # noqa: N815


def _audit(db: Session, request: Request, who: Caller, action: str, target: str, detail: str = "") -> None:
    review.audit(db, who.institution_id, None, action, target, detail, client_address(request), actor=who.actor)


# --- webhook --------------------------------------------------------------------------------------
def _webhook(institution: Institution) -> dict[str, Any]:
    return {"url": institution.webhook_url, "secretSet": bool(institution.webhook_secret)}


@router.get("/webhook", response_model=Webhook, response_model_exclude_unset=True, responses=errors(400, 401, 404))
def get_webhook(request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """Where the institution's webhooks go (the signing secret is never shown again)."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization)
        return _webhook(db.get_one(Institution, who.institution_id))


@router.put("/webhook", response_model=Webhook, response_model_exclude_unset=True, responses=errors(400, 401, 403, 404, 422))
def put_webhook(body: WebhookIn, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """Set (or, with ``url: null``, remove) the webhook URL: public addresses only, unless the
    operator allowed the host. A first webhook gets a signing secret, in this answer only."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization, writing=True)
        institution = db.get_one(Institution, who.institution_id)
        try:
            made = webhooks.set_url(institution, body.url, request.app.state.options.webhook_allow)
        except webhooks.WebhookTargetError as e:
            raise ApiError(422, "INVALID_REQUEST", f"url: {e}", {"url": str(e)}) from None
        _audit(db, request, who, "settings changed", "webhook", f"webhook {institution.webhook_url or 'none'}")
        return {**_webhook(institution), **({"secret": made} if made else {})}


@router.post("/webhook/rotate-secret", response_model=Webhook, responses=errors(400, 401, 403, 404))
def rotate_webhook_secret(request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """A new signing secret, in this answer only; deliveries from now on are signed with it."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization, writing=True)
        institution = db.get_one(Institution, who.institution_id)
        institution.webhook_secret = made = webhooks.new_secret()
        _audit(db, request, who, "webhook secret rotated", "webhook")
        return {**_webhook(institution), "secret": made}


# --- publishable keys -----------------------------------------------------------------------------
def _key(key: ApiKey) -> dict[str, Any]:
    return {"prefix": key.prefix, "domains": [d.domain for d in key.domains], "requireLaunchToken": key.require_launch_token,
            "createdAt": iso(key.created_at), "revokedAt": iso(key.revoked_at) if key.revoked_at else None}


@router.get("/keys", response_model=PublishableKeyPage, response_model_exclude_unset=True, responses=errors(400, 401, 404))
def list_keys(request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """The institution's publishable keys (the ones exam pages carry), newest first."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization)
        rows = db.scalars(select(ApiKey).where(ApiKey.institution_id == who.institution_id).order_by(ApiKey.id.desc()))
        return {"data": [_key(k) for k in rows]}


@router.post("/keys", status_code=201, response_model=PublishableKey, response_model_exclude_unset=True, responses=errors(400, 401, 403, 404, 422))
def create_key(body: KeyIn, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """A publishable key for these domains (1–5); with ``requireLaunchToken``, its launch secret.
    Both are in this answer only."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization, writing=True)
        name = db.get_one(Institution, who.institution_id).name
        try:
            secret = keys.create_key(db, name, body.domains, create_institution=False)
        except keys.KeyRequestError as e:
            raise ApiError(422, "INVALID_REQUEST", f"domains: {e}", {"domains": str(e)}) from None
        launch = keys.enable_launch_tokens(db, secret) if body.requireLaunchToken else None
        key = keys.find_key(db, secret)
        if key is None:  # just made in this transaction: cannot happen
            raise RuntimeError("the new key was not found")
        _audit(db, request, who, "key created", f"key {key.prefix}", " ".join(body.domains))
        return {**_key(key), "key": secret, **({"launchSecret": launch} if launch else {})}


def _own(db: Session, model: type[ApiKey] | type[SecretKey], who: Caller, prefix: str) -> Any:
    found = db.scalars(select(model).where(model.institution_id == who.institution_id, model.prefix == prefix)).all()
    if len(found) != 1:
        raise ApiError(404, "NOT_FOUND", "No such key.")
    return found[0]


@router.post("/keys/{prefix}/revoke", response_model=PublishableKey, response_model_exclude_unset=True, responses=errors(400, 401, 403, 404))
def revoke_key(prefix: str, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """From now on ``init`` with this key fails with INVALID_API_KEY."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization, writing=True)
        key = _own(db, ApiKey, who, prefix)
        keys.revoke_key(key)
        _audit(db, request, who, "key revoked", f"key {key.prefix}")
        return _key(key)


# --- reviewer accounts ----------------------------------------------------------------------------
def _user(user: User) -> dict[str, Any]:
    state = "disabled" if user.disabled_at else "invited" if not user.password_hash else "active"
    return {"email": user.email, "role": user.role, "state": state, "createdAt": iso(user.created_at)}


@router.get("/users", response_model=AccountPage, response_model_exclude_unset=True, responses=errors(400, 401, 404))
def list_users(request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """The institution's dashboard accounts: email, role, and active, invited or disabled."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization)
        rows = db.scalars(select(User).where(User.institution_id == who.institution_id).order_by(User.email))
        return {"data": [_user(u) for u in rows]}


@router.post("/users", status_code=201, response_model=Account, responses=errors(400, 401, 403, 404, 422))
def invite_user(body: UserIn, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """Invite a reviewer by email and role (admin, reviewer or auditor): the one-time invitation
    link (valid 7 days) is in this answer, to send as the platform likes, as the admin page makes it."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization, writing=True)
        try:
            invited, token = users.invite_user(db, who.institution_id, body.email, body.role)
        except users.UserError as e:
            field = "role" if str(e).startswith("role") else "email"
            raise ApiError(422, "INVALID_REQUEST", str(e), {field: str(e)}) from None
        _audit(db, request, who, "user invited", f"user {invited.email}", f"role {body.role}")
        link = f"{request.app.state.public_url.rstrip('/')}/dashboard/invite/{token}"
        return {**_user(invited), "inviteUrl": link}


# --- secret keys ----------------------------------------------------------------------------------
def _secret(key: SecretKey) -> dict[str, Any]:
    return {"prefix": key.prefix, "readOnly": key.read_only, "createdAt": iso(key.created_at),
            "lastUsedAt": iso(key.last_used_at) if key.last_used_at else None,
            "revokedAt": iso(key.revoked_at) if key.revoked_at else None}


@router.get("/secret-keys", response_model=SecretKeyPage, response_model_exclude_unset=True, responses=errors(400, 401, 404))
def list_secret_keys(request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """The institution's secret keys (prefixes, access, last use), newest first."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization)
        rows = db.scalars(select(SecretKey).where(SecretKey.institution_id == who.institution_id).order_by(SecretKey.id.desc()))
        return {"data": [_secret(k) for k in rows]}


@router.post("/secret-keys", status_code=201, response_model=SecretKeyOut, responses=errors(400, 401, 403, 404, 422))
def create_secret_key(request: Request, authorization: SecretAuth,
                      body: SecretKeyIn | None = None) -> dict[str, Any]:
    """Another secret key for the institution (``readOnly`` for a reporting job); in this answer only."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization, writing=True)
        name = db.get_one(Institution, who.institution_id).name
        secret = keys.create_secret_key(db, name, read_only=bool(body and body.readOnly))
        key = keys.find_secret_key(db, secret)
        if key is None:  # just made in this transaction: cannot happen
            raise RuntimeError("the new secret key was not found")
        _audit(db, request, who, "key created", f"key {key.prefix}", "secret key" + (", read-only" if key.read_only else ""))
        return {**_secret(key), "key": secret}


@router.post("/secret-keys/{prefix}/revoke", response_model=SecretKeyOut, response_model_exclude_unset=True, responses=errors(400, 401, 403, 404))
def revoke_secret_key(prefix: str, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """From now on the platform API refuses this secret key (a key may revoke itself)."""
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization, writing=True)
        key = _own(db, SecretKey, who, prefix)
        keys.revoke_key(key)
        _audit(db, request, who, "key revoked", f"key {key.prefix}", "secret key")
        return _secret(key)


# --- institutions (an operator's key only) -----------------------------------------------------------
class InstitutionIn(Strict):
    name: str
    retentionDays: int = 30  # noqa: N815


def _institution(institution: Institution) -> dict[str, Any]:
    return {"id": institution.id, "name": institution.name, "retentionDays": institution.retention_days,
            "createdAt": iso(institution.created_at)}


@router.get("/institutions", response_model=InstitutionPage, responses=errors(401, 403))
def list_institutions(request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """Every institution on this Eye (an operator's key only)."""
    with request.app.state.db.session() as db:
        caller(request, db, authorization, operator=True)
        return {"data": [_institution(i) for i in db.scalars(select(Institution).order_by(Institution.id))]}


@router.post("/institutions", status_code=201, response_model=InstitutionOut, responses=errors(401, 403, 409, 422))
def create_institution(body: InstitutionIn, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """A new institution (an operator's key only); then act for it with ``Eye-Institution: NAME``
    to set up its webhook, keys and reviewers."""
    name = body.name.strip()
    if not 0 < len(name) <= 200:
        raise ApiError(422, "INVALID_REQUEST", "name: expected 1 to 200 characters", {"name": "expected 1 to 200 characters"})
    if not 1 <= body.retentionDays <= 3650:
        raise ApiError(422, "INVALID_REQUEST", "retentionDays: expected 1 to 3650",
                       {"retentionDays": f"expected 1 to 3650, received {body.retentionDays}"})
    with request.app.state.db.session() as db:
        who = caller(request, db, authorization, writing=True, operator=True)
        if db.scalar(select(Institution.id).where(Institution.name == name)) is not None:
            raise ApiError(409, "ALREADY_EXISTS", f"An institution named {name!r} exists already.", {"name": "taken"})
        institution = Institution(name=name, retention_days=body.retentionDays)
        db.add(institution)
        db.flush()
        review.audit(db, institution.id, None, "institution created", f"institution {institution.id}",
                     f"retention {body.retentionDays} days", client_address(request), actor=who.actor)
        return _institution(institution)
