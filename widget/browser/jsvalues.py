"""Small FFI helpers (Pyodide only): a Python dict or list as a plain JS object or array, whether
a JS value is absent (``null`` or ``undefined``), and a module worker running a script from the
Eye origin."""

from __future__ import annotations

from typing import Any

import js
import pyodide.ffi
from pyodide.ffi import to_js

JSNULL = getattr(pyodide.ffi, "jsnull", None)


def plain(value: Any) -> Any:
    """``value`` as JS: dicts become plain objects (not Maps)."""
    return to_js(value, dict_converter=js.Object.fromEntries)


def absent(value: Any) -> bool:
    """True for ``None``, JS ``null`` and JS ``undefined``."""
    return (value is None or (JSNULL is not None and value is JSNULL)
            or type(value).__name__ in ("JsNull", "JsUndefined"))


def module_worker(script_url: str) -> tuple[Any, str]:
    """A module worker that runs ``script_url``, and the ``blob:`` URL it was started from (revoke
    it when the worker ends). Browsers start no cross-origin workers, so a same-origin blob
    imports the script from the Eye server."""
    blob = js.Blob.new(to_js([f'import "{script_url}";']), plain({"type": "text/javascript"}))
    url = js.URL.createObjectURL(blob)
    return js.Worker.new(url, plain({"type": "module"})), url
