"""The HTTP API (``/api/v1``): the widget's (health, sessions, event batches, evidence, end, with
the API key and session tokens; the setup check's upload probe; the live proctor's channel) and the platform's (secret keys: sessions, results, evidence)."""

from fastapi import APIRouter

from . import channel, check, media, platform, proctoring, provisioning, sessions

router = APIRouter()
router.include_router(sessions.router)
router.include_router(media.router)
router.include_router(platform.router)
router.include_router(provisioning.router)
router.include_router(check.router)
router.include_router(channel.router)
router.include_router(proctoring.router)

__all__ = ["router"]
