"""loader.d.ts describes the real widget: a usage file compiles under ``tsc --strict`` (and the
misuses marked ``@ts-expect-error`` are refused), and its lists match the Python code's."""

import re
import subprocess
from pathlib import Path

from widget.config import FEATURES, KNOWN, THRESHOLDS
from widget.errors import CODES
from widget.events import EVENTS

ROOT = Path(__file__).resolve().parents[2]
TYPES = (ROOT / "loader.d.ts").read_text()


def test_usage_compiles_with_tsc_strict():
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    result = subprocess.run([str(tsc), "-p", "tests/types/tsconfig.json"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def block(name: str) -> str:
    """The body of ``export interface NAME {...}`` or ``export type NAME = ...;``."""
    match = re.search(rf"export interface {name}\b[^{{]*{{(.*?)\n}}", TYPES, re.S) or re.search(
        rf"export type {name} =(.*?);\n\n", TYPES, re.S)
    assert match, name
    return match.group(1)


def test_type_lists_match_the_code():
    assert set(re.findall(r"^\s+([A-Z_]+):", block("EventPayloads"), re.M)) == set(EVENTS)
    assert set(re.findall(r'"([A-Z_]+)"', block("ErrorCode"))) == set(CODES)
    assert set(re.findall(r"^\s+(\w+)\??:", block("WidgetConfig"), re.M)) == set(KNOWN)
    assert set(re.findall(r"^\s+(\w+)\?:", block("Features"), re.M)) == set(FEATURES)
    assert set(re.findall(r"^\s+(\w+)\?:", block("Thresholds"), re.M)) == set(THRESHOLDS)
