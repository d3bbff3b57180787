"""schemathesis against the running server's own OpenAPI description: no input makes a 5xx."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

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
