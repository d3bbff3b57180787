"""Rate limits shared through Redis: two instances of the app (as behind a load balancer) count
against the same windows, so the sign-in throttle and session-creation limits hold across them;
without Redis each process counts alone."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from fastapi.testclient import TestClient

from server.access.keys import create_key
from server.access.users import create_user
from server.app import close_app, create_app
from server.options import Options
from tests.conftest import VALID_CONFIG

REDIS = os.environ.get("EYE_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS, reason="scripts/test.sh starts Redis (EYE_TEST_REDIS_URL)")
PASSWORD = "correct horse battery"


@pytest.fixture
def two_instances(tmp_path):
    """Two apps on one database, as two processes behind a load balancer would be."""
    db = f"sqlite:///{tmp_path / 'eye.db'}"
    prefix = uuid.uuid4().hex  # a fresh Redis namespace per test: keys are per email/address
    options = Options(redis_url=f"{REDIS}" if REDIS else None)
    apps = [create_app(db, static_dir=tmp_path / "static", media_dir=tmp_path / "media", options=options,
                       secret_key_file=tmp_path / "eye.key") for _ in range(2)]
    with apps[0].state.db.session() as s:
        create_user(s, "Test University", f"{prefix}@test.edu", PASSWORD)
        key = create_key(s, "Test University", ["localhost:5000"])
    yield apps, f"{prefix}@test.edu", key
    for app in apps:
        close_app(app)


def sign_in(client, email, password):
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/dashboard/login").text).group(1)
    return client.post("/dashboard/login", data={"email": email, "password": password, "csrf": csrf},
                       follow_redirects=False).status_code


@needs_redis
def test_the_sign_in_throttle_holds_across_instances(two_instances):
    apps, email, _ = two_instances
    with TestClient(apps[0], base_url="http://eye.test") as a, TestClient(apps[1], base_url="http://eye.test") as b:
        statuses = [sign_in(a if i % 2 else b, email, f"wrong guess {i}!") for i in range(8)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3  # alternating instances does not help


@needs_redis
def test_session_creation_limits_hold_across_instances(two_instances):
    apps, _, key = two_instances
    with TestClient(apps[0], base_url="http://eye.test") as a, TestClient(apps[1], base_url="http://eye.test") as b:
        statuses = [(a if i % 2 else b).post("/api/v1/sessions", json={"apiKey": key, "config": {**VALID_CONFIG, "candidateId": f"c{i}"}},
                                             headers={"Origin": "http://localhost:5000"}).status_code for i in range(70)]
    assert statuses.count(201) == 60 and statuses[-1] == 429  # 60 per 30 s per (key, address), over both


def test_without_redis_each_process_counts_alone(tmp_path):
    db = f"sqlite:///{tmp_path / 'eye.db'}"
    apps = [create_app(db, static_dir=tmp_path / "s", media_dir=tmp_path / "m", options=Options(),
                       secret_key_file=tmp_path / "k") for _ in range(2)]
    with apps[0].state.db.session() as s:
        create_user(s, "T", "x@test.edu", PASSWORD)
    with TestClient(apps[0], base_url="http://eye.test") as a, TestClient(apps[1], base_url="http://eye.test") as b:
        statuses = [sign_in(a if i % 2 else b, "x@test.edu", f"wrong guess {i}!") for i in range(8)]
    assert statuses.count(429) == 0  # 4 tries on each: the documented reason to use Redis
    for app in apps:
        close_app(app)


def test_limits_can_be_changed_by_the_operator_with_clear_errors(tmp_path):
    from server.options import OptionError

    for bad, says in [("bogus=1 per second", "'bogus' is not a limit"), ("key_address=lots", "expected e.g.")]:
        with pytest.raises(OptionError, match=says):
            Options.from_env({"EYE_RATE_LIMITS": bad})
    options = Options.from_env({"EYE_RATE_LIMITS": "key_address=3 per minute"})
    app = create_app(f"sqlite:///{tmp_path / 'eye.db'}", static_dir=tmp_path / "s", media_dir=tmp_path / "m",
                     options=options, secret_key_file=tmp_path / "k")
    with app.state.db.session() as s:
        key = create_key(s, "T", ["localhost:5000"])
    with TestClient(app, base_url="http://eye.test") as c:
        statuses = [c.post("/api/v1/sessions", json={"apiKey": key, "config": {**VALID_CONFIG, "candidateId": f"c{i}"}},
                           headers={"Origin": "http://localhost:5000"}).status_code for i in range(4)]
    assert statuses == [201, 201, 201, 429]
    close_app(app)


def test_a_public_url_must_be_just_an_origin():
    from server.options import OptionError

    for bad in ["eye.example.edu", "ftp://eye.example.edu", "https://eye.example.edu/path", "https://u:p@eye.example.edu"]:
        with pytest.raises(OptionError, match="public URL"):
            Options.from_env({"EYE_PUBLIC_URL": bad})
    assert Options.from_env({"EYE_PUBLIC_URL": "https://Eye.Example.edu/"}).public_url == "https://eye.example.edu"
