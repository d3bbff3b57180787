"""CPython fixtures: the real server app in-process (TestClient, SQLite file) and a key for it."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from eye_testing.servers import throwaway_database
from server.access.keys import create_key
from server.app import close_app, create_app
from widget.browser.fake import FakeFile, FakeMediaBrowser
from widget.errors import NetworkFailure

PAGE_ORIGIN = "http://localhost:5000"
SERVER = "http://eye.test/"


POSTGRES = os.environ.get("EYE_TEST_POSTGRES_URL")
#: Server tests run on SQLite, and on PostgreSQL too when scripts/test.sh started one.
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES else [])


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'eye.db'}"
        return
    with throwaway_database(POSTGRES) as url:
        yield url


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(database_url, static_dir=tmp_path / "static", media_dir=tmp_path / "media")
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    with TestClient(app, base_url=SERVER.rstrip("/")) as c:
        yield c


@pytest.fixture
def api_key(app):
    with app.state.db.session() as s:
        return create_key(s, "Test University", ["localhost:5000"])


@pytest.fixture
def browser(client):
    """A fake browser (with fake camera and microphone) whose requests reach the real app,
    sent from PAGE_ORIGIN."""

    def server(method, url, body, token):
        if getattr(server, "offline", False):
            raise NetworkFailure("offline")
        headers = {"Origin": PAGE_ORIGIN}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if isinstance(body, FakeFile):
            r = client.post(url, content=body.data, headers={**headers, "Content-Type": body.type})
        else:
            r = client.request(method, url, json=body, headers=headers)
        return r.status_code, (r.json() if r.content else {})

    return FakeMediaBrowser(server)
