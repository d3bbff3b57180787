"""Fixtures shared by unit and end-to-end tests."""

from __future__ import annotations

import pytest

VALID_CONFIG = {
    "assessmentId": "exam-42",
    "assessmentTitle": "Algebra I",
    "candidateId": "cand-7",
    "candidateEmail": "ada@example.edu",
    "candidateFirstName": "Ada",
    "candidateLastName": "Lovelace",
    "institutionName": "Test University",
    "examDuration": 600,
}
#: A config whose features need no camera or microphone (for tests of everything else).
BROWSER_ONLY = {**VALID_CONFIG, "features": {"aiProctoring": False, "facialRecognition": False, "periodicSnapshots": False}}


def pytest_sessionstart(session: pytest.Session) -> None:
    """The catalogs' compiled ``.mo`` files as the ``.po`` sources say now (build.py writes them
    too; a translator who edits a ``.po`` and runs the tests sees their words)."""
    import catalogs

    catalogs.compile_to(catalogs.LOCALES)


@pytest.fixture
def config_without_key() -> dict:
    return dict(VALID_CONFIG)


def moment(seconds: float = 0.0) -> str:
    """An ISO time ``seconds`` from now: event times must lie within their session's life."""
    import datetime as dt

    at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
