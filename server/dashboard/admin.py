"""Admin pages: the institution's accounts (invite, change role, disable, enable), accepting an
invitation, and the audit trail (page and CSV export, for admins and auditors)."""

from __future__ import annotations

import csv
import io

from fastapi import Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..access import users
from ..outcomes import review
from ..outcomes.records import csv_cell
from ..store import AuditEntry, User
from ..store.models import iso
from ..web.middleware import client_address
from .auth import check_csrf, reviewer_who_may, sign_in
from .pages import db_of, render, router

AUDIT_PAGE = 200


def _users_page(request: Request, user: User, status: int = 200, **context: object) -> HTMLResponse:
    with db_of(request).reading() as s:
        accounts = s.scalars(select(User).where(User.institution_id == user.institution_id).order_by(User.email)).all()
        return render(request, "users.html", status=status, user=user, accounts=accounts, roles=users.ROLES,
                      invite_days=users.INVITE_DAYS, **context)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request) -> HTMLResponse:
    return _users_page(request, reviewer_who_may(request, "manage"))


@router.post("/users", response_class=HTMLResponse)
def invite(request: Request, email: str = Form(""), role: str = Form("reviewer"), csrf: str = Form("")) -> HTMLResponse:
    """A new account and its one-time invitation link (shown once, valid INVITE_DAYS days)."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    try:
        with db_of(request).session() as s:
            invited, token = users.invite_user(s, user.institution_id, email, role)
            review.audit(s, user.institution_id, user.id, "user invited", f"user {invited.email}", f"role {role}",
                         client_address(request))
    except users.UserError as e:
        return _users_page(request, user, status=422, error=str(e), email=email)
    link = f"{request.app.state.public_url.rstrip('/')}/dashboard/invite/{token}"
    return _users_page(request, user, invite_link=link, invited=email.strip().lower())


def _other_account(s: Session, user: User, account_id: int) -> User:
    account: User | None = s.scalar(select(User).where(User.id == account_id, User.institution_id == user.institution_id))
    if account is None:
        raise HTTPException(404, "No such account.")
    return account


@router.post("/users/{account_id}", response_class=HTMLResponse)
def change_account(request: Request, account_id: int, action: str = Form(""), role: str = Form(""),
                   csrf: str = Form("")) -> Response:
    """``action``: ``role`` (with ``role``), ``disable`` or ``enable``."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    try:
        with db_of(request).session() as s:
            account = _other_account(s, user, account_id)
            if action == "role":
                users.set_role(s, account, role)
                detail = f"role {role}"
            elif action in ("disable", "enable"):
                users.set_disabled(s, account, action == "disable")
                detail = ""
            else:
                raise users.UserError(f"action: expected role, disable or enable, received {action[:20]!r}")
            review.audit(s, user.institution_id, user.id, f"user {action}d" if action != "role" else "user role changed",
                         f"user {account.email}", detail, client_address(request))
    except users.UserError as e:
        return _users_page(request, user, status=422, error=str(e))
    return RedirectResponse("/dashboard/users", status_code=303)


def _invitation(request: Request, token: str, status: int = 200, error: str | None = None) -> HTMLResponse:
    with db_of(request).reading() as s:
        account = users.invited_user(s, token)
        email = account.email if account else None
    if email is None:
        return render(request, "invite.html", status=404, error="This invitation link is not valid (used, expired or "
                      "withdrawn): ask your admin for a new one.")
    return render(request, "invite.html", status=status, error=error, email=email, token=token)


@router.get("/invite/{token}", response_class=HTMLResponse)
def invitation_page(request: Request, token: str) -> HTMLResponse:
    return _invitation(request, token)


@router.post("/invite/{token}")
def accept_invitation(request: Request, token: str, password: str = Form(""), password2: str = Form(""),
                      csrf: str = Form("")) -> Response:
    """Choose a password; the link then stops working and the new reviewer is signed in."""
    check_csrf(request, csrf)
    if password != password2:
        return _invitation(request, token, 422, "The two passwords differ.")
    try:
        with db_of(request).session() as s:
            account = users.accept_invite(s, token, password)
            review.audit(s, account.institution_id, account.id, "invitation accepted", f"user {account.email}", "",
                         client_address(request))
            s.flush()
            s.expunge(account)
    except users.UserError as e:
        return _invitation(request, token, 422, str(e))
    response = RedirectResponse("/dashboard/", status_code=303)
    sign_in(request, response, account)
    return response


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, page: int = 1) -> HTMLResponse:
    """The institution's audit trail, newest first."""
    user = reviewer_who_may(request, "audit")
    page = max(1, min(page, 1_000_000))
    with db_of(request).reading() as s:
        entries = s.execute(_audit_query(user.institution_id).offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE)).all()
        return render(request, "audit.html", user=user, entries=entries, page=page, more=len(entries) == AUDIT_PAGE)


def _audit_query(institution_id: int) -> Select[AuditEntry, str]:
    return (select(AuditEntry, User.email).outerjoin(User, User.id == AuditEntry.user_id)
            .where(AuditEntry.institution_id == institution_id).order_by(AuditEntry.id.desc()))


@router.get("/audit.csv")
def audit_export(request: Request) -> Response:
    """The whole audit trail as CSV (the export itself is audited)."""
    user = reviewer_who_may(request, "audit")
    with db_of(request).session() as s:
        review.audit(s, user.institution_id, user.id, "audit exported", "audit trail", "", client_address(request))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["at", "who", "action", "target", "detail", "address"])
    with db_of(request).reading() as s:
        for entry, email in s.execute(_audit_query(user.institution_id)):
            writer.writerow([csv_cell(v) for v in (iso(entry.at), email or entry.actor or "system", entry.action, entry.target,
                                                    entry.detail, entry.address)])
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"', "Cache-Control": "no-store"})
