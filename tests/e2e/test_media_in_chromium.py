"""Camera and microphone proctoring in a real Chromium fed with fake media made at test time:
y4m clips of public-domain faces and synthesised WAVs (tests/support/media.py)."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import pytest
from PIL import Image

from eye_testing import media as fx
from eye_testing.servers import PageServer
from tests.conftest import VALID_CONFIG
from widget.detect.sound import rms_db

from .conftest import PW, exam_page_html

pytestmark = pytest.mark.e2e

NAMES = ["SYSTEM_CHECK_STARTED", "SYSTEM_CHECK_COMPLETED", "SET_CONFIG", "STARTED", "FACE_ABSENCE", "MULTIPLE_FACE",
         "FACE_MISMATCH", "FACE_MISALIGNMENT", "SOUND_DETECTED", "PERIODIC_SNAPSHOT", "DEVICE_LOST",
         "SUSPICIOUS_ACTIVITY", "END_PROCTORING", "TAB_NOT_FOCUS", "EXIT_FULLSCREEN", "SCREEN_SHARE_STOPPED",
         "MULTIPLE_SCREENS", "CLIPBOARD", "WINDOW_RESIZED"]


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    return {
        "one": fx.write_y4m(d / "one.y4m", fx.scene([fx.astronaut()])),
        "two": fx.write_y4m(d / "two.y4m", fx.scene([fx.astronaut(), fx.grace_hopper()], width=240)),
        "empty": fx.write_y4m(d / "empty.y4m", fx.background()),
        "silence": fx.write_wav(d / "silence.wav", fx.silence(60)),
        # speech after 4 s of quiet, then silence for the rest of the test (played once, %noloop)
        "speech": fx.write_wav(d / "speech.wav", __import__("numpy").concatenate([fx.silence(4), fx.speechlike(4), fx.silence(60)])),
    }


@pytest.fixture(scope="session")
def media_page(eye):
    reference = io.BytesIO()
    Image.fromarray(fx.grace_hopper()).save(reference, "JPEG", quality=90)
    pages = PageServer({"/exam.html": exam_page_html(eye.url), "/reference.jpg": (reference.getvalue(), "image/jpeg")})
    yield pages
    pages.stop()


@pytest.fixture(scope="session")
def media_key(eye, media_page) -> str:
    return eye.create_key(media_page.domain)


class Exam:
    """One candidate: a fresh Chromium whose camera and microphone play the given files."""

    def __init__(self, playwright, page_server, video=None, audio=None, grant_media=True, noloop_audio=False, names=NAMES):
        audio_arg = f"{audio}%noloop" if (audio and noloop_audio) else (str(audio) if audio else None)
        self.browser = PW["launch"](playwright, video=str(video) if video else None, audio=audio_arg, grant_media=grant_media)
        self.page = self.browser.new_page()
        self.page.console = []
        self.page.on("console", lambda m: self.page.console.append((m.type, m.text)))
        self.page.goto(f"{page_server.origin}/exam.html")
        self.page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
        assert self.page.evaluate("(n) => window.boot(n, [])", names) == "loaded"

    def start(self, api_key, consent=True, **changes):
        config = {**VALID_CONFIG, "apiKey": api_key, **changes}
        self.page.evaluate("(c) => { window.pending = window.startExam(c); }", config)
        button = "#eye-consent-accept" if consent else "#eye-consent-decline"
        self.page.click(button, timeout=20000)
        return self.page.evaluate("window.pending")

    def names(self):
        return [e["name"] for e in self.page.evaluate("window.received")]

    def first(self, name):
        return next(e["data"] for e in self.page.evaluate("window.received") if e["name"] == name)

    def wait_for(self, name, timeout=30000):
        self.page.wait_for_function("(n) => window.received.some(e => e.name === n)", arg=name, timeout=timeout)

    def file_bytes(self, payload) -> bytes:
        return base64.b64decode(self.page.evaluate("(i) => window.fileBase64(i)", payload["mediaFile"]["index"]))

    def end(self):
        self.page.evaluate("window.widget.endProctoring()")
        self.wait_for("END_PROCTORING")

    def close(self):
        self.browser.close()


@pytest.fixture
def exam(playwright_instance, media_page):
    opened = []

    def open_exam(**kwargs):
        opened.append(Exam(playwright_instance, media_page, **kwargs))
        return opened[-1]

    yield open_exam
    for e in opened:
        e.close()


# A clean exam with every monitor on and the screen shared flags nothing: run (with the camera
# intelligence features' clean clips, five exams at once) in test_camera_intelligence_in_chromium.py.


def test_two_faces_flag_multiple_face_with_a_decodable_jpeg(exam, clips, media_key, eye):
    e = exam(video=clips["two"], audio=clips["silence"])
    result = e.start(media_key)
    assert result["ok"], result
    e.wait_for("MULTIPLE_FACE")
    flag = e.first("MULTIPLE_FACE")
    assert flag["details"]["faces"] == 2 and flag["mediaFile"]["type"] == "image/jpeg"
    image = Image.open(io.BytesIO(e.file_bytes(flag)))
    assert image.format == "JPEG" and image.size == (640, 480)
    e.end()
    rows = eye.query("select m.content_type, m.size, m.path from media m join events ev on ev.client_id = m.event_client_id "
                     "where ev.type = 'MULTIPLE_FACE' and m.session_id = :s", s=result["started"]["sessionId"])
    assert rows and rows[0][0] == "image/jpeg" and (eye.media_dir / rows[0][2]).stat().st_size == rows[0][1]


def test_empty_scene_flags_face_absence(exam, clips, media_key):
    e = exam(video=clips["empty"], audio=clips["silence"])
    assert e.start(media_key)["ok"]
    e.wait_for("FACE_ABSENCE")
    assert Image.open(io.BytesIO(e.file_bytes(e.first("FACE_ABSENCE")))).format == "JPEG"
    assert e.names().count("FACE_ABSENCE") == 1


def test_another_person_than_the_reference_is_a_mismatch(exam, clips, media_key, media_page):
    e = exam(video=clips["one"], audio=clips["silence"])
    result = e.start(media_key, candidateImageUrl=f"{media_page.origin}/reference.jpg")
    assert result["ok"], result
    e.wait_for("FACE_MISMATCH")
    details = e.first("FACE_MISMATCH")["details"]
    assert details["reference"] == "candidateImageUrl" and details["similarity"] < 0.6


def test_sound_flags_sound_detected_with_a_decodable_wav(exam, clips, media_key, eye):
    e = exam(video=clips["one"], audio=clips["speech"], noloop_audio=True)
    result = e.start(media_key)
    assert result["ok"], result
    e.wait_for("SOUND_DETECTED")
    flag = e.first("SOUND_DETECTED")
    rate, pcm = fx.decode_wav(e.file_bytes(flag))
    assert flag["mediaFile"]["type"] == "audio/wav" and pcm.size / rate >= 1.0
    assert rms_db(pcm) > -40 and flag["details"]["durationMs"] >= 1000
    e.end()
    kinds = eye.query("select content_type from media where session_id = :s", s=result["started"]["sessionId"])
    assert ("audio/wav",) in kinds


def test_denied_permission_rejects_and_nothing_runs(exam, clips, media_key):
    e = exam(video=clips["one"], audio=clips["silence"], grant_media=False)
    result = e.start(media_key)
    assert result["ok"] is False and result["code"] == "PERMISSION_DENIED", result
    assert e.page.evaluate("window.widget.state") == "loaded"
    assert e.page.evaluate("document.getElementById('eye-overlay')") is None


def test_declined_consent_rejects_before_any_camera_opens(exam, clips, media_key):
    e = exam(video=clips["one"], audio=clips["silence"])
    result = e.start(media_key, consent=False)
    assert result["ok"] is False and result["code"] == "PERMISSION_DENIED"
    assert "STARTED" not in e.names()
    # what happens next, said to the candidate on the page (no error code on screen)
    said = e.page.inner_text("#eye-status")
    assert said.startswith("You declined proctoring") and "PERMISSION_DENIED" not in said
    assert not e.page.locator("#eye-overlay video").is_visible()


SWITCHED_OFF = [
    ("two", "speech", {"aiProctoring": False}, {"MULTIPLE_FACE", "SOUND_DETECTED", "FACE_ABSENCE"}),
    ("one", "silence", {"facialRecognition": False}, {"FACE_MISMATCH"}),
]


def test_a_monitor_switched_off_never_flags(exam, clips, media_key, media_page):
    """Each accommodation in its own exam, the exams at once (one wait for all)."""
    exams = []
    for clip, audio, features, _ in SWITCHED_OFF:  # each starts right after its browser (the speech plays once)
        exams.append(exam(video=clips[clip], audio=clips[audio], noloop_audio=True))
        result = exams[-1].start(media_key, features=features, candidateImageUrl=f"{media_page.origin}/reference.jpg",
                                 snapshotInterval=3)
        assert result["ok"], result
    for e in exams:
        e.wait_for("PERIODIC_SNAPSHOT")
    time.sleep(9)
    for e, (_, _, features, never) in zip(exams, SWITCHED_OFF, strict=True):
        assert not (set(e.names()) & never), (features, e.names())


@pytest.mark.parametrize("refusal", ["INVALID_API_KEY", "DOMAIN_NOT_REGISTERED"])
def test_a_refused_key_or_origin_never_shows_consent_or_opens_a_device(exam, clips, eye, refusal):
    """The server's refusal comes before the consent notice and before any getUserMedia call."""
    e = exam(video=clips["one"], audio=clips["silence"])
    e.page.evaluate("""() => {
        window.mediaCalls = 0;
        const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = (c) => { window.mediaCalls += 1; return original(c); };
        window.consentSeen = false;
        new MutationObserver(() => { if (document.getElementById('eye-consent-accept')) window.consentSeen = true; })
            .observe(document.documentElement, {childList: true, subtree: true});
    }""")
    key = "eye_not-a-key" if refusal == "INVALID_API_KEY" else eye.create_key("exams.elsewhere.example")
    result = e.page.evaluate("(c) => window.startExam(c)", {**VALID_CONFIG, "apiKey": key})
    assert result["ok"] is False and result["code"] == refusal, result
    assert e.page.evaluate("window.mediaCalls") == 0 and e.page.evaluate("window.consentSeen") is False
    assert e.page.evaluate("window.widget.state") == "loaded"
    if refusal == "DOMAIN_NOT_REGISTERED":
        assert "--institution" in result["message"]
