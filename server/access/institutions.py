"""Institutions, found by name; created only when the caller says so (a typo in a command must not
silently make a new, empty institution)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store import Institution


class UnknownInstitution(ValueError):
    """No institution has this name, and creating one was not asked for."""


def institution_named(db: Session, name: str, create: bool) -> Institution:
    found = db.scalar(select(Institution).where(Institution.name == name))
    if found is not None:
        return found
    if not create:
        known = ", ".join(db.scalars(select(Institution.name).order_by(Institution.name).limit(10))) or "none yet"
        raise UnknownInstitution(f"no institution is named {name!r} (known: {known}); "
                                 "add --create-institution to create it")
    institution = Institution(name=name)
    db.add(institution)
    return institution
