"""Monitors wire one browser signal to the session: ``start()`` begins listening, ``stop()`` ends it.

Each monitor gets the browser adapter and a ``report(event, payload)`` callable for state
changes, and a ``flag(type, description, details)`` callable for violations.
"""

from .focus import FocusMonitor
from .fullscreen import FullscreenMonitor

__all__ = ["FocusMonitor", "FullscreenMonitor"]
