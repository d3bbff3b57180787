"""The house rules, checked: ``mypy --strict`` on widget/ and server/ (the adapter's Protocol
included), ``ruff`` on the code, no ``type: ignore`` without a reason beside it, and ``js`` used
only inside the adapter (widget/browser/)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_strict_passes_on_widget_and_server():
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "no issues found" in result.stdout


def test_ruff_passes():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "widget", "server", "eye", "eye_testing", "bench"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_every_type_ignore_says_why():
    unexplained = []
    for path in [*(ROOT / "widget").rglob("*.py"), *(ROOT / "server").rglob("*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "type: ignore" in line and not re.search(r"type: ignore\[[\w-]+\]\s+#\s*\S", line):
                unexplained.append(f"{path.relative_to(ROOT)}:{number}")
    assert unexplained == []


def test_only_the_adapter_touches_js():
    outside = [str(p.relative_to(ROOT)) for p in (ROOT / "widget").rglob("*.py")
               if "browser" not in p.relative_to(ROOT / "widget").parts
               and re.search(r"^\s*(import js\b|from js |import pyodide|from pyodide)", p.read_text(), re.M)]
    assert outside == []
