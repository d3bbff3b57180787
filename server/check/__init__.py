"""The setup check page candidates open before exam day: ``GET /check/`` (``?lang=``, ``?screen=1``,
``?features=a,b``). The page loads the widget from this server and runs ``checkSystem``; its
words come from the widget's catalogs, in ``?lang=`` or else the browser's Accept-Language."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from widget.config import FEATURES
from widget.language import LANGUAGES, N_, NAMES, fill_page, for_page, words
from widget.syscheck import DEFAULT, FAILED, SUCCESS

router = APIRouter()
#: The page's words (in the candidate's catalogs, see catalogs.py), by the id the page uses.
PAGE_WORDS = {
    "title": N_("Check your computer for your exam"),
    "intro": N_("Run this check a day or more before your exam, on the computer and in the browser you will use. "
                "It tests your browser, connection, camera and microphone, and prepares this computer so that the "
                "exam starts faster. Nothing is recorded."),
    "screen": N_("Also test screen sharing (if your exam asks you to share your screen)"),
    "start": N_("Start the check"),
    "again": N_("Run the check again"),
    "loading": N_("Preparing the check…"),
    "running": N_("Checking… This can take a minute."),
    "results": N_("Results"),
    SUCCESS: N_("Passed"),
    FAILED: N_("Failed"),
    DEFAULT: N_("Not checked"),
    "ready": N_("Everything is ready for your exam."),
    "fix": N_("Fix what is marked, then run the check again."),
    "code": N_("Support code"),
    "help": N_("If you need help, give this code to your institution's support team."),
    "error": N_("The check could not run:"),
}
PAGE = Path(__file__).with_name("check.html").read_text()


@router.get("/check/", response_class=HTMLResponse)
def check_page(request: Request, lang: str | None = None, screen: str | None = None, features: str | None = None) -> HTMLResponse:
    code = for_page(lang, request.headers.get("accept-language"))
    say = words(code)
    chosen = {name: True for name in (features or "").split(",") if name in FEATURES}
    data = {
        "lang": code,
        "screen": screen in ("1", "true", "yes") or chosen.get("screenMonitoring", False),
        "features": chosen or None,
    }
    current = ' aria-current="page"'
    languages = " ".join(f'<a href="?lang={tag}" lang="{tag}" hreflang="{tag}"{current if tag == code else ""}>{NAMES[tag]}</a>'
                         for tag in LANGUAGES)
    text = fill_page(PAGE, say, PAGE_WORDS, data, "__DATA__", {"__LANGUAGES__": languages})
    return HTMLResponse(text, headers={"Cache-Control": "no-store", "Content-Language": say.code, "Vary": "Accept-Language"})
