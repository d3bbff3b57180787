"""The setup check's upload probe (``widget.checkSystem``): a candidate's browser sends a
throwaway body to time its upload. Nothing is stored or logged but the count; no key is needed
(the check runs before any exam), so each address gets a few probes a minute."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from ..web.middleware import client_address
from .errors import ApiError, errors, rate_limited

router = APIRouter(prefix="/api/v1")
#: The probe's largest body: a candidate's check sends 128 KB.
MAX_PROBE = 512 * 1024


class Probe(BaseModel):
    received: int


@router.post("/check/upload", response_model=Probe, responses=errors(413, 429))
async def upload_probe(request: Request) -> Probe:
    """Read the body (at most 512 KB), keep nothing, say how many bytes arrived."""
    wait = request.app.state.limits["check_address"].take(client_address(request))
    if wait is not None:
        raise rate_limited(wait, "address")
    received = 0
    async for part in request.stream():
        received += len(part)
        if received > MAX_PROBE:
            raise ApiError(413, "TOO_LARGE", f"The upload probe takes at most {MAX_PROBE} bytes.",
                           {"limit": MAX_PROBE})
    return Probe(received=received)
