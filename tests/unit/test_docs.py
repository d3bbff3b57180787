"""The reference docs cover every event and every error code the code defines — no more, no less."""

import re
from pathlib import Path

from widget.errors import CODES
from widget.events import EVENTS

ROOT = Path(__file__).resolve().parents[2]


def headings(page: str) -> set[str]:
    return set(re.findall(r"^### `([A-Z_]+)`", (ROOT / "docs" / page).read_text(), re.M))


def server_codes() -> set[str]:
    """Every ``code`` the server can answer with, read from its source."""
    found: set[str] = set()
    patterns = [r'ApiError\(\s*\d+,\s*"([A-Z_]+)"', r'TokenError\(\s*"([A-Z_]+)"', r'Refused\(\s*\d+,\s*"([A-Z_]+)"',
                r'"code":\s*"([A-Z_]+)"', r'_error\(\s*\d+,\s*"([A-Z_]+)"',
                r'\b[45]\d\d: "([A-Z_]+)"', r'_CODES\.get\(\w+, "([A-Z_]+)"\)']  # the framework's errors, mapped
    for path in (ROOT / "server").rglob("*.py"):
        text = path.read_text()
        for pattern in patterns:
            found.update(re.findall(pattern, text))
    return found


def test_every_event_is_documented():
    assert headings("events.md") == set(EVENTS)


def test_every_error_code_is_documented():
    codes = set(CODES) | server_codes()
    assert {"SESSION_ENDED", "RATE_LIMITED", "SESSION_TOKEN_EXPIRED", "INVALID_REQUEST"} <= codes  # the scan works
    assert headings("errors.md") == codes


def test_docs_links_resolve():
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([\w.-]+\.md)(?:#[\w-]+)?\)", page.read_text()):
            assert (ROOT / "docs" / target).exists(), f"{page.name} links to missing {target}"


def test_the_demo_page_shows_every_event_in_words():
    page = (ROOT / "server" / "demo" / "exam.html").read_text()
    block = re.search(r"const EVENTS = \{(.*?)\};", page, re.S).group(1)
    assert set(re.findall(r"\b([A-Z][A-Z_]+):", block)) == set(EVENTS)
    from widget.events import LABELS

    assert dict(re.findall(r'\b([A-Z][A-Z_]+): "([^"]+)"', block)) == LABELS  # the same words as the dashboard
