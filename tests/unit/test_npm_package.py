"""The npm package (packages/eye-js): it builds with ``tsc --strict``, packs only its dist/, and a
bundler user's TypeScript compiles against its types. (Chromium: tests/e2e/test_npm_package_in_chromium.py.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "packages" / "eye-js"


def build() -> Path:
    subprocess.run(["node", str(PACKAGE / "build.mjs")], cwd=ROOT, check=True, capture_output=True, text=True)
    return PACKAGE / "dist"


def test_the_package_builds_packs_its_dist_and_types_check():
    dist = build()
    assert {p.name for p in dist.iterdir()} == {"index.js", "index.d.ts", "loader.d.ts"}
    assert (dist / "loader.d.ts").read_text() == (ROOT / "loader.d.ts").read_text()  # one source of the types
    packed = json.loads(subprocess.run(["npm", "pack", "--dry-run", "--json"], cwd=PACKAGE, check=True,
                                       capture_output=True, text=True).stdout)[0]
    assert {f["path"] for f in packed["files"]} == {"package.json", "dist/index.js", "dist/index.d.ts", "dist/loader.d.ts"}
    tsc = ROOT / "node_modules" / ".bin" / "tsc"
    result = subprocess.run([str(tsc), "-p", "tests/types/package.tsconfig.json"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
