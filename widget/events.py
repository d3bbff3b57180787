"""Event names, payload builders (FlagData) and the listener bus (docs/events.md)."""

from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

SYSTEM_CHECK_STARTED = "SYSTEM_CHECK_STARTED"
SYSTEM_CHECK_COMPLETED = "SYSTEM_CHECK_COMPLETED"
SET_CONFIG = "SET_CONFIG"
STARTED = "STARTED"
TAB_FOCUS_CHANGE = "TAB_FOCUS_CHANGE"
TAB_NOT_FOCUS = "TAB_NOT_FOCUS"
FULLSCREEN_CHANGE = "FULLSCREEN_CHANGE"
EXIT_FULLSCREEN = "EXIT_FULLSCREEN"
FACE_ABSENCE = "FACE_ABSENCE"
MULTIPLE_FACE = "MULTIPLE_FACE"
FACE_MISMATCH = "FACE_MISMATCH"
FACE_MISALIGNMENT = "FACE_MISALIGNMENT"
SOUND_DETECTED = "SOUND_DETECTED"
PERIODIC_SNAPSHOT = "PERIODIC_SNAPSHOT"
SUSPICIOUS_ACTIVITY = "SUSPICIOUS_ACTIVITY"
END_PROCTORING = "END_PROCTORING"
#: Why proctoring ended (``END_PROCTORING.reason``): ``endProctoring()``, ``examDuration`` elapsed, a
#: fatal error, or the server said the session had ended (the exam platform's server ended it).
ENDED_BY_SERVER = "ended_by_server"
#: A live proctor ended the exam (the session's reason on the server; the widget reports it as is).
ENDED_BY_PROCTOR = "proctor"
END_REASONS = ("manual", "time_up", "error", ENDED_BY_SERVER, ENDED_BY_PROCTOR)
DEVICE_LOST = "DEVICE_LOST"  # beyond the contract's table: a camera/microphone track ended (FlagData, details.device)
NETWORK_OFFLINE = "NETWORK_OFFLINE"  # beyond the contract's table: {online: false, timestamp}
NETWORK_ONLINE = "NETWORK_ONLINE"  # beyond the contract's table: {online: true, timestamp, offlineMs}
SCREEN_SHARE_STOPPED = "SCREEN_SHARE_STOPPED"  # the shared screen's track ended mid-exam
MULTIPLE_SCREENS = "MULTIPLE_SCREENS"  # the device has more than one screen (screen.isExtended)
CLIPBOARD = "CLIPBOARD"  # copy, cut or paste in the exam page (details.action, details.length; never the content)
WINDOW_RESIZED = "WINDOW_RESIZED"  # the window stayed smaller than thresholds.minWindowShare of the screen
PROHIBITED_OBJECT = "PROHIBITED_OBJECT"  # a phone, book, laptop or screen in view (details.objects)
GAZE_AWAY = "GAZE_AWAY"  # the eyes off the screen while the head faces it
SPOOF_SUSPECTED = "SPOOF_SUSPECTED"  # the face is a photo or a screen (details.antispoof, details.liveness)
ID_VERIFIED = "ID_VERIFIED"  # the photo-ID check before STARTED: {match, similarity} with the ID picture
ID_MISMATCH = "ID_MISMATCH"  # the photo-ID check failed three times: a flag for the reviewer
PROCTOR_MESSAGE = "PROCTOR_MESSAGE"  # a live proctor's message, shown to the candidate: {messageId, text, from}
PROCTORING_PAUSED = "PROCTORING_PAUSED"  # a live proctor paused the exam (the page is covered): {reason}
PROCTORING_RESUMED = "PROCTORING_RESUMED"  # the proctor resumed it: {pausedMs}
PROCTOR_REPLY = "PROCTOR_REPLY"  # the candidate answered a proctor's message: {messageId, text}
CHECK_IN = "CHECK_IN"  # a proctor asked for a fresh picture: {source} with the camera's (or screen's) JPEG

EVENTS = (
    SYSTEM_CHECK_STARTED,
    SYSTEM_CHECK_COMPLETED,
    SET_CONFIG,
    STARTED,
    TAB_FOCUS_CHANGE,
    TAB_NOT_FOCUS,
    FULLSCREEN_CHANGE,
    EXIT_FULLSCREEN,
    FACE_ABSENCE,
    MULTIPLE_FACE,
    FACE_MISMATCH,
    FACE_MISALIGNMENT,
    SOUND_DETECTED,
    PERIODIC_SNAPSHOT,
    SUSPICIOUS_ACTIVITY,
    END_PROCTORING,
    DEVICE_LOST,
    NETWORK_OFFLINE,
    NETWORK_ONLINE,
    SCREEN_SHARE_STOPPED,
    MULTIPLE_SCREENS,
    CLIPBOARD,
    WINDOW_RESIZED,
    PROHIBITED_OBJECT,
    GAZE_AWAY,
    SPOOF_SUSPECTED,
    ID_VERIFIED,
    ID_MISMATCH,
    PROCTOR_MESSAGE,
    PROCTORING_PAUSED,
    PROCTORING_RESUMED,
    PROCTOR_REPLY,
    CHECK_IN,
)

#: Flags that count towards SUSPICIOUS_ACTIVITY (a snapshot is evidence, not a violation).
VIOLATIONS = (
    TAB_NOT_FOCUS,
    EXIT_FULLSCREEN,
    FACE_ABSENCE,
    MULTIPLE_FACE,
    FACE_MISMATCH,
    FACE_MISALIGNMENT,
    SOUND_DETECTED,
    DEVICE_LOST,
    SCREEN_SHARE_STOPPED,
    MULTIPLE_SCREENS,
    CLIPBOARD,
    WINDOW_RESIZED,
    PROHIBITED_OBJECT,
    GAZE_AWAY,
    SPOOF_SUSPECTED,
    ID_MISMATCH,
)

#: Each event in words, for people (the dashboard; the demo page shows the same words).
LABELS = {
    SYSTEM_CHECK_STARTED: "System check started",
    SYSTEM_CHECK_COMPLETED: "System check finished",
    SET_CONFIG: "Configuration accepted",
    STARTED: "Proctoring started",
    TAB_FOCUS_CHANGE: "Exam window focus changed",
    TAB_NOT_FOCUS: "Left the exam window",
    FULLSCREEN_CHANGE: "Fullscreen changed",
    EXIT_FULLSCREEN: "Left fullscreen",
    FACE_ABSENCE: "No face in view",
    MULTIPLE_FACE: "More than one face",
    FACE_MISMATCH: "Another person",
    FACE_MISALIGNMENT: "Looking away",
    SOUND_DETECTED: "Sound or speech",
    PERIODIC_SNAPSHOT: "Snapshot",
    SUSPICIOUS_ACTIVITY: "Many kinds of violation",
    END_PROCTORING: "Proctoring ended",
    DEVICE_LOST: "Camera or microphone lost",
    NETWORK_OFFLINE: "Connection lost",
    NETWORK_ONLINE: "Connection back",
    SCREEN_SHARE_STOPPED: "Screen sharing stopped",
    MULTIPLE_SCREENS: "More than one screen",
    CLIPBOARD: "Copy, cut or paste",
    WINDOW_RESIZED: "Exam window made small",
    PROHIBITED_OBJECT: "Phone, book or device in view",
    GAZE_AWAY: "Eyes off the screen",
    SPOOF_SUSPECTED: "Photo or screen instead of a face",
    ID_VERIFIED: "Photo ID checked",
    ID_MISMATCH: "Photo ID does not match",
    PROCTOR_MESSAGE: "Message from the proctor",
    PROCTORING_PAUSED: "Paused by the proctor",
    PROCTORING_RESUMED: "Resumed by the proctor",
    PROCTOR_REPLY: "Reply from the candidate",
    CHECK_IN: "Picture the proctor asked for",
}

#: Every flag (what webhooks announce and the integrity score weighs): the violations and their tally.
FLAGS = (*VIOLATIONS, SUSPICIOUS_ACTIVITY)

#: Flags that carry a JPEG of the shared screen when screen monitoring is on.
SCREEN_EVIDENCE = (TAB_NOT_FOCUS, EXIT_FULLSCREEN, CLIPBOARD, MULTIPLE_SCREENS, WINDOW_RESIZED)

#: Events that may carry an evidence file (``mediaFile``): the server accepts uploads for these only.
MEDIA_EVENTS = (FACE_ABSENCE, MULTIPLE_FACE, FACE_MISMATCH, FACE_MISALIGNMENT, SOUND_DETECTED, PERIODIC_SNAPSHOT,
                PROHIBITED_OBJECT, GAZE_AWAY, SPOOF_SUSPECTED, ID_VERIFIED, ID_MISMATCH, *SCREEN_EVIDENCE)


def plain_data(value: Any) -> Any:
    """``value`` with numpy scalars and arrays made plain Python (float, int, bool, list), so
    listeners (JS or Python) and the server get ordinary values; anything else (a JS ``File``)
    is kept as it is."""
    if isinstance(value, dict):
        return {k: plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    return value


def iso(seconds: float) -> str:
    """ISO-8601 UTC with milliseconds, e.g. ``2026-11-26T06:28:34.120Z``."""
    moment = _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Epoch seconds of an ISO-8601 UTC time such as ``iso`` or the server writes."""
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def flag_data(
    *,
    exam_id: str,
    candidate_id: str,
    session_id: str,
    type: str,
    description: str,
    created_at: float,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The FlagData payload (docs/events.md)."""
    return {
        "examId": exam_id,
        "candidateId": candidate_id,
        "sessionId": session_id,
        "type": type,
        "description": description,
        "createdAt": iso(created_at),
        "details": dict(details or {}),
    }


Listener = Any  # a Python callable, or a JS function proxied by Pyodide
Invoke = Callable[[Listener, Any], None]
Log = Callable[[str, str], None]


class EventBus:
    """Named events to listeners. A listener that raises is logged; the others still run.

    ``invoke`` calls one listener with one payload (the Pyodide adapter converts the payload to a
    plain JS object for JS functions); ``log(level, message)`` reports listener failures.
    """

    def __init__(self, invoke: Invoke, log: Log):
        self._invoke = invoke
        self._log = log
        self._listeners: dict[str, list[Listener]] = {name: [] for name in EVENTS}
        self._emitted: set[str] = set()
        self._late_warned = False

    def _check(self, event: Any) -> str:
        if not isinstance(event, str) or event not in self._listeners:
            raise TypeError(f"unknown event {event!r}; valid events: {', '.join(EVENTS)}")
        return event

    def on(self, event: str, callback: Listener) -> Callable[[], None]:
        """Register ``callback`` for ``event``; returns a function that removes it."""
        self._check(event)
        if not callable(callback):
            raise TypeError(f"listener for {event} must be a function, received {type(callback).__name__}")
        if self._emitted and not self._late_warned:
            self._late_warned = True
            self._log(
                "warn",
                f"Eye: listener for {event} registered after events were emitted "
                f"({', '.join(sorted(self._emitted))}); it will not receive those. Register listeners before init().",
            )
        self._listeners[event].append(callback)

        def unsubscribe(*_: Any) -> None:
            self.off(event, callback)

        return unsubscribe

    def off(self, event: str, callback: Listener) -> None:
        """Remove ``callback`` from ``event`` (no error if it was not registered)."""
        listeners = self._listeners[self._check(event)]
        for i, existing in enumerate(listeners):
            if existing is callback or existing == callback:
                del listeners[i]
                return

    def clear(self) -> None:
        """Remove every listener of every event."""
        for listeners in self._listeners.values():
            listeners.clear()

    def count(self, event: str) -> int:
        return len(self._listeners[self._check(event)])

    def emit(self, event: str, payload: Any = None) -> None:
        self._emitted.add(self._check(event))
        for callback in list(self._listeners[event]):
            try:
                self._invoke(callback, payload)
            except Exception as e:  # a broken listener must not stop the others or monitoring
                self._log("error", f"Eye: a {event} listener threw: {type(e).__name__}: {e}")
