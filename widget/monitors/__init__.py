"""Monitors wire one browser signal to the session: ``start()`` begins listening, ``stop()`` ends it.

Each monitor gets the browser adapter, a ``report(event, payload)`` callable for state changes,
and a ``flag(type, description, details, media=None)`` callable for violations.
"""

from .clipboard import ClipboardMonitor
from .devices import DeviceMonitor
from .focus import FocusMonitor
from .fullscreen import FullscreenMonitor
from .network import ConnectivityMonitor
from .screen_share import ScreenShareMonitor
from .screens import ScreensMonitor
from .window import WindowMonitor

__all__ = ["ClipboardMonitor", "ConnectivityMonitor", "DeviceMonitor", "FocusMonitor", "FullscreenMonitor",
           "ScreenShareMonitor", "ScreensMonitor", "WindowMonitor"]
