"""The widget-facing HTTP API (``/api/v1``): health, sessions, event batches, end."""

from .sessions import router

__all__ = ["router"]
