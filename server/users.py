"""Reviewer accounts: creation and password checks (argon2id via argon2-cffi)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .institutions import UnknownInstitution, institution_named
from .store import ReviewerSession, User

_hasher = PasswordHasher()
MIN_PASSWORD = 10
#: Checked when the email is unknown, so a wrong email costs the same time as a wrong password.
_DUMMY = _hasher.hash("not-a-real-password")


class UserError(ValueError):
    pass


ROLES = ("admin", "reviewer", "auditor")


def create_user(db: Session, institution_name: str, email: str, password: str, create_institution: bool = True,
                role: str = "admin") -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise UserError(f"email {email!r}: expected an email address")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if db.scalar(select(User).where(User.email == email)) is not None:
        raise UserError(f"a reviewer with email {email} already exists")
    try:
        institution = institution_named(db, institution_name, create_institution)
    except UnknownInstitution as e:
        raise UserError(str(e)) from None
    user = User(institution=institution, email=email, password_hash=_hasher.hash(password), role=role)
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, email: str, password: str) -> User | None:
    user = db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


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
