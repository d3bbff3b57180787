"""schemathesis against the running server's own OpenAPI description: no input makes a 5xx."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from eye_testing.servers import eye_command
from tests.conftest import VALID_CONFIG

pytestmark = pytest.mark.e2e


def test_no_request_from_the_openapi_spec_gets_a_5xx(eye, exam_page, api_key, tmp_path):
    created = httpx.post(f"{eye.url}api/v1/sessions", json={"apiKey": api_key, "config": VALID_CONFIG},
                         headers={"Origin": exam_page.origin}).json()
    cli = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [str(cli), "run", f"{eye.url}api/v1/openapi.json", "--checks", "not_a_server_error",
         "--max-examples", "40", "--seed", "7", "--request-timeout", "10",
         "-H", f"Authorization: Bearer {created['token']}", "-H", f"Origin: {exam_page.origin}"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,  # its cache stays out of the repository
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert cases and int(cases.group(2)) >= 100, result.stdout[-2000:]  # it really sent requests


def test_the_platform_routes_answer_as_their_openapi_document_says(eye, exam_page, api_key, tmp_path):
    """With a secret key, every platform route's answers — data and errors — match the schemas
    and statuses the document declares (so the client's and TypeScript's types are true).

    The fuzzer acts for an institution of its own: it follows GET /keys to POST /keys/{prefix}/revoke,
    rotates the webhook secret and deletes candidates, which must not touch the other tests' keys."""
    origin = {"Origin": exam_page.origin}
    made = subprocess.run(eye_command("keys", "create", "--institution", "Fuzz College", "--create-institution",
                                      "--domain", exam_page.domain, "--database-url", eye.db_url),
                          cwd=eye.tmp, capture_output=True, text=True, check=True).stdout
    own_key = made.strip().splitlines()[-1]
    created = httpx.post(f"{eye.url}api/v1/sessions", json={"apiKey": own_key, "config": VALID_CONFIG}, headers=origin).json()
    auth = {"Authorization": f"Bearer {created['token']}", **origin}
    flag = {"id": "fuzz-flag-1", "type": "FACE_ABSENCE", "createdAt": created["startedAt"],
            "payload": {"description": "No face", "details": {"seconds": 5}}}
    assert httpx.post(f"{eye.url}api/v1/sessions/{created['sessionId']}/events", json={"events": [flag]},
                      headers=auth).json()["stored"] == 1
    httpx.post(f"{eye.url}api/v1/sessions/{created['sessionId']}/end", json={"reason": "manual"}, headers=auth)
    secret = eye.create_secret_key("Fuzz College")
    cli = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [str(cli), "run", f"{eye.url}api/v1/openapi.json",
         "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
         "--max-examples", "25", "--seed", "11", "--request-timeout", "10",
         "--exclude-path-regex", r"secret-keys/\{prefix\}/revoke",  # it would revoke the key fuzzing
         "--report-ndjson-path", str(tmp_path / "run.ndjson"),
         "-H", f"Authorization: Bearer {secret}"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    cases = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert cases and int(cases.group(2)) >= 100, result.stdout[-2000:]
    still = httpx.post(f"{eye.url}api/v1/sessions", json={"apiKey": api_key, "config": VALID_CONFIG}, headers=origin)
    assert still.status_code == 201, still.text  # the shared key of the other tests was out of its reach
