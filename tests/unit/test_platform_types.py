"""TypeScript types for a platform's backend, made from Eye's OpenAPI document by the pinned npm
``openapi-typescript`` (as docs/platform-api.md tells a platform to) and compiled with
``tsc --strict`` against tests/types/platform_usage.ts, which also checks they are not loose."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from server.app import close_app, create_app

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "node_modules" / ".bin"


def test_types_generated_from_the_openapi_document_compile_strictly(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'eye.db'}", static_dir=tmp_path / "static", media_dir=tmp_path / "media")
    try:
        (tmp_path / "openapi.json").write_text(json.dumps(app.openapi()))
    finally:
        close_app(app)
    made = subprocess.run([str(BIN / "openapi-typescript"), "openapi.json", "-o", "platform-api.d.ts"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    types = (tmp_path / "platform-api.d.ts").read_text()
    for route in ('"/api/v1/sessions/{session_id}/flags/{event_id}/verdict"', '"/api/v1/candidates/{candidate_id}"',
                  '"/api/v1/institutions"', "SessionRecord: {", "sessionToken", "secretKey"):
        assert route in types or route in (tmp_path / "openapi.json").read_text(), route
    shutil.copy(ROOT / "tests" / "types" / "platform_usage.ts", tmp_path)
    (tmp_path / "tsconfig.json").write_text(json.dumps({
        "compilerOptions": {"strict": True, "noEmit": True, "target": "ES2020", "module": "ES2020",
                            "moduleResolution": "node", "lib": ["ES2020", "DOM"], "types": []},
        "files": ["platform_usage.ts", "platform-api.d.ts"]}))
    result = subprocess.run([str(BIN / "tsc"), "-p", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
