"""Plain values across the FFI (Pyodide only): a Python dict or list as a plain JS object or
array, and whether a JS value is absent (``null`` or ``undefined``)."""

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
