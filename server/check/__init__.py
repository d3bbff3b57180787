"""The setup check page candidates open before exam day: ``GET /check/`` (``?lang=``, ``?screen=1``,
``?features=a,b``). The page loads the widget from this server and runs ``checkSystem``; its
words come from the widget's catalogs, in ``?lang=`` or else the browser's Accept-Language."""

from __future__ import annotations

import html
import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from widget.checkup import PAGE_WORDS
from widget.config import FEATURES
from widget.language import LANGUAGES, NAMES, best_match, words

router = APIRouter()
PAGE = Path(__file__).with_name("check.html").read_text()


def accepted_languages(header: str | None) -> list[str]:
    """An Accept-Language header's tags, most wanted first (``de-AT,en;q=0.8`` → de-AT, en)."""
    ranked = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > 0:
            ranked.append((-q, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


@router.get("/check/", response_class=HTMLResponse)
def check_page(request: Request, lang: str | None = None, screen: str | None = None, features: str | None = None) -> HTMLResponse:
    code = best_match([lang] if lang else []) or best_match(accepted_languages(request.headers.get("accept-language"))) or "en"
    say = words(code)
    chosen = {name: True for name in (features or "").split(",") if name in FEATURES}
    said = {key: say(message) for key, message in PAGE_WORDS.items()}
    data = {
        "lang": code,
        "screen": screen in ("1", "true", "yes") or chosen.get("screenMonitoring", False),
        "features": chosen or None,
        "words": said,
    }
    current = ' aria-current="page"'
    languages = " ".join(f'<a href="?lang={tag}" lang="{tag}" hreflang="{tag}"{current if tag == code else ""}>{NAMES[tag]}</a>'
                         for tag in LANGUAGES)
    text = (PAGE.replace("__LANG__", say.code).replace("__DIR__", say.direction)
            .replace("__DATA__", json.dumps(data).replace("<", "\\u003c"))
            .replace("__LANGUAGES__", languages))
    for key, message in said.items():
        text = text.replace(f"__{key.upper()}__", html.escape(message, quote=True))
    return HTMLResponse(text, headers={"Cache-Control": "no-store", "Content-Language": say.code, "Vary": "Accept-Language"})
