"""Instructors from the LMS: an ``LtiResourceLinkRequest`` with an Instructor or Administrator
role signs the user into the institution's dashboard, no password. The LMS user is known by
the platform and its ``sub`` (never by an email match, which would let an LMS account take
over an Eye account); the role comes from the registration's mapping (Instructor → reviewer,
Administrator → admin by default; ``none`` signs nobody in)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..access.users import ROLES, accounts_in, create_lms_user
from ..store import LtiUser, User
from . import claims as c
from .launches import Launch, LaunchRefused


def _has(roles: list[str], names: tuple[str, ...]) -> bool:
    return any(r == n or (n.endswith("#") and r.startswith(n)) for r in roles for n in names)


def dashboard_role(launch: Launch) -> str | None:
    """The dashboard role this launch's user gets (the strongest of their LMS roles), or None:
    a learner (or a role the registration maps to ``none``) is never signed in."""
    roles, platform = launch.roles, launch.platform
    mapped = []
    if _has(roles, c.ADMINISTRATOR_ROLES):
        mapped.append(platform.administrator_role)
    if _has(roles, c.INSTRUCTOR_ROLES):
        mapped.append(platform.instructor_role)
    for role in ROLES:  # the strongest first
        if role in mapped:
            return role
    return None


def sign_in_user(db: Session, launch: Launch, role: str) -> User:
    """The dashboard user of this LMS user (made on their first launch with ``role``; a later
    launch with a stronger role promotes them, never demotes). A disabled user is refused."""
    subject, platform = str(launch.claims["sub"]), launch.platform
    link = db.get(LtiUser, (platform.id, subject))
    user = db.get(User, link.user_id) if link is not None else None
    if user is None:
        email = launch.claims.get("email")
        shown = email.strip().lower()[:320] if isinstance(email, str) and "@" in email else ""
        if not shown or accounts_in(db, platform.institution_id, shown):
            # no address, or one an account made in Eye has (it stays that person's own account)
            shown = f"lms-{platform.id}-{subject[:200]}@lms.invalid"
        user = create_lms_user(db, platform.institution_id, shown, role)
        db.add(LtiUser(platform_id=platform.id, subject=subject, user_id=user.id))
    elif user.disabled_at is not None:
        raise LaunchRefused("your Eye account is disabled; an administrator of your institution can enable it")
    elif ROLES.index(role) < ROLES.index(user.role):  # ROLES runs from the strongest
        user.role = role
    db.flush()
    return user
