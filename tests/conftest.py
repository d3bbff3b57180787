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


@pytest.fixture
def config_without_key() -> dict:
    return dict(VALID_CONFIG)
