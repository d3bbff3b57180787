"""Reviewer pages (server-rendered): sign-in, assessments, sessions, a session's timeline with its
evidence and integrity score, exports, keys and domains, webhook and retention settings,
candidate export and deletion. Every query is scoped to the reviewer's institution; another
institution's session is a 404."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from fastapi import Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import webhooks
from ..access import keys as keys_mod
from ..access import users as users_mod
from ..access.users import accounts_with_email, authenticate
from ..custody.evidence import read_checked
from ..custody.retention import candidate_record, delete_candidate_of
from ..outcomes import records as data
from ..outcomes import review
from ..store import ApiKey, ExamSession, Institution, Media, User, WebhookDelivery, WebhookOutbox
from ..store.models import iso
from ..web.middleware import client_address
from ..webhooks import WebhookTargetError, check_target
from .auth import check_csrf, reviewer, reviewer_who_may, sign_in, sign_out
from .pages import db_of, own_session, page_number, render, router


# --- sign-in ------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, email: str = Form(""), password: str = Form(""), csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    limits = request.app.state.limits
    client = client_address(request)
    # Per (email, address) and per address: someone else's failures never lock the owner out.
    wait = max(limits["login_email"].take(f"{email.strip().lower()}|{client}") or 0, limits["login_ip"].take(client) or 0)
    if wait:
        response = render(request, "login.html", status=429, email=email,
                          error=f"Too many sign-in attempts; try again in {wait:.0f} s.")
        response.headers["Retry-After"] = str(int(wait))
        return response
    with db_of(request).session() as s:
        user = authenticate(s, email, password)
    if user is None:
        with db_of(request).session() as s:
            for known in accounts_with_email(s, email):  # a failed attempt on a real account is its institution's business
                review.audit(s, known.institution_id, None, "sign-in failed", f"user {known.email}", "", client)
        return render(request, "login.html", status=401, error="Wrong email or password.", email=email)
    redirect = RedirectResponse("/dashboard/", status_code=303)
    sign_in(request, redirect, user)
    with db_of(request).session() as s:
        review.audit(s, user.institution_id, user.id, "sign-in", f"user {user.id}", "", client)
    return redirect


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    response = RedirectResponse("/dashboard/login", status_code=303)
    sign_out(request, response)
    return response


# --- assessments and sessions --------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    user = reviewer(request)
    with db_of(request).reading() as s:
        rows = data.assessments(s, user.institution_id)
    return render(request, "assessments.html", user=user, assessments=rows)


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise HTTPException(422, f"date: expected YYYY-MM-DD, received {value!r}") from None


@router.get("/sessions", response_class=HTMLResponse)
def sessions(request: Request, assessment: str | None = None, flagged: bool = False, date: str | None = None,
             page: str = "1") -> HTMLResponse:
    user = reviewer(request)
    number = page_number(page)
    with db_of(request).reading() as s:
        rows, total = data.sessions_page(s, user.institution_id, assessment, flagged, _day(date), number)
    pages = max(1, -(-total // data.PAGE_SIZE))
    return render(request, "sessions.html", user=user, rows=rows, total=total, page=number, pages=pages,
                  filters={"assessment": assessment or "", "flagged": flagged, "date": date or ""})


@router.get("/sessions/{session_id}/media/{event_id}")
def session_media(request: Request, session_id: str, event_id: str) -> Response:
    user = reviewer(request)
    with db_of(request).reading() as s:
        own_session(user, session_id, s)
        row = s.scalar(select(Media).where(Media.session_id == session_id, Media.event_client_id == event_id))
        if row is None:
            raise HTTPException(404, "No evidence for this event.")
        data = read_checked(request.app.state.evidence, row.path, row.sha256)
        if data is None:
            raise HTTPException(404, "The evidence file is missing or damaged.")
        return Response(data, media_type=row.content_type, headers={"Cache-Control": "private, no-store"})


def _export(records: list[ExamSession], fmt: str, name: str, s: Session) -> Response:
    if fmt == "json":
        body = json.dumps([data.session_record(s, r) for r in records], indent=2)
        return Response(body, media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
    if fmt != "csv":
        raise HTTPException(404, "Exports are .csv or .json")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(data.CSV_COLUMNS)
    writer.writerows(data.csv_rows(s, records))
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def _audit(request: Request, user: User, action: str, target: str, detail: str = "") -> None:
    """One audit entry for what this reviewer just did (exports, key and settings changes)."""
    with db_of(request).session() as s:
        review.audit(s, user.institution_id, user.id, action, target, detail, client_address(request))


@router.get("/sessions/{session_id}/export.{fmt}")
def export_session(request: Request, session_id: str, fmt: str) -> Response:
    user = reviewer(request)
    with db_of(request).reading() as s:
        session = own_session(user, session_id, s)
        response = _export([session], fmt, f"session-{session.id}", s)
    _audit(request, user, "session exported", f"session {session_id}", fmt)
    return response


@router.get("/assessments/export.{fmt}")
def export_assessment(request: Request, fmt: str, assessment: str = "") -> Response:
    """An assessment's sessions; the assessment id is a query value (any characters work)."""
    user = reviewer(request)
    with db_of(request).reading() as s:
        records = s.scalars(data.sessions_query(user.institution_id, assessment, False, None)
                            .order_by(ExamSession.started_at)).all() if assessment else []
        if not records:
            raise HTTPException(404, "No such assessment.")
        response = _export(list(records), fmt, f"assessment-{_file_safe(assessment)}", s)
    _audit(request, user, "assessment exported", f"assessment {assessment}", f"{fmt}, {len(records)} session(s)")
    return response


def _file_safe(value: str) -> str:
    """A download name from a client-chosen id: letters, digits, ``-`` and ``_`` only."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in value)[:80] or "export"


# --- candidates (addressed through one of their sessions: the server's own opaque id) --------
@router.get("/sessions/{session_id}/candidate/export.json")
def export_candidate(request: Request, session_id: str) -> Response:
    user = reviewer(request)
    with db_of(request).reading() as s:
        candidate_id = own_session(user, session_id, s).candidate_id
        body = candidate_record(s, user.institution_id, candidate_id)
    _audit(request, user, "candidate exported", f"session {session_id}", "every session of the candidate")
    return JSONResponse(body, headers={"Content-Disposition": f'attachment; filename="candidate-{_file_safe(candidate_id)}.json"'})


@router.post("/sessions/{session_id}/candidate/delete")
def delete_candidate(request: Request, session_id: str, csrf: str = Form("")) -> Response:
    """Everything about this session's candidate, in this institution only."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    with db_of(request).session() as s:
        candidate_id = own_session(user, session_id, s).candidate_id
    removed = delete_candidate_of(db_of(request), request.app.state.evidence, user.institution_id, candidate_id)
    with db_of(request).session() as s:
        review.audit(s, user.institution_id, user.id, "candidate deleted", f"{removed} session(s)", "", client_address(request))
    return RedirectResponse(f"/dashboard/sessions?deleted={removed}", status_code=303)


# --- keys and domains ---------------------------------------------------------------------
def _keys(s: Session, institution_id: int) -> list[ApiKey]:
    rows = s.scalars(select(ApiKey).where(ApiKey.institution_id == institution_id).order_by(ApiKey.created_at.desc())).all()
    for key in rows:
        _ = key.domains  # loaded for the template
    return list(rows)


@router.get("/keys", response_class=HTMLResponse)
def keys_page(request: Request) -> HTMLResponse:
    user = reviewer(request)
    with db_of(request).session() as s:
        return render(request, "keys.html", user=user, keys=_keys(s, user.institution_id), max_domains=keys_mod.MAX_DOMAINS)


@router.post("/keys", response_class=HTMLResponse)
def create_key(request: Request, domains: str = Form(""), csrf: str = Form("")) -> HTMLResponse:
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    wanted = [d for d in domains.replace(",", " ").split() if d]
    with db_of(request).session() as s:
        try:
            secret = keys_mod.create_key(s, user.institution.name, wanted)
            review.audit(s, user.institution_id, user.id, "key created", f"key {secret[:12]}", " ".join(wanted),
                         client_address(request))
        except keys_mod.KeyRequestError as e:
            return render(request, "keys.html", status=422, user=user, keys=_keys(s, user.institution_id), error=str(e),
                          max_domains=keys_mod.MAX_DOMAINS)
        return render(request, "keys.html", user=user, keys=_keys(s, user.institution_id), new_secret=secret,
                      max_domains=keys_mod.MAX_DOMAINS)


def _own_key(s: Session, user: User, key_id: int) -> ApiKey:
    key: ApiKey | None = s.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.institution_id == user.institution_id))
    if key is None:
        raise HTTPException(404, "No such key.")
    return key


@router.post("/keys/{key_id}/revoke")
def revoke_key(request: Request, key_id: int, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    with db_of(request).session() as s:
        key = _own_key(s, user, key_id)
        keys_mod.revoke_key(key)
        review.audit(s, user.institution_id, user.id, "key revoked", f"key {key.prefix}", "", client_address(request))
    return RedirectResponse("/dashboard/keys", status_code=303)


@router.post("/keys/{key_id}/domains", response_class=HTMLResponse)
def change_domains(request: Request, key_id: int, domain: str = Form(""), action: str = Form("add"),
                   csrf: str = Form("")) -> Response:
    """Add a page origin to a key, or remove one (at most MAX_DOMAINS, at least one)."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    try:
        with db_of(request).session() as s:
            key = _own_key(s, user, key_id)
            done = keys_mod.add_domain(key, domain) if action == "add" else keys_mod.remove_domain(key, domain)
            review.audit(s, user.institution_id, user.id, f"key domain {'added' if action == 'add' else 'removed'}",
                         f"key {key.prefix}", done, client_address(request))
    except keys_mod.KeyRequestError as e:  # nothing changed
        with db_of(request).session() as s:
            return render(request, "keys.html", status=422, user=user, keys=_keys(s, user.institution_id), error=str(e),
                          max_domains=keys_mod.MAX_DOMAINS)
    return RedirectResponse("/dashboard/keys", status_code=303)


@router.post("/keys/{key_id}/rotate", response_class=HTMLResponse)
def rotate_key(request: Request, key_id: int, csrf: str = Form("")) -> HTMLResponse:
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    with db_of(request).session() as s:
        key = _own_key(s, user, key_id)
        rotated = keys_mod.rotate_key(s, key)
        review.audit(s, user.institution_id, user.id, "key rotated", f"key {key.prefix}",
                     f"new key {rotated.secret[:12]}" + (", new launch secret" if rotated.launch_secret else ""),
                     client_address(request))
        return render(request, "keys.html", user=user, keys=_keys(s, user.institution_id), new_secret=rotated.secret,
                      new_launch_secret=rotated.launch_secret, max_domains=keys_mod.MAX_DOMAINS)


# --- the signed-in user's own account -------------------------------------------------------
def _account(request: Request, user: User, status: int = 200, **context: Any) -> HTMLResponse:
    from zoneinfo import available_timezones

    return render(request, "account.html", status=status, user=user, zones=sorted(available_timezones() | {"UTC"}),
                  **context)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> HTMLResponse:
    return _account(request, reviewer(request))


@router.post("/account", response_class=HTMLResponse)
def save_account(request: Request, time_zone: str = Form(""), csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    user = reviewer(request)
    try:
        with db_of(request).session() as s:
            users_mod.set_time_zone(s, user, time_zone.strip())
    except users_mod.UserError as e:
        return _account(request, user, status=422, error=str(e))
    return RedirectResponse("/dashboard/account?saved=1", status_code=303)


# --- settings: webhook, retention ---------------------------------------------------------
def _settings(request: Request, user: User, status: int = 200, **context: Any) -> HTMLResponse:
    with db_of(request).session() as s:
        institution = s.get(Institution, user.institution_id)
        deliveries = s.scalars(select(WebhookDelivery).where(WebhookDelivery.institution_id == user.institution_id)
                               .order_by(WebhookDelivery.id.desc()).limit(50)).all()
        outbox = s.scalars(select(WebhookOutbox).where(WebhookOutbox.institution_id == user.institution_id)
                           .order_by(WebhookOutbox.id.desc()).limit(50)).all()
        return render(request, "settings.html", status=status, user=user, institution=institution,
                      deliveries=deliveries, outbox=outbox, iso=iso, **context)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, saved: bool = False) -> HTMLResponse:
    return _settings(request, reviewer(request), saved=saved)


@router.post("/settings", response_class=HTMLResponse)
def save_settings(request: Request, webhook_url: str = Form(""), retention_days: str = Form("30"),
                  csrf: str = Form("")) -> Response:
    """Webhook URL (checked: public addresses only, unless the operator allowed the host) and
    retention. Setting a webhook makes its signing secret, shown once."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    url = webhook_url.strip()
    errors = {}
    if url:
        try:
            check_target(url, request.app.state.options.webhook_allow)
        except WebhookTargetError as e:
            errors["webhook_url"] = f"webhook URL: {e}"
    if not retention_days.isdigit() or not 1 <= int(retention_days) <= 3650:
        errors["retention_days"] = "retention: expected a whole number of days from 1 to 3650"
    if errors:
        return _settings(request, user, status=422, errors=errors, webhook_url=url)
    try:
        with db_of(request).session() as s:
            institution = s.get_one(Institution, user.institution_id)
            new_secret = webhooks.set_url(institution, url, request.app.state.options.webhook_allow)
            institution.retention_days = int(retention_days)
            review.audit(s, user.institution_id, user.id, "settings changed", "webhook and retention",
                         f"webhook {url or 'none'}, retention {int(retention_days)} days", client_address(request))
    except WebhookTargetError as e:  # the host's addresses changed since the check above
        return _settings(request, user, status=422, errors={"webhook_url": f"webhook URL: {e}"}, webhook_url=url)
    if new_secret:
        return _settings(request, user, saved=True, new_secret=new_secret)
    return RedirectResponse("/dashboard/settings?saved=1", status_code=303)


@router.post("/settings/deliveries/{outbox_id}/redeliver")
def redeliver(request: Request, outbox_id: int, csrf: str = Form("")) -> Response:
    """Send a flag's webhook again (after the receiver lost it, or the schedule ran out)."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    with db_of(request).session() as s:
        if not webhooks.redeliver(s, user.institution_id, outbox_id):
            raise HTTPException(404, "No such delivery.")
        review.audit(s, user.institution_id, user.id, "webhook redelivered", f"delivery {outbox_id}", "",
                     client_address(request))
    request.app.state.webhooks.wake()
    return RedirectResponse("/dashboard/settings", status_code=303)


@router.post("/settings/webhook-secret", response_class=HTMLResponse)
def rotate_webhook_secret(request: Request, csrf: str = Form("")) -> HTMLResponse:
    """A new signing secret (shown once); deliveries from now on are signed with it."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    with db_of(request).session() as s:
        institution = s.get_one(Institution, user.institution_id)
        institution.webhook_secret = new_secret = webhooks.new_secret()
        review.audit(s, user.institution_id, user.id, "webhook secret rotated", "webhook", "", client_address(request))
    return _settings(request, user, new_secret=new_secret)
