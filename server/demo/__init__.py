"""The demo exam page served by ``eye demo``: a real page that embeds the widget with a demo key."""

from __future__ import annotations

import html
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

PAGE = Path(__file__).with_name("exam.html")
PYTHON_PAGE = Path(__file__).with_name("python.html")


def python_page(eye_url: str, api_key: str, manifest: dict[str, str], features: dict[str, bool] | None = None) -> str:
    """The PyScript example page for an Eye server at ``eye_url`` (ending with ``/``)."""
    features = features if features is not None else {"aiProctoring": True, "facialRecognition": True}
    py_features = "{" + ", ".join(f"{json.dumps(k)}: {bool(v)}" for k, v in features.items()) + "}"
    return (
        PYTHON_PAGE.read_text()
        .replace("__PYSCRIPT_VERSION__", manifest["pyscript"].strip("/").split("/")[-1])
        .replace("__PYSCRIPT__", manifest["pyscript"])
        .replace("__PYODIDE__", manifest["pyodide"])
        .replace("__WHEEL__", manifest["wheel"])
        .replace("__FEATURES__", py_features)
        .replace("__API_KEY__", api_key)
        .replace("__EYE__", eye_url)
    )


def routes(api_key: str, static_dir: Path) -> list[Route]:
    async def page(request: Request) -> HTMLResponse:
        text = PAGE.read_text().replace("__EYE_DEMO_KEY__", html.escape(json.dumps(api_key), quote=False))
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    async def python(request: Request) -> HTMLResponse:
        manifest = json.loads((static_dir / "manifest.json").read_text())
        text = python_page(str(request.base_url), api_key, manifest)
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    async def root(request: Request) -> RedirectResponse:
        return RedirectResponse("/demo/")

    return [Route("/demo/", page), Route("/demo/python/", python), Route("/", root)]
