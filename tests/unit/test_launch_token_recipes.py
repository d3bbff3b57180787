"""The launch-token recipes in docs/security.md, run as written (Python, and Node.js), are
accepted by the server's check; a token from the wrong secret is not."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from server.access.keys import LaunchTokenError, check_launch_token
from server.store import ApiKey

DOC = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
SECRET = "eyl_the-launch-secret"


def recipe(language: str) -> str:
    return re.search(rf"```{language}\n(.*?)```", DOC.split("## Launch tokens")[1], re.S).group(1)


def key() -> ApiKey:
    return ApiKey(launch_secret=SECRET, require_launch_token=True)


def test_the_python_recipe_makes_tokens_the_server_accepts():
    scope: dict = {}
    exec(recipe("python"), scope)  # noqa: S102 (the documented recipe, run as a user would paste it)
    token = scope["launch_token"](SECRET, "exam-42", "cand-7", 600)
    check_launch_token(key(), token, "exam-42", "cand-7", 600)
    with pytest.raises(LaunchTokenError):
        check_launch_token(key(), scope["launch_token"]("eyl_other", "exam-42", "cand-7", 600), "exam-42", "cand-7", 600)
    with pytest.raises(LaunchTokenError):
        check_launch_token(key(), token, "exam-42", "cand-8", 600)


def test_the_node_recipe_makes_tokens_the_server_accepts():
    script = re.findall(r"```js\n(.*?)```", DOC, re.S)[-1]  # the Node.js recipe (the last js block)
    out = subprocess.run(["node", "-e", script + f"\nconsole.log(launchToken({SECRET!r}, 'exam-42', 'cand-7', 600));"],
                         capture_output=True, text=True, check=True).stdout.strip()
    check_launch_token(key(), out, "exam-42", "cand-7", 600, now=time.time())
    with pytest.raises(LaunchTokenError):  # a longer exam than the token allows
        check_launch_token(key(), out, "exam-42", "cand-7", 601, now=time.time())
