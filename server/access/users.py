"""Reviewer accounts: creation, invitations, roles, disabling and password checks (argon2id via
argon2-cffi). An institution always keeps at least one enabled admin who has accepted their
invitation, enforced atomically. An email address is unique within an institution, not across
them, so an invitation never reveals another institution's accounts."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session, aliased
from starlette.responses import Response

from ..store import ExamSession, Institution, ReviewerSession, User
from ..store.models import aware, utcnow
from .institutions import UnknownInstitution, institution_named

_hasher = PasswordHasher()
MIN_PASSWORD = 10
#: Checked when the email is unknown, so a wrong email costs the same time as a wrong password.
_DUMMY = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    pass


#: The dashboard's sign-in: a random token in an HttpOnly, SameSite=Lax cookie on ``/dashboard``
#: (Secure over HTTPS); the database keeps only its hash. The dashboard's login form and an LMS
#: instructor launch both sign in this way.
SESSION_COOKIE = "eye_reviewer"
SESSION_SECONDS = 12 * 3600


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: Session, user: User) -> str:
    """A new dashboard session for ``user`` (expired ones are swept); returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    db.execute(delete(ReviewerSession).where(ReviewerSession.expires_at < utcnow()))
    db.add(ReviewerSession(token_hash=session_hash(token), user_id=user.id, csrf=secrets.token_urlsafe(24),
                           expires_at=utcnow() + dt.timedelta(seconds=SESSION_SECONDS)))
    return token


def set_session_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        secure=secure, path="/dashboard")


ROLES = ("admin", "reviewer", "auditor")
INVITE_DAYS = 7


def create_user(db: Session, institution_name: str, email: str, password: str, create_institution: bool = True,
                role: str = "admin") -> User:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    try:
        institution = institution_named(db, institution_name, create_institution)
    except UnknownInstitution as e:
        raise UserError(str(e)) from None
    db.flush()
    email = _check_email_and_role(db, institution.id, email, role)
    user = User(institution=institution, email=email, password_hash=_hasher.hash(password), role=role)
    db.add(user)
    db.flush()
    return user


#: An account made from an LMS launch has no password: this matches no argon2 hash, so it signs
#: in only from its LMS.
NO_PASSWORD = "!"  # noqa: S105


def create_lms_user(db: Session, institution_id: int, email: str, role: str) -> User:
    """A dashboard account for an LMS instructor (``server.lms.instructors``): no password."""
    _check_role(role)
    user = User(institution_id=institution_id, email=email, password_hash=NO_PASSWORD, role=role)
    db.add(user)
    db.flush()
    return user


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def accounts_in(db: Session, institution_id: int, email: str) -> bool:
    """Has the institution an account with this address?"""
    return db.scalar(select(User.id).where(User.institution_id == institution_id,
                                          func.lower(User.email) == email.strip().lower())) is not None


def accounts_with_email(db: Session, email: str) -> list[User]:
    """Every account with this address (one per institution at most), oldest first."""
    return list(db.scalars(select(User).where(func.lower(User.email) == email.strip().lower()).order_by(User.id)))


def authenticate(db: Session, email: str, password: str) -> User | None:
    """The account for this email and password (an address used in two institutions: the one
    whose password it is); None for a wrong pair, a disabled account or an invitation not yet
    accepted (an unknown email costs the same time as a wrong password)."""
    usable = [u for u in accounts_with_email(db, email) if u.disabled_at is None and u.password_hash]
    if not usable:
        _verifies(_DUMMY, password)
        return None
    return next((u for u in usable if _verifies(u.password_hash, password)), None)


def set_password(db: Session, email: str, password: str, institution_name: str | None = None) -> User:
    """A new password; every signed-in session of this reviewer ends at once. ``institution_name``
    says whose account is meant when the address is used in several institutions."""
    matches = [u for u in accounts_with_email(db, email)
               if institution_name is None or u.institution.name == institution_name]
    shown = email.strip().lower()
    if not matches:
        raise UserError(f"no reviewer with email {shown}" + (f" in {institution_name}" if institution_name else ""))
    if len(matches) > 1:
        raise UserError(f"{shown} has an account in {len(matches)} institutions "
                        f"({', '.join(sorted(u.institution.name for u in matches))}): name one with --institution")
    user = matches[0]
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


def _check_email_and_role(db: Session, institution_id: int, email: str, role: str) -> str:
    """The normalized email of a new account, if no account of this institution has it yet (other
    institutions' accounts are not looked at, so nothing about them can be learned here) and the
    role exists."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 320:
        raise UserError(f"email {email[:80]!r}: expected an email address")
    _check_role(role)
    if accounts_in(db, institution_id, email):
        raise UserError(f"an account with email {email} already exists in your institution")
    return email


def invite_user(db: Session, institution_id: int, email: str, role: str) -> tuple[User, str]:
    """A new account without a password, and the one-time token of its invitation link (valid
    ``INVITE_DAYS`` days; only its hash is stored)."""
    email = _check_email_and_role(db, institution_id, email, role)
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


LAST_ADMIN = "the institution needs at least one enabled admin: make someone else admin first"


def _change_keeping_an_admin(db: Session, user: User, **values: Any) -> None:
    """Apply ``values`` to ``user`` (an admin losing the role or being disabled) only if another
    enabled admin who has accepted their invitation remains: the institution's row is locked
    first (PostgreSQL: two admins demoting each other wait for one another) and the count is part
    of the update itself (SQLite: one statement under the write lock), so two such changes at
    once, in any number of processes, can never both win."""
    db.execute(select(Institution.id).where(Institution.id == user.institution_id).with_for_update())
    other = aliased(User)
    others = (select(func.count()).select_from(other)
              .where(other.institution_id == user.institution_id, other.role == "admin", other.disabled_at.is_(None),
                     other.password_hash != "", other.id != user.id)
              .scalar_subquery())
    changed = cast("CursorResult[Any]", db.execute(
        update(User).where(User.id == user.id, others > 0).values(**values)
        .execution_options(synchronize_session=False))).rowcount
    if not changed:
        raise UserError(LAST_ADMIN)
    db.refresh(user)


def _release_claims(db: Session, user: User) -> None:
    """Sessions the account was holding for review are free for others at once."""
    db.execute(update(ExamSession).where(ExamSession.claimed_by == user.id)
               .values(claimed_by=None, claimed_until=None).execution_options(synchronize_session=False))


def set_role(db: Session, user: User, role: str) -> None:
    """A new role; an account that may no longer decide lets go of the sessions it held."""
    _check_role(role)
    if user.role == "admin" and role != "admin":
        _change_keeping_an_admin(db, user, role=role)
    else:
        user.role = role
    if role == "auditor":
        _release_claims(db, user)


def set_time_zone(db: Session, user: User, zone: str) -> None:
    """The IANA time zone (``Europe/Berlin``) the dashboard shows ``user``'s times in."""
    from zoneinfo import available_timezones

    if zone not in available_timezones() and zone != "UTC":
        raise UserError(f"time_zone: expected an IANA time zone such as Europe/Berlin, received {zone[:60]!r}")
    found = db.get(User, user.id)
    if found is not None:
        found.time_zone = zone


def set_disabled(db: Session, user: User, disabled: bool) -> None:
    """Disable (every signed-in session of the account ends at once, the sessions it held for
    review are released; its decisions stay in the audit trail) or enable an account again."""
    if disabled:
        now = user.disabled_at or utcnow()
        if user.role == "admin":
            _change_keeping_an_admin(db, user, disabled_at=now, invite_hash=None)
        else:
            user.disabled_at, user.invite_hash = now, None
        db.execute(delete(ReviewerSession).where(ReviewerSession.user_id == user.id))
        _release_claims(db, user)
    else:
        user.disabled_at = None
