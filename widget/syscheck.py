"""The system check run by ``init``: browser capabilities, camera, microphone, the shared screen,
and the link to the Eye server. A device that the enabled features do not need reports ``default``."""

from __future__ import annotations

from typing import Any

from .errors import NetworkFailure
from .events import iso

SUCCESS, FAILED, DEFAULT = "success", "failed", "default"
REQUIRED_BROWSER_FEATURES = ("fetch", "Promise", "WebAssembly", "visibilityState")


async def run(browser: Any, transport: Any, media: Any = None, *, camera: bool = False, microphone: bool = False,
              screen: Any = None) -> dict[str, Any]:
    """Return the SYSTEM_CHECK_COMPLETED payload (``success`` is False if any check failed)."""
    data = []
    supported = browser.capabilities()
    missing = [f for f in REQUIRED_BROWSER_FEATURES if not supported.get(f)]
    data.append({"name": "browser", "status": FAILED if missing else SUCCESS, "finished": True, "missing": missing})
    if camera and media is not None:
        ok, detail = await media.camera_ok()
        data.append({"name": "webcam", "status": SUCCESS if ok else FAILED, "finished": True, "detail": detail})
    else:
        data.append({"name": "webcam", "status": DEFAULT, "finished": True})
    if microphone and media is not None:
        ok, detail = media.microphone_ok()
        data.append({"name": "microphone", "status": SUCCESS if ok else FAILED, "finished": True, "detail": detail})
    else:
        data.append({"name": "microphone", "status": DEFAULT, "finished": True})
    if screen is not None:
        live = screen.live()
        data.append({"name": "screen", "status": SUCCESS if live else FAILED, "finished": True,
                     "detail": f"entire screen {screen.width}×{screen.height}" if live else "the shared screen ended"})
    else:
        data.append({"name": "screen", "status": DEFAULT, "finished": True})
    try:
        rtt = await transport.check_server()
        data.append({"name": "internetSpeed", "status": SUCCESS, "finished": True, "rttMs": round(rtt, 1)})
    except NetworkFailure as e:
        data.append({"name": "internetSpeed", "status": FAILED, "finished": True, "error": str(e)})
    return {
        "success": all(item["status"] != FAILED for item in data),
        "timestamp": iso(browser.now()),
        "data": data,
    }
