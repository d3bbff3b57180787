"""Review pages: the queue, a verdict on each flag, a session's review state, the next session in
the queue, and the per-assessment report. Deciders claim a session while they work on it.

Forms post and redirect (pages work without JavaScript); with ``Accept: application/json`` the
verdict form answers JSON instead, which the keyboard-review script uses to decide flag after flag
without reloading the page."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..lms import attempts
from ..outcomes import records as data
from ..outcomes import reports, review
from ..outcomes.score import CAP
from ..store import Media, User
from ..store.models import iso
from ..web.middleware import client_address
from .auth import check_csrf, may, reviewer, reviewer_who_may
from .pages import db_of, own_session, page_number, render, router, templates, wants_json
from .proctoring import DONE


@router.get("/review", response_class=HTMLResponse)
def review_queue(request: Request, assessment: str | None = None, page: str = "1") -> HTMLResponse:
    """Ended sessions that still need a decision, most urgent first (lowest score, heaviest flags,
    longest waiting); sessions another reviewer is working on come last, marked."""
    user = reviewer(request)
    number = page_number(page)
    with db_of(request).reading() as s:
        rows, total = review.queue(s, user.institution_id, user.id, assessment, number)
        first_media: dict[str, str] = {}
        if rows:
            for m in s.scalars(select(Media).where(Media.session_id.in_([r.session.id for r in rows]),
                                                   Media.content_type == "image/jpeg").order_by(Media.id)):
                first_media.setdefault(m.session_id, m.event_client_id)
        pages = max(1, -(-total // review.QUEUE_PAGE))
        return render(request, "review.html", user=user, rows=rows, first_media=first_media, total=total,
                      page=number, pages=pages, assessment=assessment or "", reviewed=reviewed_note(request, user, s))


@router.get("/review/next")
def next_session(request: Request, after: str = "", assessment: str = "", done: str = "") -> Response:
    """The most urgent session nobody else is working on (the ``n`` key); the queue when none is left.
    ``done``: the session ``after`` was just decided, and the next page says so."""
    user = reviewer(request)
    with db_of(request).reading() as s:
        found = review.next_in_queue(s, user.institution_id, user.id, after or None, assessment or None)
    told = {"reviewed": after} if done and after else {}
    if found is None:
        return RedirectResponse("/dashboard/review?" + urlencode({**({"assessment": assessment} if assessment else {}), **told}),
                                status_code=303)
    return RedirectResponse(f"/dashboard/sessions/{found}" + (f"?{urlencode(told)}" if told else ""), status_code=303)


def reviewed_note(request: Request, user: User, s: Session) -> str | None:
    """"Ada Lovelace (Algebra I): cleared." for the session a reviewer just decided (``?reviewed=ID``)."""
    reviewed = request.query_params.get("reviewed")
    if not reviewed:
        return None
    try:
        done = own_session(user, reviewed, s)
    except HTTPException:
        return None
    return f"{done.candidate_name} ({done.assessment_title}): {done.review_state}. "


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_page(request: Request, session_id: str) -> HTMLResponse:
    """A session's review state, score, flag chart and timeline with evidence beside each flag.
    A decider opening an ended session that still needs a decision claims it for 15 minutes."""
    user = reviewer(request)
    held_by = None
    with db_of(request).session() as s:
        session = own_session(user, session_id, s)
        deciding = "decide" in may(user)
        open_review = session.ended_at is not None and session.review_state in review.OPEN_STATES
        if deciding and open_review:
            try:
                review.claim(s, session, user.id)
            except review.Claimed as e:
                held_by = f"{e.email} is reviewing this session until {e.until:%H:%M} UTC."
        events = data.timeline(s, session)
        attempt = attempts.of_session(s, session.id)
        platform = attempt.platform.issuer if attempt is not None else None
        score, lines = data.score_of(session, events)
        before = data.score_of(session, events, before_review=True)[0]
        return render(request, "session.html", user=user, session=session, events=events, score=score, lines=lines,
                      score_before=before, states=review.STATES,
                      can_decide=deciding and open_review and not held_by,
                      can_reopen=deciding and session.review_state in review.DONE_STATES, error=request.query_params.get("error"),
                      proctored=DONE.get(request.query_params.get("proctored") or ""),
                      held_by=held_by, chart=data.flag_chart(events, data.exam_seconds(session)), cap=CAP,
                      attempt=attempt, platform=platform, reviewed=reviewed_note(request, user, s))


@router.post("/sessions/{session_id}/flags/{event_id}/verdict")
def flag_verdict(request: Request, session_id: str, event_id: str, verdict: str = Form(""), note: str = Form(""),
                 csrf: str = Form("")) -> Response:
    """Confirm or dismiss one flag; a dismissed flag no longer counts in the integrity score."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "decide")
    try:
        with db_of(request).session() as s:
            session = own_session(user, session_id, s)
            decided = review.decide_flag(s, session, event_id, verdict, note, user.id, client_address(request))
            if wants_json(request):  # keyboard review: the new score, read in the same transaction
                events = data.timeline(s, session)
                score, lines = data.score_of(session, events)
                before = data.score_of(session, events, before_review=True)[0]
                verdict = next(e["verdict"] for e in events if e["id"] == event_id)
                # the page's own fragments, so what it shows is what a reload would show
                fragment = {"user": user, "request": request}
                return JSONResponse({
                    "flagId": event_id, "verdict": decided.verdict, "note": decided.note or "",
                    "decidedAt": iso(decided.decided_at), "reviewState": session.review_state, "score": score,
                    "scoreBeforeReview": before,
                    "decidedHtml": templates.get_template("_decided.html").render(verdict=verdict, **fragment),
                    "scoreHtml": templates.get_template("_score.html").render(score=score, score_before=before,
                                                                              lines=lines, cap=CAP, **fragment)})
    except review.ReviewError as e:
        if wants_json(request):
            return JSONResponse({"message": str(e)}, status_code=409 if isinstance(e, (review.Claimed, review.Closed)) else 422)
        return RedirectResponse(f"/dashboard/sessions/{session_id}?{urlencode({'error': str(e)})}", status_code=303)
    return RedirectResponse(f"/dashboard/sessions/{session_id}#flag-{quote(event_id, safe='')}", status_code=303)


@router.post("/sessions/{session_id}/review")
def session_review(request: Request, session_id: str, state: str = Form(""), note: str = Form(""),
                   csrf: str = Form("")) -> Response:
    """Move the session's review on; once cleared or escalated, on to the next session in the queue."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "decide")
    try:
        with db_of(request).session() as s:
            review.set_state(s, own_session(user, session_id, s), state, note, user.id, client_address(request))
    except review.ReviewError as e:
        return RedirectResponse(f"/dashboard/sessions/{session_id}?{urlencode({'error': str(e)})}", status_code=303)
    request.app.state.webhooks.wake()
    if state in review.DONE_STATES:
        return RedirectResponse(f"/dashboard/review/next?{urlencode({'after': session_id, 'done': '1'})}", status_code=303)
    return RedirectResponse(f"/dashboard/sessions/{session_id}", status_code=303)


@router.post("/sessions/{session_id}/reopen")
def reopen_review(request: Request, session_id: str, note: str = Form(""), csrf: str = Form("")) -> Response:
    """Open a cleared or escalated session's review again, with a note saying why (audited); the
    next decision sends a new ReviewCompleted."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "decide")
    try:
        with db_of(request).session() as s:
            review.reopen(s, own_session(user, session_id, s), note, user.id, client_address(request))
    except review.ReviewError as e:
        return RedirectResponse(f"/dashboard/sessions/{session_id}?{urlencode({'error': str(e)})}", status_code=303)
    return RedirectResponse(f"/dashboard/sessions/{session_id}", status_code=303)


@router.post("/sessions/{session_id}/release")
def release_session(request: Request, session_id: str, csrf: str = Form("")) -> Response:
    """Leave the session undecided for now (another reviewer may take it at once) and go on to
    the next one in the queue."""
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "decide")
    with db_of(request).session() as s:
        review.release(s, own_session(user, session_id, s), user.id)
    return RedirectResponse(f"/dashboard/review/next?{urlencode({'after': session_id})}", status_code=303)


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, assessment: str = "") -> HTMLResponse:
    """One assessment's outcomes, printable: sessions by review state, the score distribution,
    flags by type, and confirmed vs dismissed per flag type (which detectors raise false flags)."""
    user = reviewer(request)
    with db_of(request).reading() as s:
        choices = data.assessments(s, user.institution_id)
        if not assessment and choices:  # opens on the latest assessment rather than on nothing
            assessment = choices[0]["id"]
        report = reports.assessment_report(s, user.institution_id, assessment) if assessment else None
    return render(request, "report.html", user=user, report=report, assessment=assessment, choices=choices,
                  status=200 if report or not assessment else 404)
