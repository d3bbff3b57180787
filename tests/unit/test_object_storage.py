"""Evidence in S3-compatible object storage (``s3://bucket/prefix``), tested against moto's
standalone S3 server from PyPI, which stands in for AWS S3 or MinIO: uploads land as objects,
the session's token holder, the dashboard and signed links read them through Eye, and deleting a
candidate (also with ``eye candidates delete`` and no location given) removes the objects."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit

import boto3
import pytest
from fastapi.testclient import TestClient

from eye_testing.servers import eye_command, free_port
from server.access.keys import create_key
from server.app import close_app, create_app
from server.options import Options
from tests.security.conftest import JPEG, auth, flag, start


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto's S3 server did not start")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def aws(s3_server, monkeypatch):
    """The standard AWS variables pointing at the local S3 server, and a fresh bucket."""
    variables = {"AWS_ENDPOINT_URL": s3_server, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                 "AWS_DEFAULT_REGION": "us-east-1"}
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    bucket = f"eye-{os.getpid()}-{time.monotonic_ns()}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    return s3, bucket, variables


def keys_in(s3, bucket):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_evidence_lives_in_object_storage_and_is_deleted_there(aws, tmp_path):
    s3, bucket, variables = aws
    db_url = f"sqlite:///{tmp_path / 'eye.db'}"
    app = create_app(db_url, static_dir=tmp_path / "static", media_dir=f"s3://{bucket}/evidence",
                     options=Options(), secret_key_file=tmp_path / "eye.key")
    with app.state.db.session() as s:
        key = create_key(s, "Test University", ["localhost:5000"])
    with TestClient(app, base_url="http://eye.test") as c:
        created = start(c, key).json()
        event_id = flag(c, created)
        assert keys_in(s3, bucket) == [f"evidence/{created['sessionId']}/{event_id}.jpg"]
        api = c.get(f"/api/v1/sessions/{created['sessionId']}/events/{event_id}/media", headers=auth(created["token"]))
        assert api.status_code == 200 and api.content == JPEG
        link = app.state.media_links.url(app.state.public_url, created["sessionId"], event_id)
        assert c.get(urlsplit(link).path).content == JPEG  # a webhook's signed link, served through Eye
        # tampered object: the stored sha256 no longer matches, so it is not served
        s3.put_object(Bucket=bucket, Key=f"evidence/{created['sessionId']}/{event_id}.jpg", Body=JPEG + b"x")
        assert c.get(urlsplit(link).path).status_code == 404
    close_app(app)
    # the CLI finds the recorded location by itself and removes the objects with the rows
    out = subprocess.run(eye_command("candidates", "delete", "--institution", "Test University", "--candidate", "cand-7",
                                     "--database-url", db_url), cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, **variables}, check=True).stdout
    assert f"s3://{bucket}/evidence" in out
    assert keys_in(s3, bucket) == []
