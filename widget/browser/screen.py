"""The shared screen in the real browser (Pyodide only): ``getDisplayMedia`` asking for the entire
screen, the surface the candidate actually chose, JPEG frames of it on demand, and the end of the
share. Frames are grabbed with ``ImageCapture.grabFrame`` (off the main thread) and encoded in a
worker (``js/jpeg_worker.js``); the screen is never recorded or analysed, only pictured when
evidence is needed.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import js
from pyodide.ffi import JsException, create_proxy, to_js

from ..errors import PERMISSION_DENIED, SYSTEM_CHECK_FAILED, WidgetError
from .jsvalues import module_worker, plain

MAX_WIDTH = 1280
QUALITY = 0.7



def can_share() -> bool:
    devices = getattr(js.navigator, "mediaDevices", None)
    return devices is not None and hasattr(devices, "getDisplayMedia")


class JpegWorker:
    """One worker per page that turns ImageBitmaps into JPEG Files."""

    def __init__(self, scripts_url: str):
        self.worker, self._url = module_worker(scripts_url + "jpeg_worker.js")
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._next = 0
        self._handler = create_proxy(self._on_message)
        self.worker.onmessage = self._handler

    def _on_message(self, event: Any) -> None:
        future = self._pending.pop(int(event.data.id), None)
        if future is not None and not future.done():
            future.set_result(event.data)

    async def encode(self, bitmap: Any, name: str, width: int = MAX_WIDTH, quality: float = QUALITY) -> Any:
        """A JPEG ``File`` of ``bitmap`` (transferred), at most ``width`` pixels wide."""
        self._next += 1
        future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
        self._pending[self._next] = future
        self.worker.postMessage(plain({"id": self._next, "bitmap": bitmap, "width": width, "quality": quality}),
                                to_js([bitmap]))
        data = await asyncio.wait_for(future, 10)
        if getattr(data, "error", None):
            raise RuntimeError(f"jpeg worker: {data.error}")
        return js.File.new(to_js([data.blob]), name, plain({"type": "image/jpeg"}))

    def close(self) -> None:
        self.worker.terminate()
        js.URL.revokeObjectURL(self._url)
        self._handler.destroy()


class ScreenShare:
    """One ``getDisplayMedia`` video track."""

    def __init__(self, stream: Any, encoder: JpegWorker):
        self.stream = stream
        self.track = stream.getVideoTracks()[0]
        settings = self.track.getSettings()
        self.surface = str(getattr(settings, "displaySurface", "") or "")
        self.width = int(getattr(settings, "width", 0) or 0)
        self.height = int(getattr(settings, "height", 0) or 0)
        self._encoder = encoder
        self._capture = js.ImageCapture.new(self.track) if hasattr(js, "ImageCapture") else None
        self._video: Any = None
        self._proxies: list[Any] = []

    @classmethod
    async def open(cls, encoder: JpegWorker) -> "ScreenShare":
        constraints = {"video": {"displaySurface": "monitor"}, "audio": False, "monitorTypeSurfaces": "include",
                       "selfBrowserSurface": "exclude", "surfaceSwitching": "exclude"}
        try:
            stream = await js.navigator.mediaDevices.getDisplayMedia(plain(constraints))
        except JsException as e:
            name = str(getattr(e, "name", "") or str(e).split(":")[0])
            if "NotAllowed" in name or "Abort" in name:
                raise WidgetError(PERMISSION_DENIED, f"Screen sharing was declined ({name})", {"screen": "declined"}) from None
            raise WidgetError(SYSTEM_CHECK_FAILED, f"The screen could not be shared ({name}: {e})", {"screen": name}) from None
        return cls(stream, encoder)

    def live(self) -> bool:
        return str(self.track.readyState) == "live"

    async def _bitmap(self) -> Any:
        if self._capture is not None:
            return await self._capture.grabFrame()
        if self._video is None:  # browsers without ImageCapture: a detached video element
            self._video = js.document.createElement("video")
            self._video.muted = True
            self._video.srcObject = self.stream
            await self._video.play()
        return await js.createImageBitmap(self._video)

    async def snapshot(self, name: str) -> Any:
        """A JPEG ``File`` of the screen now (at most 1280 px wide)."""
        return await self._encoder.encode(await self._bitmap(), name)

    def on_ended(self, callback: Callable[[], None]) -> None:
        proxy = create_proxy(lambda *_: callback())
        self._proxies.append(proxy)
        self.track.addEventListener("ended", proxy)

    def close(self) -> None:
        for track in list(self.stream.getTracks()):
            track.stop()
        if self._video is not None:
            self._video.srcObject = None
        for proxy in self._proxies:
            proxy.destroy()
        self._proxies.clear()
