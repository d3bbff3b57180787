"""Camera and microphone monitoring through the Widget, with scripted detections and PCM."""

import numpy as np
import pytest
from sqlalchemy import select

from eye_testing import media as fx
from server.store import Media
from tests.conftest import VALID_CONFIG
from tests.unit.conftest import SERVER
from tests.unit.test_widget import Recorder, run, stored
from widget.api import Widget
from widget.errors import WidgetError

FLAGS = ["FACE_ABSENCE", "MULTIPLE_FACE", "FACE_MISMATCH", "FACE_MISALIGNMENT", "SOUND_DETECTED",
         "PERIODIC_SNAPSHOT", "DEVICE_LOST", "SUSPICIOUS_ACTIVITY", "SYSTEM_CHECK_COMPLETED", "STARTED"]
RNG = np.random.default_rng(7)
ME, OTHER = RNG.normal(size=1024), RNG.normal(size=1024)


def person(emb=ME, box=(0.35, 0.25, 0.3, 0.4), yaw=0.0):
    return {"score": 0.97, "box": list(box), "yaw": yaw, "pitch": 0.0, "embedding": emb + RNG.normal(scale=0.2, size=1024)}


async def play(browser, seconds, step=0.5, audio=None):
    """Advance the fake clock in steps, feeding audio chunks of ``step`` seconds if given."""
    for i in range(int(seconds / step)):
        browser.advance(step)
        if audio is not None:
            chunk = audio[int(i * step * fx.RATE): int((i + 1) * step * fx.RATE)]
            for j in range(0, chunk.size, 4800):
                browser.push_audio(chunk[j: j + 4800])
        await browser.settle()


def session(browser, api_key, seconds, *, faces=None, audio=None, end=True, **config):
    if faces is not None:
        browser.faces = faces

    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, FLAGS)
        await widget.init({**VALID_CONFIG, "apiKey": api_key, **config})
        await play(browser, seconds, audio=audio)
        if end:
            await widget.endProctoring()
        return widget, rec

    return run(scenario())


def flags(rec):
    return [n for n in rec.names() if n not in ("SYSTEM_CHECK_COMPLETED", "STARTED")]


def test_one_face_for_15_s_gives_no_flag(api_key, browser):
    widget, rec = session(browser, api_key, 15, faces=lambda t: [person()], audio=fx.silence(15))
    assert flags(rec) == []
    check = dict(rec.events)["SYSTEM_CHECK_COMPLETED"]
    assert {d["name"]: d["status"] for d in check["data"]} == {"browser": "success", "webcam": "success", "microphone": "success", "screen": "default", "internetSpeed": "success"}
    assert browser.analyzers[0].embed_requests == 4  # identity: at 0, 3, 6, 9 s, then steady (every 9 s)
    assert browser.medias[0].closed and browser.analyzers[0].closed and browser.overlays[0].removed


def test_two_faces_flag_multiple_face_with_a_jpeg_stored_on_the_server(app, api_key, browser):
    widget, rec = session(browser, api_key, 10, faces=lambda t: [person(), person(OTHER, box=(0.0, 0.2, 0.25, 0.3))])
    assert flags(rec) == ["MULTIPLE_FACE"]
    flag = dict(rec.events)["MULTIPLE_FACE"]
    assert flag["details"]["faces"] == 2 and flag["mediaFile"].type == "image/jpeg"
    with app.state.db.session() as s:
        rows = s.scalars(select(Media)).all()
        assert [(r.content_type, r.size) for r in rows] == [("image/jpeg", flag["mediaFile"].size)]
        assert (app.state.media_dir / rows[0].path).read_bytes() == flag["mediaFile"].data
    assert "MULTIPLE_FACE" in stored(app)[1]


def test_empty_scene_flags_absence_once(api_key, browser):
    widget, rec = session(browser, api_key, 20, faces=lambda t: [])
    assert flags(rec) == ["FACE_ABSENCE"]


def test_another_person_than_the_reference_photo_is_a_mismatch(api_key, browser):
    browser.reference_faces = [person(ME)]
    widget, rec = session(browser, api_key, 12, faces=lambda t: [person(OTHER)], candidateImageUrl="https://x.test/me.jpg")
    assert flags(rec) == ["FACE_MISMATCH"]
    assert dict(rec.events)["FACE_MISMATCH"]["details"]["reference"] == "candidateImageUrl"


def test_reference_photo_without_exactly_one_face_is_invalid_config(api_key, browser):
    browser.reference_faces = []
    with pytest.raises(WidgetError) as info:
        session(browser, api_key, 1, candidateImageUrl="https://x.test/nobody.jpg")
    assert info.value.code == "INVALID_CONFIG" and info.value.fields == ["candidateImageUrl"]
    assert browser.medias[0].closed


def test_sound_flags_with_a_wav_and_silence_does_not(app, api_key, browser):
    audio = np.concatenate([fx.silence(3), fx.speechlike(3), fx.silence(6)])
    widget, rec = session(browser, api_key, 12, faces=lambda t: [person()], audio=audio)
    assert flags(rec) == ["SOUND_DETECTED"]
    clip = dict(rec.events)["SOUND_DETECTED"]["mediaFile"]
    rate, pcm = fx.decode_wav(clip.data)
    assert clip.type == "audio/wav" and rate == 48000 and pcm.size > rate
    with app.state.db.session() as s:
        assert [r.content_type for r in s.scalars(select(Media))] == ["audio/wav"]


def test_half_second_pcm_batches_are_judged_in_100_ms_windows(api_key, browser):
    """The worklet posts 500 ms at a time (one crossing into Python); the detector still sees
    100 ms windows, so the same speech is flagged the same way, with the same clip length."""
    audio = np.concatenate([fx.silence(3), fx.speechlike(3), fx.silence(6)])
    browser.faces = lambda t: [person()]

    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, FLAGS)
        await widget.init({**VALID_CONFIG, "apiKey": api_key})
        for i in range(24):  # 12 s in 500 ms batches
            browser.advance(0.5)
            browser.push_audio(audio[i * 24000: (i + 1) * 24000])
            await browser.settle()
        stats = widget.diagnostics()
        await widget.endProctoring()
        return rec, stats

    rec, stats = run(scenario())
    assert flags(rec) == ["SOUND_DETECTED"] and stats["audioChunks"] == 120
    details = dict(rec.events)["SOUND_DETECTED"]["details"]
    assert 2500 <= details["durationMs"] <= 3600, details


@pytest.mark.parametrize("how", ["declined consent", "denied permission"])
def test_refusal_is_permission_denied_and_nothing_runs(api_key, browser, how):
    if how == "declined consent":
        browser.consent_answer = False
    else:
        browser.permission = False
    with pytest.raises(WidgetError) as info:
        session(browser, api_key, 1)
    assert info.value.code == "PERMISSION_DENIED"
    if how == "declined consent":  # the candidate reads what happens next, in the second person (issue 23)
        left = browser.overlays[0]
        assert not left.removed and left.status.startswith("You declined proctoring") and "Test University" in left.status
        assert "PERMISSION_DENIED" not in left.status
    else:
        assert browser.overlays[0].removed
    assert all(m.closed for m in browser.medias)
    # the face worker warmed up its models during the notice (no camera was opened for it): it is shut down
    assert all(a.closed for a in browser.analyzers)


def test_black_camera_fails_the_system_check(api_key, browser):
    browser.camera_black = True
    with pytest.raises(WidgetError) as info:
        session(browser, api_key, 1)
    assert info.value.code == "SYSTEM_CHECK_FAILED" and "webcam" in info.value.fields


@pytest.mark.parametrize(
    "features, absent",
    [
        ({"aiProctoring": False}, {"FACE_ABSENCE", "MULTIPLE_FACE", "SOUND_DETECTED", "FACE_MISALIGNMENT"}),
        ({"facialRecognition": False}, {"FACE_MISMATCH"}),
        ({"aiProctoring": False, "facialRecognition": False, "periodicSnapshots": False}, set(FLAGS[:7])),
    ],
)
def test_each_monitor_switched_off_never_flags(api_key, browser, features, absent):
    browser.reference_faces = [person(ME)]
    audio = np.concatenate([fx.silence(1), fx.tone(4), fx.silence(20)])
    faces = lambda t: [] if t % 40 < 8 else [person(OTHER), person(OTHER, box=(0, 0, 0.2, 0.2))] if t % 40 < 16 else [person(OTHER, yaw=60)]  # noqa: E731
    widget, rec = session(browser, api_key, 30, faces=faces, audio=audio, candidateImageUrl="https://x.test/me.jpg",
                          features={**VALID_CONFIG.get("features", {}), **features}, snapshotInterval=5)
    seen = set(flags(rec))
    assert not (seen & absent), seen
    if len(features) == 3:
        assert browser.medias == []  # nothing needs the camera: no consent, no getUserMedia
    else:
        assert seen  # the monitors still on did flag this eventful exam


def test_device_lost_and_periodic_snapshots(api_key, browser):
    widget, rec = session(browser, api_key, 12, faces=lambda t: [person()], end=False, snapshotInterval=3)
    browser.medias[0].end_track("camera")
    browser.medias[0].end_track("camera")
    names = flags(rec)
    assert names.count("DEVICE_LOST") == 1 and 2 <= names.count("PERIODIC_SNAPSHOT") <= 6
    assert dict(rec.events)["PERIODIC_SNAPSHOT"]["mediaFile"].type == "image/jpeg"


def test_a_slow_device_lowers_the_frame_rate_and_speeds_up_again(api_key, browser):
    """Analysis taking 1 s (a throttled laptop): frames are asked for less often instead of
    queueing behind the worker; when analysis is fast again, the rate returns to 2 frames/s."""
    browser.faces = lambda t: [person()]
    browser.analysis_seconds = 1.0

    async def scenario():
        widget = Widget(browser, SERVER)
        await widget.init({**VALID_CONFIG, "apiKey": api_key})
        await play(browser, 20, audio=fx.silence(20))
        slow = widget.diagnostics()
        browser.analysis_seconds = 0.0
        await play(browser, 20, audio=fx.silence(20))
        fast = widget.diagnostics()
        await widget.endProctoring()
        return slow, fast

    slow, fast = run(scenario())
    assert slow["frameInterval"] >= 1.2 and 0.4 <= slow["effectiveFps"] <= 0.85, slow
    assert fast["frameInterval"] == 0.5 and fast["effectiveFps"] >= 1.8, fast
