"""Camera, microphone, overlay and the face worker in the real browser (Pyodide only).

- ``Overlay``: the widget's small panel (inside ``containerId`` or fixed bottom-right): camera
  preview, status line, and the consent notice shown before any device is opened.
- ``MediaSession``: one ``getUserMedia`` stream (raw audio: no echo cancellation, noise
  suppression or gain control), frames as ``ImageBitmap``s, JPEG snapshots as ``File``s, PCM
  chunks from an AudioWorklet, and device-lost notifications.
- ``FaceAnalyzer``: the face worker (Human on tfjs wasm) started from a same-origin blob URL that
  imports the worker module from the Eye origin, fed with transferred ``ImageBitmap``s.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import js
from pyodide.ffi import JsException, create_proxy, to_js

from ..channel import MAX_REPLY
from ..errors import PERMISSION_DENIED, SYSTEM_CHECK_FAILED, WidgetError
from ..language import Words
from ..notice import Notice
from .jsvalues import absent, module_worker, plain

SNAPSHOT_QUALITY = 0.8
#: The first button of a question is the primary action (filled), the others secondary (outlined);
#: both meet WCAG AA contrast, and the focus ring is always visible.
BUTTON_STYLES = (
    "font:inherit;margin-block:0 4px;margin-inline:0 6px;padding:6px 10px;border-radius:4px;cursor:pointer;"
    "background:#0b57d0;color:#fff;border:2px solid #0b57d0;font-weight:600;",
    "font:inherit;margin-block:0 4px;margin-inline:0 6px;padding:6px 10px;border-radius:4px;cursor:pointer;"
    "background:#fff;color:#1b1f24;border:2px solid #5b6470;",
)
FOCUS_CSS = ("#eye-overlay button:focus-visible,#eye-overlay a:focus-visible{outline:3px solid #1b1f24;outline-offset:2px;}"
             "#eye-overlay ul{margin-block:0 8px;padding-inline-start:1.2em;}#eye-overlay li{margin:0;}"
             "#eye-overlay a{color:#0b57d0;}")
#: Logical properties only (inline-start/end, block-start/end): a right-to-left language mirrors it.
#: Never wider or taller than the window: a long notice scrolls inside the panel.
PANEL_STYLE = (
    "font:13px/1.4 system-ui,sans-serif;color:#1b1f24;background:#fff;border:1px solid #c8ccd2;"
    "border-radius:8px;box-shadow:0 2px 10px rgba(0,0,0,.15);padding:8px;inline-size:200px;box-sizing:border-box;"
    "max-inline-size:calc(100vw - 24px);max-block-size:calc(100vh - 24px);overflow-y:auto;overflow-wrap:anywhere;"
)
#: While the panel asks something (the consent notice, a prompt) it is wide enough to read.
ASKING_WIDTH = "min(24rem, calc(100vw - 24px))"




def _element(tag: str, ident: str, **attributes: str) -> Any:
    """A new element with ``id`` and attributes (``aria_live`` is ``aria-live``)."""
    element = js.document.createElement(tag)
    element.id = ident
    for name, value in attributes.items():
        element.setAttribute(name.replace("_", "-"), value)
    return element


def _error_name(e: BaseException) -> str:
    name = getattr(e, "name", None)
    return str(name) if name else str(e).split(":")[0]


class Questions:
    """What the panel asks the candidate, in their words (``say``), whatever draws it (``_ask``:
    the index of the button pressed, -1 when the panel goes)."""

    say: Words

    async def _ask(self, panel_id: str, notice: Notice, buttons: list[tuple[str, str]], focus: bool = True) -> int:
        raise NotImplementedError

    async def consent(self, notice: Notice) -> bool:
        """Show the notice; True when the candidate allows, False when they decline."""
        t = self.say
        return await self._ask("eye-consent", notice, [("eye-consent-accept", t("Allow and start")),
                                                       ("eye-consent-decline", t("Decline"))]) == 0

    async def prompt(self, text: str, label: str) -> bool:
        """Ask the candidate to act (e.g. share the screen again); True once they press ``label``."""
        return await self._ask("eye-prompt", Notice([text]), [("eye-prompt-accept", label)]) == 0

    def inform(self, notice: Notice, label: str) -> None:
        """Show ``notice`` without waiting and without taking the keyboard focus from the page;
        ``label`` (e.g. "Got it") dismisses it."""
        asyncio.ensure_future(self._ask("eye-notice", notice, [("eye-notice-ok", label)], focus=False))


class Overlay(Questions):
    """The widget's visible part. Built only after ``init`` starts; removed at the end."""

    def __init__(self, container_id: str | None, say: Words):
        doc = js.document
        self.say = say
        self._asking: list[asyncio.Future[int]] = []  # questions on screen, answered -1 when the panel goes
        self._messages: Any = None  # the live region of a proctor's messages
        self._cover: Any = None  # over the page while a proctor has paused the exam
        self.root = doc.createElement("div")
        self.root.id = "eye-overlay"
        self.root.lang = say.code
        self.root.dir = say.direction
        self.root.setAttribute("role", "region")
        self.root.setAttribute("aria-label", say("Exam proctoring"))
        fixed = "position:fixed;inset-inline-end:12px;inset-block-end:12px;z-index:2147483647;"
        self.root.style.cssText = PANEL_STYLE + ("" if container_id else fixed)
        self.video = doc.createElement("video")
        self.video.muted = True
        self.video.autoplay = True
        self.video.setAttribute("playsinline", "")
        self.video.style.cssText = "width:100%;border-radius:4px;background:#222;display:none;"
        style = doc.createElement("style")
        style.textContent = FOCUS_CSS
        self.root.append(style)
        self.status = doc.createElement("div")
        self.status.id = "eye-status"
        self.status.setAttribute("role", "status")
        self.root.append(self.video, self.status)
        parent = doc.getElementById(container_id) if container_id else None
        (parent if parent is not None else doc.body).append(self.root)

    def set_status(self, text: str) -> None:
        self.status.textContent = text

    def message(self, text: str, sender: str, label: str, reply: Callable[[str], None] | None = None) -> None:
        """A live proctor's message: announced by a live region, shown as text (never HTML), with
        ``label`` to dismiss it and, given ``reply``, a line to answer; the keyboard focus stays
        where the candidate is."""
        doc = js.document
        if self._messages is None:
            self._messages = _element("div", "eye-messages", role="log", aria_live="assertive",
                                      aria_label=self.say("Messages from your proctor"))
            self.root.insertBefore(self._messages, self.status)
        self.root.style.inlineSize = ASKING_WIDTH
        item = doc.createElement("div")
        item.className = "eye-message"
        item.style.cssText = "border-inline-start:4px solid #0b57d0;padding-inline-start:8px;margin-block:0 8px;"
        head = doc.createElement("p")
        head.style.cssText = "margin:0;font-weight:600;"
        head.textContent = self.say("Message from {sender}", sender=sender) if sender else self.say("Message from your proctor")
        body = doc.createElement("p")
        body.style.cssText = "margin-block:2px 6px;white-space:pre-wrap;"
        body.textContent = text
        button = doc.createElement("button")
        button.type = "button"
        button.textContent = label
        button.style.cssText = BUTTON_STYLES[1]
        item.append(head, body)
        proxies: list[Any] = []
        if reply is not None:
            form = doc.createElement("form")
            form.className = "eye-reply"
            field = doc.createElement("input")
            field.type = "text"
            field.maxLength = MAX_REPLY
            field.setAttribute("aria-label", self.say("Reply to your proctor"))
            field.placeholder = self.say("Reply to your proctor")
            field.style.cssText = "font:inherit;inline-size:100%;box-sizing:border-box;margin-block:0 4px;padding:4px;"
            send = doc.createElement("button")
            send.type = "submit"
            send.textContent = self.say("Send reply")
            send.style.cssText = BUTTON_STYLES[0]
            form.append(field, send)

            def answered(event: Any) -> None:
                event.preventDefault()
                words = str(field.value).strip()
                if not words:
                    return
                reply(words)
                sent = doc.createElement("p")
                sent.style.cssText = "margin:0 0 6px;"
                sent.textContent = self.say("Reply sent.")
                form.replaceWith(sent)

            on_submit = create_proxy(answered)
            proxies.append(on_submit)
            form.addEventListener("submit", on_submit)
            item.append(form)
        item.append(button)

        def dismiss(*_: Any) -> None:
            item.remove()
            for proxy in proxies:
                proxy.destroy()
            if not self._messages.children.length:
                self.root.style.inlineSize = "200px"

        on_click = create_proxy(dismiss)
        proxies.append(on_click)
        button.addEventListener("click", on_click, plain({"once": True}))
        self._messages.append(item)

    def pause(self, title: str, text: str) -> None:
        """Cover the whole page (the exam cannot be worked on) until ``resume``."""
        doc = js.document
        if self._cover is None:
            self._cover = _element("div", "eye-paused", role="alertdialog", aria_modal="true",
                                   aria_labelledby="eye-paused-title")
            self._cover.lang, self._cover.dir = self.say.code, self.say.direction
            self._cover.tabIndex = -1
            self._cover.style.cssText = ("position:fixed;inset:0;z-index:2147483646;background:rgba(27,31,36,.92);color:#fff;"
                                         "display:flex;flex-direction:column;align-items:center;justify-content:center;"
                                         "padding:24px;text-align:center;font:18px/1.5 system-ui,sans-serif;")
            doc.body.append(self._cover)
        heading = doc.createElement("h2")
        heading.id = "eye-paused-title"
        heading.textContent = title
        heading.style.cssText = "font-size:24px;margin:0 0 12px;"
        para = doc.createElement("p")
        para.textContent = text
        para.style.cssText = "max-inline-size:36rem;margin:0;white-space:pre-wrap;"
        self._cover.replaceChildren(heading, para)
        self._cover.focus()

    def resume(self) -> None:
        cover, self._cover = self._cover, None
        if cover is not None:
            cover.remove()

    def _notice(self, notice: Notice, ident: str) -> Any:
        """The notice as paragraphs, lists and a link (text only: nothing in it is read as HTML)."""
        doc = js.document
        body = doc.createElement("div")
        body.id = ident
        for block in notice.blocks:
            if isinstance(block, str):
                element = doc.createElement("p")
                element.textContent = block
                element.style.cssText = "margin-block:0 8px;"
            else:
                element = doc.createElement("ul")
                for item in block:
                    li = doc.createElement("li")
                    li.textContent = item
                    element.append(li)
            body.append(element)
        if notice.link is not None:
            para = doc.createElement("p")
            para.style.cssText = "margin-block:0 8px;"
            link = doc.createElement("a")
            link.textContent, link.href = notice.link
            link.target = "_blank"
            link.rel = "noopener"
            para.append(link)
            body.append(para)
        return body

    async def _ask(self, panel_id: str, notice: Notice, buttons: list[tuple[str, str]], focus: bool = True) -> int:
        """A question in the panel — a labelled, non-modal dialog whose first (primary) button
        has the keyboard focus (unless not ``focus``); the index of the button pressed."""
        doc = js.document
        panel = doc.createElement("div")
        panel.id = panel_id
        panel.setAttribute("role", "dialog")
        panel.setAttribute("aria-labelledby", panel_id + "-title")
        panel.setAttribute("aria-describedby", panel_id + "-text")
        title = doc.createElement("h2")
        title.id = panel_id + "-title"
        title.textContent = self.say("Exam proctoring")
        title.style.cssText = "font-size:14px;margin-block:0 4px;"
        panel.append(title, self._notice(notice, panel_id + "-text"))
        answer: asyncio.Future[int] = asyncio.get_event_loop().create_future()
        self._asking.append(answer)
        wired = []
        for index, (ident, label) in enumerate(buttons):
            button = doc.createElement("button")
            button.id = ident
            button.textContent = label
            button.type = "button"
            button.style.cssText = BUTTON_STYLES[0 if index == 0 else 1]
            proxy = create_proxy(lambda *_, index=index: None if answer.done() else answer.set_result(index))
            button.addEventListener("click", proxy)
            wired.append((button, proxy))
            panel.append(button)
        self.root.style.inlineSize = ASKING_WIDTH
        self.root.append(panel)
        if focus:
            wired[0][0].focus()
        try:
            return await answer
        finally:
            for button, proxy in wired:
                button.removeEventListener("click", proxy)
                proxy.destroy()
            panel.remove()
            self._asking.remove(answer)
            self.root.style.inlineSize = "200px"

    def show(self, stream: Any) -> None:
        self.video.srcObject = stream
        self.video.style.display = "block"

    def declined(self, text: str) -> None:
        """What the candidate reads after declining: the panel stays, saying ``text``."""
        self.video.srcObject = None
        self.video.style.display = "none"
        self.root.style.inlineSize = ASKING_WIDTH
        self.status.textContent = text

    def remove(self) -> None:
        self.video.srcObject = None
        self.resume()
        for answer in list(self._asking):
            if not answer.done():
                answer.set_result(-1)
        self.root.remove()


class MediaSession:
    def __init__(self, stream: Any, overlay: Overlay, scripts_url: str):
        self.stream = stream
        self.overlay = overlay
        self.video = overlay.video
        self.scripts_url = scripts_url
        self._audio_context: Any = None
        self._worklet: Any = None
        self._proxies: list[Any] = []

    @classmethod
    async def open(cls, overlay: Overlay, scripts_url: str, *, video: bool, audio: bool) -> "MediaSession":
        constraints = {
            "video": {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 15}} if video else False,
            "audio": {"echoCancellation": False, "noiseSuppression": False, "autoGainControl": False, "channelCount": 1}
            if audio
            else False,
        }
        devices = getattr(js.navigator, "mediaDevices", None)
        if devices is None:
            raise WidgetError(SYSTEM_CHECK_FAILED, "This browser cannot open a camera (mediaDevices is missing; HTTPS needed)", {"webcam": "unsupported"})
        try:
            stream = await devices.getUserMedia(plain(constraints))
        except JsException as e:
            name = _error_name(e)
            if "NotAllowed" in name or "Security" in name:
                raise WidgetError(PERMISSION_DENIED, f"Camera/microphone permission was denied ({name})", {"media": name}) from None
            raise WidgetError(SYSTEM_CHECK_FAILED, f"Could not open the camera/microphone ({name}: {e})", {"media": name}) from None
        session = cls(stream, overlay, scripts_url)
        if video:
            overlay.show(stream)
            try:
                await session.video.play()
            except JsException:
                pass  # autoplay of a muted inline video is allowed; a refusal still leaves frames flowing
        return session

    # checks
    def _tracks(self, kind: str) -> list[Any]:
        return list(self.stream.getVideoTracks() if kind == "video" else self.stream.getAudioTracks())

    async def camera_ok(self, timeout: float = 5.0) -> tuple[bool, str]:
        """Frames arrive and are not black."""
        tracks = self._tracks("video")
        if not tracks or tracks[0].readyState != "live":
            return False, "no live video track"
        loop = asyncio.get_event_loop()
        deadline = loop.time() + timeout
        while self.video.readyState < 2 or self.video.videoWidth == 0:
            if loop.time() > deadline:
                return False, "no frames arrived"
            await asyncio.sleep(0.05)
        canvas = js.OffscreenCanvas.new(64, 48)
        ctx = canvas.getContext("2d")
        ctx.drawImage(self.video, 0, 0, 64, 48)
        pixels = bytes(ctx.getImageData(0, 0, 64, 48).data.to_py())
        luminance = sum(pixels[0::4]) + sum(pixels[1::4]) + sum(pixels[2::4])
        mean = luminance / (3 * 64 * 48)
        return (mean > 8.0, f"mean brightness {mean:.0f}/255")

    def microphone_ok(self) -> tuple[bool, str]:
        tracks = self._tracks("audio")
        if not tracks:
            return False, "no audio track"
        return (tracks[0].readyState == "live" and not tracks[0].muted, f"audio track {tracks[0].readyState}")

    # frames and evidence
    async def frame(self) -> Any:
        return await js.createImageBitmap(self.video)

    async def snapshot(self, name: str) -> Any:
        """A JPEG ``File`` of the current camera frame."""
        w, h = int(self.video.videoWidth) or 640, int(self.video.videoHeight) or 480
        canvas = js.OffscreenCanvas.new(w, h)
        canvas.getContext("2d").drawImage(self.video, 0, 0, w, h)
        blob = await canvas.convertToBlob(plain({"type": "image/jpeg", "quality": SNAPSHOT_QUALITY}))
        return js.File.new(to_js([blob]), name, plain({"type": "image/jpeg"}))

    # microphone
    async def start_audio(self, on_chunk: Callable[[Any, int], None]) -> int:
        """Stream 500 ms float32 PCM chunks to ``on_chunk(memoryview, sample_rate)``."""
        ctx = js.AudioContext.new()
        self._audio_context = ctx
        await ctx.audioWorklet.addModule(self.scripts_url + "pcm_worklet.js")
        source = ctx.createMediaStreamSource(self.stream)
        node = js.AudioWorkletNode.new(ctx, "eye-pcm")
        mute = ctx.createGain()
        mute.gain.value = 0
        source.connect(node)
        node.connect(mute)
        mute.connect(ctx.destination)
        rate = int(ctx.sampleRate)
        handler = create_proxy(lambda event: on_chunk(event.data.to_py(), rate))
        self._proxies.append(handler)
        node.port.onmessage = handler
        self._worklet = node
        if ctx.state != "running":
            await ctx.resume()
        return rate

    def on_ended(self, callback: Callable[[str], None]) -> None:
        for kind in ("video", "audio"):
            for track in self._tracks(kind):
                proxy = create_proxy(lambda *_a, kind=kind: callback("camera" if kind == "video" else "microphone"))
                self._proxies.append(proxy)
                track.addEventListener("ended", proxy)

    def close(self) -> None:
        for track in list(self.stream.getTracks()):
            track.stop()
        if self._worklet is not None:
            self._worklet.port.onmessage = None
            self._worklet.disconnect()
        if self._audio_context is not None:
            self._audio_context.close()
        for proxy in self._proxies:
            proxy.destroy()
        self._proxies.clear()


class FaceAnalyzer:
    """The face worker. ``analyse(bitmap, embed, objects)`` → ``{"ms", "faces": [dict], "objects":
    [dict] | None}`` (embeddings as memoryviews). ``extras`` says which further models to load:
    ``objects`` (centernet), ``gaze`` (iris), ``liveness`` (antispoof + liveness)."""

    def __init__(self, scripts_url: str, human_url: str, extras: dict[str, bool] | None = None):
        self.worker, self._url = module_worker(scripts_url + "face_worker.js")
        self._human_url = human_url
        self._extras = dict(extras or {})
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._next = 0
        self._handler = create_proxy(self._on_message)
        self._on_error = create_proxy(self._on_worker_error)
        self.worker.onmessage = self._handler
        self.worker.onerror = self._on_error

    def _on_message(self, event: Any) -> None:
        data = event.data
        ident = getattr(data, "id", None)
        key = -1 if data.type == "ready" or ident is None else int(ident)
        future = self._pending.pop(key, None)
        if future is None or future.done():
            return
        if data.type == "error":
            future.set_exception(RuntimeError(f"face worker: {getattr(data, 'message', 'error')}"))
        else:
            future.set_result(data)

    def _on_worker_error(self, event: Any) -> None:
        message = getattr(event, "message", "failed to start")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(RuntimeError(f"face worker: {message}"))
        self._pending.clear()

    def _expect(self, key: int) -> "asyncio.Future[Any]":
        future = asyncio.get_event_loop().create_future()
        self._pending[key] = future
        return future

    async def start(self) -> float:
        ready = self._expect(-1)
        h = self._human_url
        self.worker.postMessage(plain({"type": "init", "human": h + "human.esm.js", "models": h + "models/", "wasm": h + "wasm/",
                                       **self._extras}))
        data = await ready
        return float(data.ms)

    async def analyse(self, bitmap: Any, embed: bool, objects: bool = False) -> dict[str, Any]:
        self._next += 1
        future = self._expect(self._next)
        message = {"type": "detect", "id": self._next, "bitmap": bitmap, "embed": embed, "objects": objects}
        self.worker.postMessage(plain(message), to_js([bitmap]))
        data = await future
        faces = []
        for f in data.faces:
            gaze: Any = getattr(f, "gaze", None)
            faces.append(
                {
                    "score": float(f.score),
                    "box": list(f.box.to_py()),
                    "yaw": float(f.yaw),
                    "pitch": float(f.pitch),
                    "embedding": None if absent(getattr(f, "embedding", None)) else f.embedding.to_py(),
                    "real": float(f.real),
                    "live": float(f.live),
                    "gaze": None if absent(gaze) else list(gaze.to_py()),
                }
            )
        found: Any = getattr(data, "objects", None)
        things = None if absent(found) else [
            {"label": str(o.label), "score": float(o.score), "box": list(o.box.to_py())} for o in found
        ]
        return {"ms": float(data.ms), "faces": faces, "objects": things}

    async def analyse_url(self, url: str) -> dict[str, Any]:
        """Faces (with embeddings) in the image at ``url`` — the candidate's reference photo."""
        response = await js.fetch(url, plain({"credentials": "omit"}))
        if not response.ok:
            raise RuntimeError(f"HTTP {response.status}")
        bitmap = await js.createImageBitmap(await response.blob())
        return await self.analyse(bitmap, True)

    def close(self) -> None:
        self.worker.terminate()
        js.URL.revokeObjectURL(self._url)
        self._handler.destroy()
        self._on_error.destroy()
        for future in self._pending.values():
            if not future.done():
                future.cancel()
        self._pending.clear()
