"""Camera intelligence (#12) in a real Chromium: Human's centernet, iris, antispoof and liveness
models in the face worker, fed clips composed at test time from real photographs
(eye_testing/media.py: a hand holding a phone from html5-device-mockups, public-domain portraits
from scikit-image and matplotlib)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from PIL import Image

from eye_testing import media as fx
from widget.events import EVENTS, FLAGS

from .test_media_in_chromium import Exam, media_key, media_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e

ALL_ON = {"objectDetection": True, "gazeTracking": True, "livenessCheck": True}


@pytest.fixture(scope="session")
def scenes(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("intelligence")
    one = fx.scene([fx.astronaut()])
    frames = {
        "phone": fx.phone_in_view(),
        "spoof": fx.face_on_a_phone(),
        "id-mine": fx.holding_id(fx.astronaut()),
        "id-other": fx.holding_id(fx.grace_hopper()),
        # clean: one person each, in several lights
        "clean-astronaut": one,
        "clean-hopper": fx.scene([fx.grace_hopper()]),
        "clean-dim": (one * 0.45).astype("uint8"),
        "clean-bright": (one.astype(float) * 1.3 + 20).clip(0, 255).astype("uint8"),
    }
    clips = {name: fx.write_y4m(d / f"{name}.y4m", frame) for name, frame in frames.items()}
    clips["silence"] = fx.write_wav(d / "silence.wav", fx.silence(60))
    return clips


@pytest.fixture
def open_exam(playwright_instance, media_page):  # noqa: F811
    opened: list[Exam] = []

    def open_one(video: Path, silence: Path) -> Exam:
        opened.append(Exam(playwright_instance, media_page, video=video, audio=silence, names=list(EVENTS)))
        return opened[-1]

    yield open_one
    for e in opened:
        e.close()


def test_a_phone_in_view_is_a_prohibited_object_and_a_face_on_a_phone_a_spoof(open_exam, scenes, media_key):  # noqa: F811
    """Two candidates at once: one with a phone held up beside them (objectDetection), one holding up
    a phone that shows their face (livenessCheck)."""
    phone = open_exam(scenes["phone"], scenes["silence"])
    result = phone.start(media_key, features={"objectDetection": True})
    assert result["ok"], (result, phone.page.console[-5:])
    spoof = open_exam(scenes["spoof"], scenes["silence"])
    result = spoof.start(media_key, features={"livenessCheck": True, "facialRecognition": False})
    assert result["ok"], (result, spoof.page.console[-5:])

    phone.wait_for("PROHIBITED_OBJECT", timeout=40000)
    flag = phone.first("PROHIBITED_OBJECT")
    assert [o["label"] for o in flag["details"]["objects"]] == ["cell phone"]
    image = Image.open(io.BytesIO(phone.file_bytes(flag)))
    assert image.format == "JPEG" and image.size == (640, 480)
    stats = phone.page.evaluate("window.widget.diagnostics()")
    assert 0 < stats["objectPasses"] < stats["framesAnalysed"], stats  # objects at a lower rate than faces

    spoof.wait_for("SPOOF_SUSPECTED", timeout=40000)
    flag = spoof.first("SPOOF_SUSPECTED")
    assert "device" in flag["details"]["reasons"] and flag["details"]["device"]["label"] == "cell phone"
    assert 0 <= flag["details"]["antispoof"] <= 1 and 0 <= flag["details"]["liveness"] <= 1
    assert Image.open(io.BytesIO(spoof.file_bytes(flag))).format == "JPEG"
    phone.end()
    spoof.end()


def start_with_id(e: Exam, key: str, tries: int) -> dict:
    from tests.conftest import VALID_CONFIG

    config = {**VALID_CONFIG, "apiKey": key, "features": {"idVerification": True}}
    e.page.evaluate("(c) => { window.pending = window.startExam(c); }", config)
    e.page.click("#eye-consent-accept", timeout=20000)
    for attempt in range(tries):  # the first ask explains; each next one says what to fix
        expected = "photo ID" if attempt == 0 else f"does not look like you. Hold it still, in good light, and try again. (try {attempt + 1} of 3)"
        e.page.wait_for_selector(f"#eye-prompt:has-text({expected!r})", timeout=30000)
        e.page.click("#eye-prompt-accept", timeout=30000)
    return e.page.evaluate("window.pending")


@pytest.mark.parametrize("clip, match", [("id-mine", True), ("id-other", False)])
def test_the_photo_id_check(open_exam, scenes, media_key, clip, match):  # noqa: F811
    e = open_exam(scenes[clip], scenes["silence"])
    result = start_with_id(e, media_key, 1 if match else 3)
    assert result["ok"], (result, e.page.console[-5:])
    names = e.names()
    verified = e.first("ID_VERIFIED")
    assert verified["match"] is match and verified["tries"] == (1 if match else 3)
    assert (verified["similarity"] >= 0.6) is match
    assert Image.open(io.BytesIO(e.file_bytes(verified))).format == "JPEG"
    assert names.index("ID_VERIFIED") < names.index("STARTED")
    assert ("ID_MISMATCH" in names) is (not match)
    if not match:
        assert names.index("ID_MISMATCH") < names.index("STARTED")
    e.end()


def test_clean_clips_flag_nothing_for_30_s_and_15_frames_with_every_monitor_on(open_exam, scenes, media_key):  # noqa: F811
    """One person each (two people, dim and bright light) with object detection, gaze and liveness
    on, and the first person again with every monitor on and the entire screen shared — five exams
    at once: no flag of any kind (face, sound, screen, browser or camera intelligence) in at least
    30 s and 15 analysed frames each,
    while every model really ran and the camera really was analysed."""
    from tests.conftest import VALID_CONFIG

    runs = [("clean-astronaut", ALL_ON), ("clean-hopper", ALL_ON), ("clean-dim", ALL_ON), ("clean-bright", ALL_ON),
            ("clean-astronaut", {"screenMonitoring": True})]
    exams = [open_exam(scenes[name], scenes["silence"]) for name, _ in runs]
    for e, (_, features) in zip(exams, runs, strict=True):  # all five start together
        e.page.evaluate("(c) => { window.pending = window.startExam(c); }", {**VALID_CONFIG, "apiKey": media_key, "features": features})
    for e in exams:
        e.page.click("#eye-consent-accept", timeout=30000)
    for e in exams:
        result = e.page.evaluate("window.pending")
        assert result["ok"], (result, e.page.console[-5:])
    screen = exams[-1]
    checks = {d["name"]: d["status"] for d in screen.first("SYSTEM_CHECK_COMPLETED")["data"]}
    assert checks == {"browser": "success", "webcam": "success", "microphone": "success", "screen": "success",
                      "internetSpeed": "success"}
    assert screen.page.is_visible("#eye-overlay video")
    time.sleep(30)
    # At least 30 s, and until each camera really was analysed (15 frames, 3 object passes): a
    # slower or busier machine gets there later — the adaptive rate slows analysis on purpose —
    # so the time is not the test, the frames are (issue 22: 8 frames in 30 s, five exams on two
    # busy cores). No flag may appear in all that time.
    deadline = time.monotonic() + 150
    for (name, features), e in zip(runs, exams, strict=True):
        while True:
            stats = e.page.evaluate("window.widget.diagnostics()")
            enough = stats["framesAnalysed"] >= 15 and (features is not ALL_ON or stats["objectPasses"] >= 3)
            if enough or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert stats["framesAnalysed"] >= 15, (name, stats)  # the camera really was analysed
        if features is ALL_ON:
            assert stats["objectPasses"] >= 3 and stats["gazeCalibrated"] is True, (name, stats)
    for (name, features), e in zip(runs, exams, strict=True):
        assert set(e.names()) & set(FLAGS) == set(), (name, features, e.names())
        e.end()
