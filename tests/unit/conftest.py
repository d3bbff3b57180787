"""CPython fixtures: the real server app in-process (TestClient, SQLite file) and a key for it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.keys import create_key
from widget.browser.fake import FakeFile, FakeMediaBrowser
from widget.errors import NetworkFailure

PAGE_ORIGIN = "http://localhost:5000"
SERVER = "http://eye.test/"


@pytest.fixture
def app(tmp_path):
    return create_app(f"sqlite:///{tmp_path / 'eye.db'}", static_dir=tmp_path / "static", media_dir=tmp_path / "media")


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
