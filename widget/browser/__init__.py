"""The browser adapter: the only door from the widget to ``js``/``pyodide``.

Two implementations share one shape:

- ``widget.browser.pyodide.PyodideBrowser`` — the real one, inside Pyodide;
- ``widget.browser.fake.FakeBrowser`` — a scriptable twin for CPython tests.

The shape (duck-typed; every method is small):

``now()`` epoch seconds · ``call_later(seconds, fn)`` → cancel · ``spawn(coro)`` run in the
background, logging failures · ``promise(coro)`` what ``init``/``endProctoring`` return ·
``request(method, url, body=None, token=None)`` → ``(status, json)`` or ``NetworkFailure`` ·
``listen(target, event, handler)`` → remove (target ``"window"`` or ``"document"``) ·
``is_visible()``, ``is_focused()``, ``is_fullscreen()``, ``capabilities()`` ·
``invoke(listener, payload)`` · ``to_py(value)`` · ``log(level, message)``.
"""
