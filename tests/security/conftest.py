"""The security suite: every attack from the adversarial review, tried as an attacker would (a
plain HTTP client forging ``Origin``, ``Host`` and ``X-Forwarded-*``; a reviewer of another
institution; a candidate), against the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from server.access.users import create_user
from server.app import close_app, create_app
from server.options import Options
from tests.conftest import VALID_CONFIG, moment
from tests.unit.conftest import api_key, client, database_url  # noqa: F401  (fixtures; `app` is this folder's)

ORIGIN = {"Origin": "http://localhost:5000"}
PASSWORD = "correct horse battery"
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 200


@pytest.fixture
def make_app(database_url, tmp_path):  # noqa: F811
    """An app with the given options (defaults: the environment's, as ``eye serve`` has)."""
    made = []

    def make(**options):
        app = create_app(database_url, static_dir=tmp_path / "static", media_dir=tmp_path / "media",
                         options=Options(**options), secret_key_file=tmp_path / "eye.key")
        made.append(app)
        return app

    yield make
    for app in made:
        close_app(app)


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def reviewer(app):
    with app.state.db.session() as s:
        create_user(s, "Test University", "rev@test.edu", PASSWORD)
    return "rev@test.edu"


def csrf_of(client, path="/dashboard/login"):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def login(client, email="rev@test.edu", password=PASSWORD, headers=None):
    return client.post("/dashboard/login", data={"email": email, "password": password, "csrf": csrf_of(client)},
                       headers=headers or {}, follow_redirects=False)


def start(client, api_key, headers=None, **config):
    """A session as a candidate's page (or an attacker with the page's key) creates it."""
    r = client.post("/api/v1/sessions", json={"apiKey": api_key, "config": {**VALID_CONFIG, **config}},
                    headers={**ORIGIN, **(headers or {})})
    return r


def auth(token):
    return {**ORIGIN, "Authorization": f"Bearer {token}"}


def flag(client, created, kind="MULTIPLE_FACE", media=True, event_id=None, **payload):
    """Store one flag (with declared evidence) and upload its JPEG; returns the event id."""
    event_id = event_id or f"{created['sessionId'][:8]}-{kind.lower().replace('_', '')}"
    body = {"description": f"{kind} happened", **payload}
    if media:
        body["media"] = {"contentType": "image/jpeg", "size": len(JPEG)}
    client.post(f"/api/v1/sessions/{created['sessionId']}/events", headers=auth(created["token"]),
                json={"events": [{"id": event_id, "type": kind, "createdAt": moment(), "payload": body}]})
    if media:
        client.post(f"/api/v1/sessions/{created['sessionId']}/events/{event_id}/media", content=JPEG,
                    headers={**auth(created["token"]), "Content-Type": "image/jpeg"})
    return event_id
