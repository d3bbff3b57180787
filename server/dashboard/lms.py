"""The LMS page (admins): Eye's tool URLs to paste into the institution's LMS, and the LTI
platforms registered for the institution (``eye lti add-platform`` registers one)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from ..lms import platforms
from .auth import reviewer_who_may
from .pages import db_of, render, router


@router.get("/lms", response_class=HTMLResponse)
def lms_page(request: Request) -> HTMLResponse:
    user = reviewer_who_may(request, "manage")
    with db_of(request).reading() as s:
        found = platforms.platforms(s, user.institution_id)
        return render(request, "lms.html", user=user, platforms=found,
                      urls=platforms.tool_urls(request.app.state.public_url))
