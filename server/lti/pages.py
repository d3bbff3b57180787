"""The plain pages the LTI door answers a person from their LMS with."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse


def page(title: str, text: str, status: int = 200) -> HTMLResponse:
    """A plain page for a person who came from their LMS."""
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} · Eye</title>'
            f'<link rel="icon" href="/dashboard/favicon.svg" type="image/svg+xml">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f'<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">'
            f'<h1>{html.escape(title)}</h1><p id="lti-message">{html.escape(text)}</p></body></html>')
    return HTMLResponse(body, status_code=status)
