"""The setup check a candidate runs before exam day: ``widget.checkSystem(options)``.

It needs no session and no API key. It tests the browser, the connection to the Eye server
(round trip, and upload throughput with a throwaway probe: the only thing it sends), and — after
a notice the candidate allows — the camera (frames, light, a face), the microphone (a live level)
and, when asked, sharing the entire screen. Meanwhile it downloads what an exam on this site will
need (numpy, the face models for the features asked) so they are cached, and the loader stores
the start-up snapshot. Nothing is recorded.

Each result is ``{name, label, status, detail, fix}``: ``detail`` in English for support, ``label``
and ``fix`` in the candidate's language. A support code packs every status, reason and figure
into a few characters a candidate can read out (``decode`` reads it back: ``eye check-code``).
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from dataclasses import asdict, dataclass
from typing import Any

from .config import devices, features_of
from .errors import INVALID_CONFIG, PERMISSION_DENIED, NetworkFailure, WidgetError
from .language import N_, Words, choose, words
from .notice import Notice
from .syscheck import DEFAULT, FAILED, REQUIRED_BROWSER_FEATURES, SUCCESS

BROWSER, NETWORK, CAMERA, MICROPHONE, SCREEN, DOWNLOAD = "browser", "network", "camera", "microphone", "screen", "download"
#: The checks, in the order they are listed (and packed into the support code).
CHECKS = (BROWSER, NETWORK, CAMERA, MICROPHONE, SCREEN, DOWNLOAD)
LABELS = {
    BROWSER: N_("Browser"),
    NETWORK: N_("Connection"),
    CAMERA: N_("Camera"),
    MICROPHONE: N_("Microphone"),
    SCREEN: N_("Screen sharing"),
    DOWNLOAD: N_("Exam software"),
}
#: Why a check failed (its position is its number in the support code) and what the candidate can do.
FIXES = {
    "unsupported": N_("Use a current Chrome, Edge or Firefox on a computer (not a phone or tablet)."),
    "declined": N_("Run the check again and press \u201cAllow and start\u201d when it asks to test your devices."),
    "blocked": N_("Your browser blocks this site from your camera or microphone: click the camera icon in the "
                  "address bar, choose \u201cAllow\u201d, then run the check again."),
    "not-found": N_("No camera or microphone was found: connect one, close other apps that use it, then run the "
                    "check again."),
    "no-frames": N_("Your camera sends no picture: close other apps that use it (video calls), check that it is "
                    "not covered, then run the check again."),
    "dark": N_("Your camera picture is too dark: turn on a light in front of you, or open the camera's cover."),
    "no-face": N_("No face was seen: sit facing the camera with your whole face in view and in good light."),
    "muted": N_("Your microphone is muted: unmute it (a switch on your headset or a key on your laptop), then run "
                "the check again."),
    "silent": N_("Your microphone picked up no sound: unmute it, choose the right microphone in your browser's "
                 "settings, and speak while the check listens."),
    "not-entire-screen": N_("Choose \u201cEntire screen\u201d (not a window or a tab) when your browser asks "
                            "what to share."),
    "screen-declined": N_("Allow screen sharing when your browser asks, and choose your entire screen."),
    "unreachable": N_("The exam server could not be reached: check your internet connection, then run the check "
                      "again."),
    "slow-upload": N_("Your upload is too slow for the exam: move closer to your Wi-Fi router or use a cable, and "
                      "stop other uploads and video calls."),
    "download": N_("Part of the exam software could not be downloaded: check your connection, then run the check "
                   "again."),
}
REASONS = ("", *FIXES)
#: Upload the exam needs (kbit/s): a flagged moment's photo and sound clip (~250 KB) within ~5 s.
MIN_UPLOAD_KBPS = 384.0
PROBE_BYTES = 128 * 1024
SILENCE_DB = -60.0
LISTEN_SECONDS = 3.0
FACE_SECONDS = 6.0
MIN_FACE_SCORE = 0.5
SNAPSHOT_SECONDS = 120.0
OPTIONS = ("language", "camera", "microphone", "screen", "features")
CODE_VERSION = 1
CODE_EPOCH = 1_767_225_600  # 2026-01-01: minutes since then fit the code's four bytes for 8,000 years


@dataclass
class Result:
    name: str
    label: str
    status: str
    detail: str = ""
    fix: str = ""
    reason: str = ""  # one of REASONS, for the support code


def validate(raw: Any) -> dict[str, Any]:
    """The options with defaults (camera and microphone on, screen off), or INVALID_CONFIG naming
    each bad field as ``options.<name>``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise WidgetError(INVALID_CONFIG, f"Invalid checkSystem options: expected an object, received {type(raw).__name__}",
                          {"options": "must be an object"})
    problems: dict[str, str] = {}
    features = features_of(raw.get("features"), "options.features", problems)
    for key, value in raw.items():
        if key not in OPTIONS:
            problems[f"options.{key}"] = f"is not a known option (known: {', '.join(OPTIONS)})"
        elif key in ("camera", "microphone", "screen") and not isinstance(value, bool):
            problems[f"options.{key}"] = f"must be true or false, received {value!r}"
        elif key == "language" and value is not None and not isinstance(value, str):
            problems["options.language"] = f"must be a BCP 47 language tag, received {type(value).__name__}"
    if problems:
        raise WidgetError(INVALID_CONFIG, "Invalid checkSystem options: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
                          problems)
    # the exam's features (defaults as init has them) decide the devices, unless the options say otherwise
    needs = devices(features)
    return {"language": raw.get("language"), "features": features, "faces": needs["faces"],
            **{device: raw.get(device, needs[device]) for device in ("camera", "microphone", "screen")}}


class Checkup:
    """One run of the setup check."""

    def __init__(self, browser: Any, transport: Any, options: dict[str, Any]):
        self.browser = browser
        self.transport = transport
        self.options = options
        code, warning = choose(options.get("language"), browser.languages())
        if warning:
            browser.log("warn", warning)
        self.say: Words = words(code)
        self.results: dict[str, Result] = {}
        self.rtt_ms = 0.0
        self.upload_kbps = 0.0

    def _set(self, name: str, status: str, detail: str = "", reason: str = "") -> None:
        t = self.say
        self.results[name] = Result(name, t(LABELS[name]), status, detail, t(FIXES[reason]) if reason else "", reason)

    async def run(self, snapshot: Any = None, *, faces: bool = False, models: dict[str, bool] | None = None) -> dict[str, Any]:
        """``snapshot``: an awaitable the loader resolves when the start-up snapshot is stored
        (None) or could not be (its error); ``faces``: whether the exam analyses the camera, so
        the face models are fetched (and cached) and a camera check looks for a face."""
        b, o = self.browser, self.options
        numpy = asyncio.ensure_future(b.load_numpy())
        analyzer = b.face_analyzer(**(models or {})) if faces else None
        started = asyncio.ensure_future(analyzer.start()) if analyzer is not None else None
        for pending in (numpy, started):
            if pending is not None:
                pending.add_done_callback(lambda f: f.cancelled() or f.exception())  # reported below
        try:
            self._browser_check()
            await self._network_check()
            devices = [d for d in (CAMERA, MICROPHONE, SCREEN) if o[d]]
            for name in (CAMERA, MICROPHONE, SCREEN):
                if name not in devices:
                    self._set(name, DEFAULT, "not asked for")
            if devices and self.results[BROWSER].status == SUCCESS:
                await self._devices(devices, numpy, analyzer, started)
            elif devices:
                for name in devices:
                    self._set(name, FAILED, "the browser cannot run the check", "unsupported")
            await self._download_check(numpy, started, snapshot)
        finally:
            if analyzer is not None:
                analyzer.close()
        results = [asdict(self.results[name]) for name in CHECKS]
        for item in results:
            item.pop("reason")
        return {"results": results, "code": self.code()}

    def _browser_check(self) -> None:
        supported = self.browser.capabilities()
        missing = [f for f in REQUIRED_BROWSER_FEATURES if not supported.get(f)]
        if self.options["screen"] and not self.browser.can_share_screen():
            missing.append("getDisplayMedia")
        if missing:
            self._set(BROWSER, FAILED, "missing " + ", ".join(missing), "unsupported")
        else:
            self._set(BROWSER, SUCCESS, "everything the exam needs")

    async def _network_check(self) -> None:
        try:
            self.rtt_ms = await self.transport.check_server()
            self.upload_kbps = await self.transport.probe_upload(os.urandom(PROBE_BYTES))
        except NetworkFailure as e:
            self._set(NETWORK, FAILED, f"the Eye server is unreachable ({e})", "unreachable")
            return
        detail = f"round trip {self.rtt_ms:.0f} ms, upload {self.upload_kbps:.0f} kbit/s"
        if self.upload_kbps < MIN_UPLOAD_KBPS:
            self._set(NETWORK, FAILED, f"{detail} (the exam needs {MIN_UPLOAD_KBPS:.0f})", "slow-upload")
        else:
            self._set(NETWORK, SUCCESS, detail)

    def _notice(self, devices: list[str]) -> Notice:
        t = self.say
        names = {CAMERA: t("your camera"), MICROPHONE: t("your microphone"), SCREEN: t("sharing your entire screen")}
        return Notice([
            t("This check tests your computer before the exam, here in this browser:"),
            [names[d] for d in devices],
            t("Nothing is recorded, nothing of yours is sent, and no exam starts."),
        ])

    async def _devices(self, devices: list[str], numpy: Any, analyzer: Any, started: Any) -> None:
        b, t = self.browser, self.say
        overlay = b.make_overlay(None, t)
        try:
            overlay.set_status(t("Setup check: waiting for you to allow the test"))
            if not await overlay.consent(self._notice(devices)):
                for name in devices:
                    self._set(name, FAILED, "the candidate declined the device test", "declined")
                return
            if SCREEN in devices:  # first, while the click still counts as the gesture the picker needs
                await self._screen_check()
            cameras = [d for d in devices if d in (CAMERA, MICROPHONE)]
            if cameras:
                overlay.set_status(t("Setup check: testing your camera and microphone"))
                try:
                    media = await b.open_media(overlay, video=CAMERA in cameras, audio=MICROPHONE in cameras)
                except WidgetError as e:
                    reason = "blocked" if e.code == PERMISSION_DENIED else "not-found"
                    for name in cameras:
                        self._set(name, FAILED, e.message, reason)
                    return
                try:
                    if CAMERA in cameras:
                        await self._camera_check(media, analyzer, started)
                    if MICROPHONE in cameras:
                        overlay.set_status(t("Setup check: say a few words so the microphone can be tested"))
                        await self._microphone_check(media, numpy)
                finally:
                    media.close()
        finally:
            overlay.remove()

    async def _screen_check(self) -> None:
        try:
            share = await self.browser.share_screen()
        except WidgetError:
            self._set(SCREEN, FAILED, "the candidate declined to share the screen", "screen-declined")
            return
        try:
            if share.surface != "monitor":
                self._set(SCREEN, FAILED, f"a {share.surface or 'part of the screen'} was shared, not the entire screen",
                          "not-entire-screen")
            else:
                self._set(SCREEN, SUCCESS, f"entire screen {share.width}×{share.height}")
        finally:
            share.close()

    async def _camera_check(self, media: Any, analyzer: Any, started: Any) -> None:
        ok, detail = await media.camera_ok()
        if not ok:
            self._set(CAMERA, FAILED, detail, "dark" if "brightness" in detail else "no-frames")
            return
        if analyzer is None:
            self._set(CAMERA, SUCCESS, detail)
            return
        try:
            await started
        except Exception as e:  # the models could not load: the download check says so
            self._set(CAMERA, SUCCESS, f"{detail}; face not checked ({e})")
            return
        deadline = self.browser.now() + FACE_SECONDS
        while True:
            found = await analyzer.analyse(await media.frame(), False)
            faces = [f for f in found["faces"] if f["score"] >= MIN_FACE_SCORE]
            if faces:
                self._set(CAMERA, SUCCESS, f"{detail}; {len(faces)} face(s) visible")
                return
            if self.browser.now() >= deadline:
                self._set(CAMERA, FAILED, f"{detail}; no face seen in {FACE_SECONDS:.0f} s", "no-face")
                return
            await self.browser.sleep(0.5)

    async def _microphone_check(self, media: Any, numpy: Any) -> None:
        ok, detail = media.microphone_ok()
        if not ok:
            self._set(MICROPHONE, FAILED, detail, "muted")
            return
        await numpy
        import numpy as np

        from .detect.sound import rms_db

        levels: list[float] = []
        await media.start_audio(lambda chunk, rate: levels.append(rms_db(np.asarray(chunk, dtype=np.float32))))
        await self.browser.sleep(LISTEN_SECONDS)
        loudest = max(levels, default=-120.0)
        if not levels or loudest < SILENCE_DB:
            self._set(MICROPHONE, FAILED, f"loudest {loudest:.0f} dBFS in {LISTEN_SECONDS:.0f} s", "silent")
        else:
            self._set(MICROPHONE, SUCCESS, f"loudest {loudest:.0f} dBFS")

    async def _download_check(self, numpy: Any, started: Any, snapshot: Any) -> None:
        got = ["runtime", "widget"]
        try:
            await numpy
            got.append("numpy")
            if started is not None:
                await started
                got.append("face models")
        except Exception as e:
            self._set(DOWNLOAD, FAILED, f"{', '.join(got)} cached; then failed: {e}", "download")
            return
        detail = ", ".join(got) + " cached"
        if snapshot is not None:
            try:
                error = await asyncio.wait_for(snapshot, SNAPSHOT_SECONDS)
            except asyncio.TimeoutError:
                error = f"not stored within {SNAPSHOT_SECONDS:.0f} s"
            detail += "; start-up snapshot stored" if not error else f"; no start-up snapshot ({error})"
        self._set(DOWNLOAD, SUCCESS, detail)

    def code(self) -> str:
        """The support code: version, each check's status and reason, round trip, upload, time."""
        statuses = (DEFAULT, SUCCESS, FAILED)
        packed = bytes([CODE_VERSION]) + bytes(
            statuses.index(self.results[n].status) << 6 | REASONS.index(self.results[n].reason) for n in CHECKS)
        packed += struct.pack(">HHI", min(int(self.rtt_ms), 65535), min(int(self.upload_kbps), 65535),
                              max(0, int((time.time() - CODE_EPOCH) // 60)))
        text = base64.b32encode(packed).decode().rstrip("=")
        return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def decode(code: str) -> dict[str, Any]:
    """What a support code says (``eye check-code``); ValueError for one that is not a code."""
    text = code.strip().upper().replace("-", "").replace(" ", "")
    try:
        packed = base64.b32decode(text + "=" * (-len(text) % 8))
    except ValueError:
        raise ValueError(f"expected a support code such as ABCD-EFGH-…, received {code!r}") from None
    if len(packed) != 1 + len(CHECKS) + 8 or packed[0] != CODE_VERSION:
        raise ValueError(f"expected a version {CODE_VERSION} support code of {1 + len(CHECKS) + 8} bytes, received {code!r}")
    statuses = (DEFAULT, SUCCESS, FAILED)
    checks = {}
    for name, byte in zip(CHECKS, packed[1:1 + len(CHECKS)], strict=True):
        if byte >> 6 >= len(statuses) or byte & 63 >= len(REASONS):
            raise ValueError(f"{code!r} is not a support code (check {name} is unreadable)")
        checks[name] = {"status": statuses[byte >> 6], "reason": REASONS[byte & 63]}
    rtt, upload, minutes = struct.unpack(">HHI", packed[1 + len(CHECKS):])
    return {"checks": checks, "rttMs": rtt, "uploadKbps": upload, "at": CODE_EPOCH + minutes * 60}
