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

from .api import Widget
from .errors import CODES, WidgetError

__all__ = ["CODES", "Widget", "WidgetError", "load_widget"]


async def load_widget(eye_url: str) -> Widget:
    """The widget bound to this page, with its assets (face worker, models) from ``eye_url``."""
    from .browser.pyodide import page_browser

    base = eye_url if eye_url.endswith("/") else eye_url + "/"
    return Widget(await page_browser(base), base)
