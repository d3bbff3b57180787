"""The ``Widget`` facade the page sees: on/off/init/endProctoring/resetSessionListeners/state.

JS names (``endProctoring``) and Python names (``end_proctoring``) are the same methods. ``init``
and ``endProctoring`` return what the adapter makes of a coroutine: a JS Promise in the browser
(rejecting with an ``Error`` that has a ``code``), an awaitable under CPython.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable

from . import config as config_mod
from . import events as ev
from . import syscheck
from .channel import CHECK_IN, MAX_REPLY, MESSAGE, PAUSE, RESUME, Channel, Sent
from .errors import (
    ALREADY_ACTIVE,
    INVALID_CONFIG,
    NETWORK_ERROR,
    PERMISSION_DENIED,
    SYSTEM_CHECK_FAILED,
    NetworkFailure,
    WidgetError,
)
from .language import N_, choose, words
from .monitors import (
    ClipboardMonitor,
    ConnectivityMonitor,
    DeviceMonitor,
    FocusMonitor,
    FullscreenMonitor,
    ScreenShareMonitor,
    ScreensMonitor,
    WindowMonitor,
)
from .monitors.screen_share import SHARED_INSTEAD, SharedScreen
from .notice import consent_notice, declined_text
from .session import ACTIVE, INITIALIZING, Lifecycle, Tally, saved_session_key
from .transport import Transport

if TYPE_CHECKING:
    from .browser.adapter import Browser

DEFAULT_SNAPSHOT_INTERVAL = 120.0


SCREEN_TRIES = 3
ID_PROMPT = N_("Hold your photo ID (ID card, passport or driving licence) next to your face, photo towards the "
               "camera, then press \u201cCheck my ID\u201d.")


class Widget:
    def __init__(self, browser: Browser, base_url: str):
        self._browser = browser
        self._base_url = base_url
        self._bus = ev.EventBus(browser.invoke, browser.log)
        self._lifecycle = Lifecycle()
        self._transport: Transport | None = None
        self._monitors: list[Any] = []
        self._config: dict[str, Any] | None = None
        self._session_id: str | None = None
        self._tally = Tally()
        self._cancel_timer: Callable[[], None] | None = None
        self._starting: Any = None
        self._ending: Any = None
        self._overlay: Any = None
        self._left_overlay: Any = None
        self._media: Any = None
        self._analyzer: Any = None
        self._screen = SharedScreen()
        self._words = words()
        self._channel: Channel | None = None
        self._paused_at: float | None = None

    # --- listeners -------------------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._lifecycle.state

    def on(self, event: str, callback: Any) -> Callable[[], None]:
        return self._bus.on(event, callback)

    def off(self, event: str, callback: Any) -> None:
        self._bus.off(event, callback)

    def reset_session_listeners(self) -> None:
        self._bus.clear()

    resetSessionListeners = reset_session_listeners

    # --- lifecycle -------------------------------------------------------------------------
    def init(self, config: Any) -> Any:
        """Start proctoring with ``config``: a JS Promise in the page, an awaitable under Python."""
        self._starting = asyncio.ensure_future(self._init(self._browser.to_py(config)))
        return self._browser.promise(self._starting)

    def end_proctoring(self) -> Any:
        return self._browser.promise(self._end("manual"))

    endProctoring = end_proctoring

    def check_system(self, options: Any = None, snapshot: Any = None) -> Any:
        """The setup check before exam day (widget/checkup.py): no session, nothing recorded.
        ``snapshot`` is the loader's promise of the stored start-up snapshot. Resolves to
        ``{"results": [...], "code": "..."}`` (the JS facade makes it a list with ``.code``)."""
        return self._browser.promise(self._check_system(self._browser.to_py(options), snapshot))

    checkSystem = check_system

    async def _check_system(self, raw: Any, snapshot: Any) -> dict[str, Any]:
        from .checkup import Checkup, validate

        if self.state in (INITIALIZING, ACTIVE):
            raise WidgetError(ALREADY_ACTIVE, f"checkSystem() called while the widget is {self.state}: the setup check "
                              "runs before the exam (call it on a page with no exam, or after endProctoring())")
        options = validate(raw)
        checkup = Checkup(self._browser, Transport(self._browser, self._base_url), options)
        features = options["features"]
        return await checkup.run(snapshot, faces=options["faces"], models=config_mod.face_models(features))

    @property
    def session_id(self) -> str | None:
        return self._session_id

    def diagnostics(self) -> dict[str, Any]:
        """Figures for benchmarks and support (not an event source): analysis counts and timings."""
        out: dict[str, Any] = {"state": self.state, "monitors": [type(m).__name__ for m in self._monitors]}
        for m in self._monitors:
            if hasattr(m, "analysis_ms"):
                out["framesAnalysed"] = m.analysed
                out["analysisMs"] = list(m.analysis_ms)
                out["frameInterval"] = round(m.frame_interval, 3)
                out["effectiveFps"] = m.effective_rate()
                out["objectPasses"] = m.object_passes
                if m.judge.gaze is not None:
                    out["gazeCalibrated"] = m.judge.gaze.calibrated
            if hasattr(m, "chunks"):
                out["audioChunks"] = m.chunks
        plain: dict[str, Any] = ev.plain_data(out)
        return plain

    def _emit(self, event: str, payload: Any = None, stored: Any = None) -> str | None:
        """Tell listeners; queue the event (``stored``, else ``payload``) for the server."""
        payload, stored = ev.plain_data(payload), ev.plain_data(stored)
        event_id = None
        if self._transport is not None and event != ev.END_PROCTORING:
            event_id = self._transport.record(event, payload if stored is None else stored, self._browser.now())
        self._bus.emit(event, payload)
        return event_id

    async def _init(self, raw: Any) -> dict[str, Any]:
        self._lifecycle.begin_init()
        try:
            return await self._start(raw)
        except BaseException:
            self._release()
            if self._transport is not None:
                self._transport.abandon()
                self._transport = None
            if self._lifecycle.state == INITIALIZING:
                self._lifecycle.init_failed()
            raise

    async def _start(self, raw: Any) -> dict[str, Any]:
        config = config_mod.validate(raw)
        code, warning = choose(config.get("language"), self._browser.languages())
        if warning:
            self._browser.log("warn", warning)
        self._words = t = words(code)
        features = config["features"]
        needs = config_mod.devices(features)
        faces_on, camera, microphone, screen = needs["faces"], needs["camera"], needs["microphone"], needs["screen"]
        transport = Transport(self._browser, self._base_url)
        transport.on_server_end = self._server_ended
        self._transport = transport
        # The server's word on key, origin and launch token comes before any consent or device:
        # a page that would be refused never shows the consent notice.
        try:
            await transport.check_server()
        except NetworkFailure as e:
            raise WidgetError(NETWORK_ERROR, f"Could not reach the Eye server at {self._base_url}: {e}") from None
        institution = await transport.preflight(config["apiKey"], config_mod.public(config), config.get("launchToken"))
        if screen and not self._browser.can_share_screen():
            raise WidgetError(SYSTEM_CHECK_FAILED, "System check failed: screen: this browser cannot share the screen "
                              "(navigator.mediaDevices.getDisplayMedia is missing; phones and tablets cannot)",
                              {"screen": "getDisplayMedia is not supported"})
        self._emit(ev.SYSTEM_CHECK_STARTED)
        numpy_ready = asyncio.ensure_future(self._prepare_numpy(faces_on, microphone)) if (faces_on or microphone) else None
        analyzer_ready = None
        if faces_on:  # the face worker fetches and compiles its models while the consent notice is read
            self._analyzer = self._browser.face_analyzer(**config_mod.face_models(features))
            analyzer_ready = asyncio.ensure_future(self._analyzer.start())
            analyzer_ready.add_done_callback(lambda f: f.cancelled() or f.exception())  # failures are reported below
        if self._left_overlay is not None:  # a declined notice from an earlier init
            self._left_overlay.remove()
            self._left_overlay = None
        # what the candidate is told: the devices and browser signals this exam records (with no
        # device, a notice that does not hold the exam up; with no signal either, nothing to tell)
        with_devices = camera or microphone or screen
        if with_devices or any(features[name] for name in config_mod.BROWSER_SIGNALS):
            self._overlay = self._browser.make_overlay(config.get("containerId"), t)
            notice = consent_notice(config, camera, microphone, screen, retention_days=institution.get("retentionDays"), say=t)
            if not with_devices:
                self._overlay.inform(notice, t("Got it"))
        if with_devices:
            self._overlay.set_status(t("Eye proctoring: waiting for your consent"))
            if not await self._overlay.consent(notice):
                # the panel stays and tells the candidate what happens next (the page gets the error)
                self._overlay.declined(declined_text(config, t))
                self._left_overlay, self._overlay = self._overlay, None
                raise WidgetError(PERMISSION_DENIED, "The candidate declined proctoring", {"consent": "declined"})
            if screen:  # first, while the consent click still counts as the gesture the picker needs
                self._screen.screen = await self._share_screen()
            if camera or microphone:
                self._overlay.set_status(t("Eye proctoring: checking camera and microphone"))
                self._media = await self._browser.open_media(self._overlay, video=camera, audio=microphone)
        check = await syscheck.run(self._browser, transport, self._media, camera=camera, microphone=microphone,
                                   screen=self._screen.screen)
        self._emit(ev.SYSTEM_CHECK_COMPLETED, check)
        failed = {i["name"]: i.get("error") or i.get("detail") or "failed" for i in check["data"] if i["status"] == syscheck.FAILED}
        if "internetSpeed" in failed and len(failed) == 1:
            raise WidgetError(NETWORK_ERROR, f"System check failed: the Eye server is unreachable ({failed['internetSpeed']})", failed)
        if failed:
            raise WidgetError(SYSTEM_CHECK_FAILED, "System check failed: " + "; ".join(f"{k}: {v}" for k, v in failed.items()), failed)
        try:
            if numpy_ready is not None:
                await numpy_ready
            if analyzer_ready is not None:
                await analyzer_ready
        except Exception as e:
            raise WidgetError(SYSTEM_CHECK_FAILED, f"Face analysis could not start: {e}", {"faceAnalysis": str(e)}) from None
        judge = await self._face_judge(config) if faces_on else None
        id_check = await self._check_id(judge) if judge is not None and features["idVerification"] else None
        visible = config_mod.public(config)
        created = await self._resume(transport, config) or await transport.create_session(config["apiKey"], visible, config.get("launchToken"))
        self._config = config
        self._session_id = created["sessionId"]
        local_start = created.get("localStartedAt", self._browser.now())  # this browser's clock, for the timer
        before = self._browser.saved_session(self._saved_key(config)) or {}
        channel_id = int(before.get("channelId", 0)) if before.get("sessionId") == created["sessionId"] else 0
        self._browser.save_session(self._saved_key(config), {
            "sessionId": created["sessionId"], "token": transport.token, "startedAt": created["startedAt"],
            "localStartedAt": local_start, "channelId": channel_id,
        })
        self._tally = Tally()
        self._ending = None
        self._emit(ev.SET_CONFIG, {"config": visible})
        self._monitors = self._make_monitors(config, judge)
        for monitor in self._monitors:
            monitor.start()
        elapsed = self._browser.now() - local_start
        self._cancel_timer = self._browser.call_later(max(0.0, float(config["examDuration"]) - elapsed), self._time_up)
        self._lifecycle.activate()
        self._channel = Channel(self._browser, transport.channel_url(), transport.token or "", self._proctor,
                                last_id=channel_id, remember=self._remember_channel,
                                closed=lambda: self._browser.spawn(transport.check_state()))
        self._channel.start()
        if id_check is not None:
            self._report_id(*id_check)
        if self._overlay is not None:
            self._overlay.set_status(t("Eye proctoring is active"))
        started = {"sessionId": self._session_id, "startedAt": created["startedAt"], "resumed": bool(created.get("resumed"))}
        self._emit(ev.STARTED, started)
        return started

    async def _check_id(self, judge: Any) -> tuple[Any, Any]:
        """The photo-ID check (``features.idVerification``): up to three tries, each a frame with the
        live face and the ID's photo; returns the check and the ID picture of the deciding try."""
        from .detect.faces import Face
        from .detect.idcheck import IdCheck

        t = self._words
        check = IdCheck(threshold=judge.th.match_threshold, min_score=judge.th.min_score)
        text, image = t(ID_PROMPT), None
        while not check.done:
            await self._overlay.prompt(text, t("Check my ID"))
            self._overlay.set_status(t("Eye proctoring: checking your ID"))
            frame = await self._media.frame()
            shot = await self._media.snapshot("id.jpg")
            result = await self._analyzer.analyse(frame, True)
            attempt = check.attempt([Face.from_dict(f) for f in result["faces"]])
            if image is None or attempt.similarity is not None:
                image = shot  # the picture that shows the ID, else the latest
            if not attempt.match and not check.done:
                problem = attempt.problem or ""
                text = t("{problem} (try {n} of {tries})", problem=t(problem), n=len(check.attempts) + 1,
                         tries=check.tries)
        last = check.attempts[-1]
        if last.match and last.live is not None and last.live.embedding is not None and judge.reference is None:
            judge.set_reference(last.live.embedding, "photo ID check")  # the face the ID vouched for
        return check, image

    def _report_id(self, check: Any, image: Any) -> None:
        """ID_VERIFIED (always, ``match`` says how it went) and, after the last failed try, ID_MISMATCH."""
        last = check.attempts[-1]
        similarity = check.best_similarity()
        payload = {"match": last.match, "similarity": None if similarity is None else round(similarity, 3),
                   "threshold": check.threshold, "tries": len(check.attempts), "timestamp": ev.iso(self._browser.now())}
        self._emit_with_media(ev.ID_VERIFIED, payload, image)
        if not last.match:
            self._flag(ev.ID_MISMATCH, f"The photo ID did not match the candidate's face after {len(check.attempts)} tries",
                       {"similarity": payload["similarity"], "threshold": check.threshold, "tries": len(check.attempts),
                        "problem": last.problem}, image)

    async def _share_screen(self) -> Any:
        """The candidate's entire screen: anything else is refused and asked for again (up to
        ``SCREEN_TRIES`` times); declining the browser's picker rejects ``init``."""
        t = self._words
        surface = ""
        for attempt in range(SCREEN_TRIES):
            if attempt:
                await self._overlay.prompt(t(SHARED_INSTEAD.get(surface, SHARED_INSTEAD[""])), t("Share entire screen"))
            self._overlay.set_status(t("Eye proctoring: choose your entire screen to share"))
            try:
                share = await self._browser.share_screen()
            except WidgetError as e:
                raise WidgetError(PERMISSION_DENIED, "The candidate declined to share their screen", {"screen": "declined"}) from e
            surface = share.surface
            if surface == "monitor":
                return share
            share.close()
        raise WidgetError(PERMISSION_DENIED, f"The candidate shared a {surface or 'part of the screen'}, not their entire screen",
                          {"screen": "not-entire-screen"})

    @staticmethod
    def _saved_key(config: dict[str, Any]) -> str:
        return saved_session_key(config["assessmentId"], config["candidateId"])

    async def _resume(self, transport: Transport, config: dict[str, Any]) -> dict[str, Any] | None:
        """After a reload in the same tab: continue the active session of this assessment and
        candidate (its unsent outbox items are restored), or finish one whose end never reached
        the server. Returns the session to continue, or None to create a new one."""
        key = self._saved_key(config)
        saved = self._browser.saved_session(key)
        if not saved:
            return None
        state = await transport.session_state(saved["sessionId"], saved["token"])
        if state is not None and state.get("endedAt") is None and not saved.get("ending"):
            restored = await transport.resume(saved["sessionId"], saved["token"])
            self._browser.log("info", f"Eye: resumed session {saved['sessionId']} ({restored} unsent item(s) restored)")
            return {"sessionId": saved["sessionId"], "startedAt": saved["startedAt"], "resumed": True,
                    "localStartedAt": saved.get("localStartedAt", self._browser.now())}
        if state is not None and saved.get("ending"):
            leftover = Transport(self._browser, self._base_url)
            await leftover.resume(saved["sessionId"], saved["token"])
            self._browser.spawn(leftover.end_until_done(saved["ending"]["reason"], ev.parse_iso(saved["ending"]["endedAt"])))
        self._browser.save_session(key, None)
        return None

    async def _prepare_numpy(self, faces: bool, sound: bool) -> None:
        """numpy's package, then its import and the detectors' modules that need it, each in a turn
        of its own, while the consent notice is read: not in the candidate's wait after the click."""
        await self._browser.load_numpy()
        await asyncio.sleep(0)
        import numpy  # noqa: F401

        await asyncio.sleep(0)
        if faces:
            from .detect import faces as _faces  # noqa: F401
        if sound:
            from .monitors import sound as _sound  # noqa: F401

    async def _face_judge(self, config: dict[str, Any]) -> Any:
        from .detect.faces import Face, FaceJudge, FaceThresholds

        features = config["features"]
        from .detect.objects import ObjectJudge, ObjectThresholds

        gaze = spoof = None
        if features["gazeTracking"]:
            from .detect.gaze import GazeJudge, GazeThresholds

            gaze = GazeJudge(config_mod.thresholds_for(config, "gaze", GazeThresholds()))
        if features["livenessCheck"]:
            from .detect.liveness import LivenessThresholds, SpoofJudge

            spoof = SpoofJudge(config_mod.thresholds_for(config, "liveness", LivenessThresholds()))
        object_thresholds = config_mod.thresholds_for(config, "objects", ObjectThresholds())
        objects = ObjectJudge(object_thresholds) if features["objectDetection"] else None
        judge = FaceJudge(
            config_mod.thresholds_for(config, "face", FaceThresholds()),
            identity=features["facialRecognition"],
            presence=features["aiProctoring"],
            gaze=gaze, spoof=spoof, objects=objects,
            objects_every=object_thresholds.every_seconds,
        )
        url = config.get("candidateImageUrl")
        if features["facialRecognition"] and url:
            try:
                result = await self._analyzer.analyse_url(url)
            except Exception as e:
                raise WidgetError(INVALID_CONFIG, f"candidateImageUrl: the reference photo could not be loaded ({e})",
                                  {"candidateImageUrl": f"could not be loaded: {e}"}) from None
            faces = [Face.from_dict(f) for f in result["faces"] if f["score"] >= judge.th.min_score]
            if len(faces) != 1 or faces[0].embedding is None:
                raise WidgetError(INVALID_CONFIG, f"candidateImageUrl: expected a photo with one face, found {len(faces)}",
                                  {"candidateImageUrl": f"expected one face, found {len(faces)}"})
            judge.set_reference(faces[0].embedding, "candidateImageUrl")
        return judge

    def _make_monitors(self, config: dict[str, Any], judge: Any) -> list[Any]:
        features = config["features"]
        b, emit, flag = self._browser, self._emit, self._flag
        monitors: list[Any] = []
        transport = self._transport
        assert transport is not None
        monitors.append(ConnectivityMonitor(b, emit, flag, on_online=transport.flush_now, on_exit=transport.flush_on_exit))
        if features["tabMonitoring"]:
            monitors.append(FocusMonitor(b, emit, flag))
        if features["fullscreen"]:
            monitors.append(FullscreenMonitor(b, emit, flag))
        if self._media is not None:
            monitors.append(DeviceMonitor(b, emit, flag, media=self._media))
        if judge is not None:
            from .monitors.face import FaceMonitor

            monitors.append(FaceMonitor(b, emit, flag, media=self._media, analyzer=self._analyzer, judge=judge))
        if features["aiProctoring"]:
            from .detect.sound import SoundThresholds
            from .monitors.sound import SoundMonitor

            thresholds = config_mod.thresholds_for(config, "sound", SoundThresholds())
            monitors.append(SoundMonitor(b, emit, flag, media=self._media, thresholds=thresholds))
        shared = self._screen if self._screen.screen is not None else None
        if features["periodicSnapshots"]:
            from .detect.snapshots import SnapshotSchedule
            from .monitors.snapshot import SnapshotMonitor

            interval = float(config.get("snapshotInterval") or DEFAULT_SNAPSHOT_INTERVAL)
            monitors.append(SnapshotMonitor(b, emit, flag, media=self._media, schedule=SnapshotSchedule(interval),
                                            screen=shared))
        if shared is not None:
            monitors.append(ScreenShareMonitor(b, emit, flag, holder=shared, overlay=self._overlay, say=self._words))
        if features["multipleScreens"]:
            monitors.append(ScreensMonitor(b, emit, flag))
        if features["clipboard"]:
            monitors.append(ClipboardMonitor(b, emit, flag))
        if features["fullscreen"]:
            from .detect.window import WindowJudge, WindowThresholds

            monitors.append(WindowMonitor(b, emit, flag, judge=WindowJudge(config_mod.thresholds_for(config, "window", WindowThresholds()))))
        return monitors

    def _flag(self, flag_type: str, description: str, details: dict[str, Any], media: Any = None) -> None:
        if self.state != ACTIVE or self._config is None:
            return
        if media is None and flag_type in ev.SCREEN_EVIDENCE and self._screen.screen is not None:
            # the screen at this moment is the evidence: what the candidate looked at instead
            self._browser.spawn(self._flag_with_screen(flag_type, description, details))
            return
        self._flag_now(flag_type, description, details, media)

    async def _flag_with_screen(self, flag_type: str, description: str, details: dict[str, Any]) -> None:
        try:
            image = await self._screen.snapshot("screen.jpg")
        except Exception as e:  # a screen that cannot be grabbed never costs the flag
            self._browser.log("warn", f"Eye: no screen evidence for {flag_type} ({e})")
            image = None
        if self.state == ACTIVE:
            self._flag_now(flag_type, description, {**details, "evidence": "screen"} if image is not None else details, image)

    def _flag_now(self, flag_type: str, description: str, details: dict[str, Any], media: Any = None) -> None:
        assert self._config is not None  # flags come only from an active session
        data = ev.flag_data(
            exam_id=self._config["assessmentId"],
            candidate_id=self._config["candidateId"],
            session_id=self._session_id or "",
            type=flag_type,
            description=description,
            created_at=self._browser.now(),
            details=details,
        )
        self._emit_with_media(flag_type, data, media)
        if flag_type in ev.VIOLATIONS:
            types = self._tally.add(flag_type)
            if types:
                self._flag(ev.SUSPICIOUS_ACTIVITY, f"{len(types)} different kinds of violation", {"types": types})

    def _emit_with_media(self, event: str, data: dict[str, Any], media: Any) -> None:
        """Emit ``data`` with ``mediaFile`` (when there is one), and upload the file after the event."""
        if media is None:
            self._emit(event, data)
            return
        content_type, size = self._browser.file_info(media)
        stored = {**data, "media": {"contentType": content_type, "size": size}}
        event_id = self._emit(event, {**data, "mediaFile": media}, stored)
        if event_id is not None and self._transport is not None:
            self._transport.attach_media(event_id, media, content_type)

    def _time_up(self) -> None:
        self._browser.spawn(self._end("time_up"))

    def _server_ended(self, reason: str) -> None:
        """The server says the session has ended (a live proctor or the exam platform's server
        ended it): stop, saying which."""
        self._browser.spawn(self._end(ev.ENDED_BY_PROCTOR if reason == ev.ENDED_BY_PROCTOR else ev.ENDED_BY_SERVER))

    # --- live proctoring (widget/channel.py) -----------------------------------------------
    def _remember_channel(self, last_id: int) -> None:
        if self._config is None:
            return
        key = self._saved_key(self._config)
        saved = self._browser.saved_session(key)
        if saved is not None:
            self._browser.save_session(key, {**saved, "channelId": last_id})

    def _reply(self, message_id: int, text: str) -> None:
        """The candidate answered a proctor's message (stored on the session's timeline)."""
        if self.state == ACTIVE:
            self._emit(ev.PROCTOR_REPLY, {"messageId": str(message_id), "text": text[:MAX_REPLY],
                                          "timestamp": ev.iso(self._browser.now())})

    async def _check_in(self) -> None:
        """A proctor asked for a picture now: the camera's, else the shared screen's, else none."""
        source, image = "none", None
        if self._media is not None:
            source, image = "camera", await self._media.snapshot("checkin.jpg")
        elif self._screen.screen is not None:
            source, image = "screen", await self._screen.snapshot("checkin.jpg")
        if self.state == ACTIVE:
            self._emit_with_media(ev.CHECK_IN, {"source": source, "timestamp": ev.iso(self._browser.now())}, image)

    def _proctor(self, sent: Sent) -> None:
        """Apply what a live proctor sent: show a message, cover or uncover the page; tell the page."""
        t, now = self._words, self._browser.now()
        if self._overlay is None:
            self._overlay = self._browser.make_overlay(self._config.get("containerId") if self._config else None, t)
            self._overlay.set_status(t("Eye proctoring is active"))
        if sent.kind == MESSAGE:
            self._overlay.message(sent.text, sent.sender, t("Got it"), reply=lambda text, about=sent.id: self._reply(about, text))
            self._emit(ev.PROCTOR_MESSAGE, {"messageId": str(sent.id), "text": sent.text, "from": sent.sender,
                                            "timestamp": ev.iso(now)})
        elif sent.kind == PAUSE and self._paused_at is None:
            self._paused_at = now
            wait = t("Wait here: the exam goes on when your proctor resumes it.")
            self._overlay.pause(t("Your proctor paused the exam"), f"{sent.text}\n\n{wait}" if sent.text else wait)
            self._emit(ev.PROCTORING_PAUSED, {"reason": sent.text, "timestamp": ev.iso(now)})
        elif sent.kind == CHECK_IN:
            self._browser.spawn(self._check_in())
        elif sent.kind == RESUME and self._paused_at is not None:
            paused_ms = round((now - self._paused_at) * 1000)
            self._paused_at = None
            self._overlay.resume()
            self._emit(ev.PROCTORING_RESUMED, {"pausedMs": paused_ms, "timestamp": ev.iso(now)})

    def _release(self) -> None:
        """Stop every monitor, the channel and the exam timer, close camera and microphone, remove the overlay."""
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.stop()
        self._paused_at = None
        monitors, self._monitors = self._monitors, []
        for monitor in monitors:
            monitor.stop()
        if self._cancel_timer is not None:
            self._cancel_timer()
            self._cancel_timer = None
        self._screen.close()
        for part in ("_media", "_analyzer"):
            thing = getattr(self, part)
            setattr(self, part, None)
            if thing is not None:
                thing.close()
        if self._overlay is not None:
            self._overlay.remove()
            self._overlay = None

    async def _end(self, reason: str) -> dict[str, Any] | None:
        """Stop every monitor now, flush, finalize on the server, emit END_PROCTORING once.

        Called while ``init`` is under way, it waits for ``init`` and ends the session it started."""
        if self.state == INITIALIZING and self._starting is not None:
            await asyncio.wait([self._starting])
        if self.state != ACTIVE:
            if self._ending is not None:
                return await asyncio.shield(self._ending)
            return None
        self._release()
        self._lifecycle.end()
        self._ending = asyncio.ensure_future(self._finish(reason))
        return await asyncio.shield(self._ending)

    async def _finish(self, reason: str) -> dict[str, Any]:
        ended_at = self._browser.now()
        payload = {"reason": reason, "endedAt": ev.iso(ended_at)}
        transport, self._transport = self._transport, None
        key = self._saved_key(self._config) if self._config else None
        if transport is not None:
            if await transport.end(reason, ended_at):
                if key:
                    self._browser.save_session(key, None)
            else:  # offline: keep trying here, and a reload of this tab finishes it too
                if key:
                    saved = self._browser.saved_session(key) or {}
                    self._browser.save_session(key, {**saved, "ending": payload})
                self._browser.log("warn", "Eye: the session end could not reach the server yet; retrying in the background")
                self._browser.spawn(self._end_later(transport, reason, ended_at, key))
        self._bus.emit(ev.END_PROCTORING, payload)
        return payload

    async def _end_later(self, transport: Transport, reason: str, ended_at: float, key: str | None) -> None:
        await transport.end_until_done(reason, ended_at)
        if key and (self._browser.saved_session(key) or {}).get("ending"):
            self._browser.save_session(key, None)
