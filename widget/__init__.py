"""Eye's browser-side Python: the proctoring widget that runs in Pyodide.

Everything here is plain Python except ``widget.browser.pyodide``, the one module that touches
``js``/``pyodide``; ``widget.browser.fake`` is its twin for CPython tests.
"""
