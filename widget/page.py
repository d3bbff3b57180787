"""Eye from Python in the page: PyScript (or any Pyodide the page runs) uses the widget natively.

    from widget.page import load_widget, WidgetError

    widget = await load_widget("https://eye.example.edu/")
    widget.on("STARTED", lambda data: print(data["sessionId"]))      # sync or async def
    try:
        await widget.init({"apiKey": ..., "examDuration": 3600, ...})  # a Python dict
    except WidgetError as e:
        print(e.code, e.fields)                                         # the same codes as JS
    await widget.end_proctoring()

Install the widget into the page's interpreter from the Eye server (PyScript config
``"packages": ["https://eye.example.edu/py/eye_widget-0.1.0-py3-none-any.whl"]``). Payloads
are Python dicts (``mediaFile`` stays a JS ``File``); ``init`` and ``end_proctoring`` are
awaitables that raise ``WidgetError``; JS names (``endProctoring``) work too.
"""

from __future__ import annotations

from typing import Any

from .api import Widget
from .errors import CODES, WidgetError

__all__ = ["CODES", "Widget", "WidgetError", "load_widget"]


async def load_widget(eye_url: str) -> Widget:
    """The widget bound to this page, with its assets (face worker, models) from ``eye_url``."""
    import js  # type: ignore[import-not-found]
    import pyodide_js  # type: ignore[import-not-found]

    from .browser.pyodide import PyodideBrowser

    base = eye_url if eye_url.endswith("/") else eye_url + "/"
    response = await js.fetch(base + "manifest.json")
    if not response.ok:
        raise RuntimeError(f"Eye: expected the Eye server's manifest at {base}manifest.json, received HTTP {response.status}")
    manifest: dict[str, Any] = (await response.json()).to_py()
    browser = PyodideBrowser(pyodide_js, base + manifest["scripts"], base + manifest["human"], python_api=True)
    return Widget(browser, base)
