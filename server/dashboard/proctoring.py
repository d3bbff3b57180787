"""Live proctoring from a session's page (admins and reviewers): message the candidate, pause or
resume the exam, end it. The same rules as the platform API (server/live/channel.py); audited
under the signed-in user. The candidate reads "your proctor", never a reviewer's address.

The form posts and redirects (the session page works without JavaScript); the live page's side
panel posts it with ``Accept: application/json`` and is answered ``{"done": words}`` or
``{"error": words}`` (with the status) instead."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from widget.channel import CHECK_IN, MESSAGE, PAUSE, RESUME

from ..live import channel
from ..web.middleware import client_address
from .auth import check_csrf, reviewer_who_may
from .pages import db_of, own_session, router, wants_json

#: What the session page says after each action (by its code: a page never shows words from a URL).
DONE = {MESSAGE: "Message sent.", PAUSE: "The exam is paused.", RESUME: "The exam goes on.", "end": "The exam has ended.",
        CHECK_IN: "A fresh picture was asked for: it appears in the timeline."}


@router.post("/sessions/{session_id}/proctor")
def proctor(request: Request, session_id: str, action: str = Form(""), text: str = Form(""), csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    user = reviewer_who_may(request, "proctor")
    address = client_address(request)
    try:
        with db_of(request).session() as s:
            session = own_session(user, session_id, s)
            if action == "end":
                channel.end(s, request.app.state.fanout, session, user_id=user.id, address=address)
            else:
                channel.send(s, request.app.state.fanout, session, action, text if action in (MESSAGE, PAUSE) else "",
                             sender="", user_id=user.id, address=address)
    except channel.ChannelError as e:
        if wants_json(request):
            return JSONResponse({"error": e.message}, status_code=e.status)
        return RedirectResponse(f"/dashboard/sessions/{session_id}?{urlencode({'error': e.message})}", status_code=303)
    request.app.state.webhooks.wake()  # an end may have queued a SessionEnded delivery
    if wants_json(request):
        return JSONResponse({"done": DONE[action]})
    return RedirectResponse(f"/dashboard/sessions/{session_id}?{urlencode({'proctored': action})}#live", status_code=303)
