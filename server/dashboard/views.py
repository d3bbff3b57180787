"""Reviewer pages (server-rendered): sign-in, assessments, sessions, a session's timeline with its
evidence and integrity score, exports, keys and domains, webhook and retention settings,
candidate export and deletion. Every query is scoped to the reviewer's institution; another
institution's session is a 404."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from .. import keys as keys_mod, review, webhooks
from ..evidence import read_checked
from ..middleware import client_address
from ..retention import candidate_record, delete_candidate_of
from ..score import CAP
from ..store import ApiKey, AuditEntry, ExamSession, Institution, Media, User, WebhookDelivery, WebhookOutbox
from ..users import authenticate
from ..webhooks import WebhookTargetError, check_target
from widget.events import LABELS
from .. import records as data
from .auth import MAY, check_csrf, csrf_token, remember_csrf, reviewer, reviewer_who_may, sign_in, sign_out

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
# Ids chosen by clients (candidate, assessment) are data, never structure: in a URL they only ever
# appear as a fully encoded query value; paths use the server's own opaque ids.
templates.env.filters["query"] = lambda params: urlencode({k: v for k, v in params.items() if v not in (None, "")})
templates.env.filters["urlencode"] = lambda value: quote(str(value), safe="")
templates.env.filters["label"] = lambda event_type: LABELS.get(event_type, event_type)
router = APIRouter(prefix="/dashboard")
MAX_PAGE = 1_000_000


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("user", None)
    user = context["user"]
    context.setdefault("may", MAY.get(user.role, set()) if user is not None else set())
    response = templates.TemplateResponse(request, name, {"csrf": csrf_token(request), **context}, status_code=status)
    remember_csrf(request, response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' 'unsafe-inline'; "
        "script-src 'none'; frame-ancestors 'none'; form-action 'self'"
    )
    return response


def _db(request: Request):
    return request.app.state.db


def _own_session(request: Request, user, session_id: str, db) -> ExamSession:  # type: ignore[no-untyped-def]
    session = data.session_of(db, user.institution_id, session_id)
    if session is None:
        raise HTTPException(404, "No such session.")
    return session


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
    with _db(request).session() as s:
        user = authenticate(s, email, password)
    if user is None:
        return render(request, "login.html", status=401, error="Wrong email or password.", email=email)
    response = RedirectResponse("/dashboard/", status_code=303)
    sign_in(request, response, user)
    with _db(request).session() as s:
        review.audit(s, user.institution_id, user.id, "sign-in", f"user {user.id}", "", client)
    return response


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
    with _db(request).reading() as s:
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
    if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
        raise HTTPException(400, f"page: expected a whole number from 1 to {MAX_PAGE}, received {page[:20]!r}")
    page = int(page)
    with _db(request).reading() as s:
        rows, total = data.sessions_page(s, user.institution_id, assessment, flagged, _day(date), page)
    pages = max(1, -(-total // data.PAGE_SIZE))
    return render(request, "sessions.html", user=user, rows=rows, total=total, page=page, pages=pages,
                  filters={"assessment": assessment or "", "flagged": flagged, "date": date or ""})


def _chart(events: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Flags over exam time, as positions for an inline SVG (one row per flag type); the axis
    spans the exam as it was (an 8 s session is 8 s wide, labelled in seconds)."""
    kinds = sorted({e["type"] for e in events if e["flag"]})
    width = max(seconds, max((e["offset"] for e in events), default=0), 1)
    dots = [{"x": round(100 * max(0.0, e["offset"]) / width, 2), "row": kinds.index(e["type"]), "type": e["type"]}
            for e in events if e["flag"]]
    end = f"{width:.0f} s" if width < 120 else f"{width / 60:.1f} min"
    return {"kinds": kinds, "dots": dots, "end": end}


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(request: Request, session_id: str) -> HTMLResponse:
    user = reviewer(request)
    with _db(request).reading() as s:
        session = _own_session(request, user, session_id, s)
        events = data.timeline(s, session)
        score, lines = data.score_of(session, events)
        before = data.score_of(session, events, before_review=True)[0]
        return render(request, "session.html", user=user, session=session, events=events, score=score, lines=lines,
                      score_before=before, states=review.STATES, error=request.query_params.get("error"),
                      chart=_chart(events, data.exam_seconds(session)), cap=CAP, iso=data.iso)


@router.get("/sessions/{session_id}/media/{event_id}")
def session_media(request: Request, session_id: str, event_id: str) -> Response:
    user = reviewer(request)
    with _db(request).reading() as s:
        _own_session(request, user, session_id, s)
        row = s.scalar(select(Media).where(Media.session_id == session_id, Media.event_client_id == event_id))
        if row is None:
            raise HTTPException(404, "No evidence for this event.")
        data = read_checked(request.app.state.evidence, row.path, row.sha256)
        if data is None:
            raise HTTPException(404, "The evidence file is missing or damaged.")
        return Response(data, media_type=row.content_type, headers={"Cache-Control": "private, no-store"})


def _export(records: list[ExamSession], fmt: str, name: str, s) -> Response:  # type: ignore[no-untyped-def]
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


@router.get("/sessions/{session_id}/export.{fmt}")
def export_session(request: Request, session_id: str, fmt: str) -> Response:
    user = reviewer(request)
    with _db(request).reading() as s:
        session = _own_session(request, user, session_id, s)
        return _export([session], fmt, f"session-{session.id}", s)


@router.get("/assessments/export.{fmt}")
def export_assessment(request: Request, fmt: str, assessment: str = "") -> Response:
    """An assessment's sessions; the assessment id is a query value (any characters work)."""
    user = reviewer(request)
    with _db(request).reading() as s:
        records = s.scalars(data.sessions_query(user.institution_id, assessment, False, None)
                            .order_by(ExamSession.started_at)).all() if assessment else []
        if not records:
            raise HTTPException(404, "No such assessment.")
        return _export(list(records), fmt, f"assessment-{_file_safe(assessment)}", s)


def _file_safe(value: str) -> str:
    """A download name from a client-chosen id: letters, digits, ``-`` and ``_`` only."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in value)[:80] or "export"


# --- review ----------------------------------------------------------------------------------
@router.get("/review", response_class=HTMLResponse)
def review_queue(request: Request, assessment: str | None = None) -> HTMLResponse:
    """Ended sessions that still need a decision, most urgent first: lowest score, then most
    flags, then oldest; each with its flag counts and first evidence."""
    user = reviewer(request)
    with _db(request).reading() as s:
        sessions = list(s.scalars(review.queue_query(user.institution_id, assessment).limit(500)))
        first_media = {}
        if sessions:
            for m in s.scalars(select(Media).where(Media.session_id.in_([x.id for x in sessions]),
                                                   Media.content_type == "image/jpeg").order_by(Media.id)):
                first_media.setdefault(m.session_id, m.event_client_id)
        rows = data.session_rows(s, sessions)
        rows.sort(key=lambda r: (r.score, -r.flags, r.session.ended_at))
        return render(request, "review.html", user=user, rows=rows, first_media=first_media, assessment=assessment or "")


@router.post("/sessions/{session_id}/flags/{event_id}/verdict")
def flag_verdict(request: Request, session_id: str, event_id: str, verdict: str = Form(""), note: str = Form(""),
                 csrf: str = Form("")) -> Response:
    """Confirm or dismiss one flag; a dismissed flag no longer counts in the integrity score."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "decide")
    try:
        with _db(request).session() as s:
            review.decide_flag(s, _own_session(request, user, session_id, s), event_id, verdict, note, user.id, client_address(request))
    except review.ReviewError as e:
        return RedirectResponse(f"/dashboard/sessions/{session_id}?{urlencode({'error': str(e)})}", status_code=303)
    return RedirectResponse(f"/dashboard/sessions/{session_id}#flag-{quote(event_id, safe='')}", status_code=303)


@router.post("/sessions/{session_id}/review")
def session_review(request: Request, session_id: str, state: str = Form(""), note: str = Form(""),
                   csrf: str = Form("")) -> Response:
    """Move the session's review on (cleared, or escalated with a note); back to the queue."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "decide")
    try:
        with _db(request).session() as s:
            review.set_state(s, _own_session(request, user, session_id, s), state, note, user.id, client_address(request))
    except review.ReviewError as e:
        return RedirectResponse(f"/dashboard/sessions/{session_id}?{urlencode({'error': str(e)})}", status_code=303)
    return RedirectResponse("/dashboard/review", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> HTMLResponse:
    """The institution's audit trail, newest first."""
    user = reviewer(request)
    with _db(request).reading() as s:
        entries = s.execute(select(AuditEntry, User.email).outerjoin(User, User.id == AuditEntry.user_id)
                            .where(AuditEntry.institution_id == user.institution_id)
                            .order_by(AuditEntry.id.desc()).limit(200)).all()
        return render(request, "audit.html", user=user, entries=entries, iso=data.iso)


# --- candidates (addressed through one of their sessions: the server's own opaque id) --------
@router.get("/sessions/{session_id}/candidate/export.json")
def export_candidate(request: Request, session_id: str) -> Response:
    user = reviewer(request)
    with _db(request).reading() as s:
        candidate_id = _own_session(request, user, session_id, s).candidate_id
        body = candidate_record(s, user.institution_id, candidate_id)
    return JSONResponse(body, headers={"Content-Disposition": f'attachment; filename="candidate-{_file_safe(candidate_id)}.json"'})


@router.post("/sessions/{session_id}/candidate/delete")
def delete_candidate(request: Request, session_id: str, csrf: str = Form("")) -> Response:
    """Everything about this session's candidate, in this institution only."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    with _db(request).session() as s:
        candidate_id = _own_session(request, user, session_id, s).candidate_id
    removed = delete_candidate_of(_db(request), request.app.state.evidence, user.institution_id, candidate_id)
    with _db(request).session() as s:
        review.audit(s, user.institution_id, user.id, "candidate deleted", f"{removed} session(s)", "", client_address(request))
    return RedirectResponse(f"/dashboard/sessions?deleted={removed}", status_code=303)


# --- keys and domains ---------------------------------------------------------------------
def _keys(s, institution_id: int) -> list[ApiKey]:  # type: ignore[no-untyped-def]
    rows = s.scalars(select(ApiKey).where(ApiKey.institution_id == institution_id).order_by(ApiKey.created_at.desc())).all()
    for key in rows:
        key.domains  # loaded for the template
    return list(rows)


@router.get("/keys", response_class=HTMLResponse)
def keys_page(request: Request) -> HTMLResponse:
    user = reviewer(request)
    with _db(request).session() as s:
        return render(request, "keys.html", user=user, keys=_keys(s, user.institution_id), max_domains=keys_mod.MAX_DOMAINS)


@router.post("/keys", response_class=HTMLResponse)
def create_key(request: Request, domains: str = Form(""), csrf: str = Form("")) -> HTMLResponse:
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    wanted = [d for d in domains.replace(",", " ").split() if d]
    with _db(request).session() as s:
        try:
            secret = keys_mod.create_key(s, user.institution.name, wanted)
        except keys_mod.KeyRequestError as e:
            return render(request, "keys.html", status=422, user=user, keys=_keys(s, user.institution_id), error=str(e),
                          max_domains=keys_mod.MAX_DOMAINS)
        return render(request, "keys.html", user=user, keys=_keys(s, user.institution_id), new_secret=secret,
                      max_domains=keys_mod.MAX_DOMAINS)


def _own_key(s, user, key_id: int) -> ApiKey:  # type: ignore[no-untyped-def]
    key = s.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.institution_id == user.institution_id))
    if key is None:
        raise HTTPException(404, "No such key.")
    return key


@router.post("/keys/{key_id}/revoke")
def revoke_key(request: Request, key_id: int, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    with _db(request).session() as s:
        keys_mod.revoke_key(_own_key(s, user, key_id))
    return RedirectResponse("/dashboard/keys", status_code=303)


@router.post("/keys/{key_id}/rotate", response_class=HTMLResponse)
def rotate_key(request: Request, key_id: int, csrf: str = Form("")) -> HTMLResponse:
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    with _db(request).session() as s:
        key = _own_key(s, user, key_id)
        secret = keys_mod.rotate_key(s, key)
        return render(request, "keys.html", user=user, keys=_keys(s, user.institution_id), new_secret=secret,
                      max_domains=keys_mod.MAX_DOMAINS)


# --- settings: webhook, retention ---------------------------------------------------------
def _settings(request: Request, user, status: int = 200, **context: Any) -> HTMLResponse:  # type: ignore[no-untyped-def]
    with _db(request).session() as s:
        institution = s.get(Institution, user.institution_id)
        deliveries = s.scalars(select(WebhookDelivery).where(WebhookDelivery.institution_id == user.institution_id)
                               .order_by(WebhookDelivery.id.desc()).limit(50)).all()
        outbox = s.scalars(select(WebhookOutbox).where(WebhookOutbox.institution_id == user.institution_id)
                           .order_by(WebhookOutbox.id.desc()).limit(50)).all()
        return render(request, "settings.html", status=status, user=user, institution=institution,
                      deliveries=deliveries, outbox=outbox, iso=data.iso, **context)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, saved: bool = False) -> HTMLResponse:
    return _settings(request, reviewer(request), saved=saved)


def _new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


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
    new_secret = None
    with _db(request).session() as s:
        institution = s.get(Institution, user.institution_id)
        institution.webhook_url = url or None
        if url and not institution.webhook_secret:
            institution.webhook_secret = new_secret = _new_webhook_secret()
        institution.retention_days = int(retention_days)
    if new_secret:
        return _settings(request, user, saved=True, new_secret=new_secret)
    return RedirectResponse("/dashboard/settings?saved=1", status_code=303)


@router.post("/settings/deliveries/{outbox_id}/redeliver")
def redeliver(request: Request, outbox_id: int, csrf: str = Form("")) -> Response:
    """Send a flag's webhook again (after the receiver lost it, or the schedule ran out)."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    with _db(request).session() as s:
        if not webhooks.redeliver(s, user.institution_id, outbox_id):
            raise HTTPException(404, "No such delivery.")
    request.app.state.webhooks.wake()
    return RedirectResponse("/dashboard/settings", status_code=303)


@router.post("/settings/webhook-secret", response_class=HTMLResponse)
def rotate_webhook_secret(request: Request, csrf: str = Form("")) -> HTMLResponse:
    """A new signing secret (shown once); deliveries from now on are signed with it."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "manage")
    with _db(request).session() as s:
        institution = s.get(Institution, user.institution_id)
        institution.webhook_secret = new_secret = _new_webhook_secret()
    return _settings(request, user, new_secret=new_secret)
