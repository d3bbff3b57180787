"""Reviewer accounts: creation, invitations, roles, disabling and password checks (argon2id via
argon2-cffi). An institution always keeps at least one enabled admin."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .institutions import UnknownInstitution, institution_named
from .store import ReviewerSession, User
from .store.models import aware, utcnow

_hasher = PasswordHasher()
MIN_PASSWORD = 10
#: Checked when the email is unknown, so a wrong email costs the same time as a wrong password.
_DUMMY = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    pass


ROLES = ("admin", "reviewer", "auditor")
INVITE_DAYS = 7


def create_user(db: Session, institution_name: str, email: str, password: str, create_institution: bool = True,
                role: str = "admin") -> User:
    email = _check_email_and_role(db, email, role)
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    try:
        institution = institution_named(db, institution_name, create_institution)
    except UnknownInstitution as e:
        raise UserError(str(e)) from None
    user = User(institution=institution, email=email, password_hash=_hasher.hash(password), role=role)
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, email: str, password: str) -> User | None:
    """The account for this email and password; None for a wrong pair, a disabled account or an
    invitation not yet accepted (all cost the same time)."""
    user = db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    usable = user is not None and user.disabled_at is None and bool(user.password_hash)
    try:
        _hasher.verify(user.password_hash if usable and user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if usable else None


def set_password(db: Session, email: str, password: str) -> User:
    """A new password; every signed-in session of this reviewer ends at once."""
    user = db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise UserError(f"no reviewer with email {email.strip().lower()}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    user.password_hash = _hasher.hash(password)
    db.execute(delete(ReviewerSession).where(ReviewerSession.user_id == user.id))
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")


def _check_email_and_role(db: Session, email: str, role: str) -> str:
    """The normalized email of a new account, if it is an address no account has yet and the role exists."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise UserError(f"email {email[:80]!r}: expected an email address")
    _check_role(role)
    if db.scalar(select(User).where(func.lower(User.email) == email)) is not None:
        raise UserError(f"an account with email {email} already exists")
    return email


def invite_user(db: Session, institution_id: int, email: str, role: str) -> tuple[User, str]:
    """A new account without a password, and the one-time token of its invitation link (valid
    ``INVITE_DAYS`` days; only its hash is stored)."""
    email = _check_email_and_role(db, email, role)
    token = secrets.token_urlsafe(32)
    user = User(institution_id=institution_id, email=email, password_hash="", role=role,
                invite_hash=_token_hash(token), invite_expires_at=utcnow() + dt.timedelta(days=INVITE_DAYS))
    db.add(user)
    db.flush()
    return user, token


def invited_user(db: Session, token: str) -> User | None:
    """The account an invitation token is for, while the invitation is open."""
    user = db.scalar(select(User).where(User.invite_hash == _token_hash(token)))
    if user is None or user.disabled_at is not None or user.invite_expires_at is None:
        return None
    return user if aware(user.invite_expires_at) > utcnow() else None


def accept_invite(db: Session, token: str, password: str) -> User:
    """Set the invited account's password; the link works once."""
    user = invited_user(db, token)
    if user is None:
        raise UserError("this invitation link is not valid (used, expired or withdrawn): ask your admin for a new one")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    user.password_hash, user.invite_hash, user.invite_expires_at = _hasher.hash(password), None, None
    return user


def _other_admins(db: Session, user: User) -> int:
    return db.scalar(select(func.count()).select_from(User).where(
        User.institution_id == user.institution_id, User.role == "admin", User.disabled_at.is_(None),
        User.id != user.id)) or 0


def set_role(db: Session, user: User, role: str) -> None:
    _check_role(role)
    if user.role == "admin" and role != "admin" and _other_admins(db, user) == 0:
        raise UserError("the institution needs at least one enabled admin: make someone else admin first")
    user.role = role


def set_disabled(db: Session, user: User, disabled: bool) -> None:
    """Disable (every signed-in session of the account ends at once; its decisions stay in the
    audit trail) or enable an account again."""
    if disabled:
        if user.role == "admin" and _other_admins(db, user) == 0:
            raise UserError("the institution needs at least one enabled admin: make someone else admin first")
        user.disabled_at = user.disabled_at or utcnow()
        user.invite_hash = None
        db.execute(delete(ReviewerSession).where(ReviewerSession.user_id == user.id))
    else:
        user.disabled_at = None
