"""The widget-facing HTTP API (``/api/v1``): health, sessions, event batches, evidence, end."""

from fastapi import APIRouter

from . import media, sessions

router = APIRouter()
router.include_router(sessions.router)
router.include_router(media.router)

__all__ = ["router"]
