"""Screen and browser signals through the Widget under CPython (the adapter's twin): sharing the
entire screen, screen evidence on flags, a stopped share, more than one screen, clipboard use and
a small window — and a clean exam that flags nothing with all of them on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.store import Event, Media
from tests.conftest import VALID_CONFIG
from tests.unit.conftest import SERVER
from tests.unit.test_widget import Recorder, run
from tests.unit.test_widget_media import person, play
from widget.api import Widget
from widget.errors import WidgetError

NEW = ["SCREEN_SHARE_STOPPED", "MULTIPLE_SCREENS", "CLIPBOARD", "WINDOW_RESIZED"]
WATCHED = [*NEW, "TAB_NOT_FOCUS", "EXIT_FULLSCREEN", "PERIODIC_SNAPSHOT", "FACE_ABSENCE", "MULTIPLE_FACE",
           "FACE_MISMATCH", "FACE_MISALIGNMENT", "SOUND_DETECTED", "DEVICE_LOST", "SUSPICIOUS_ACTIVITY",
           "SYSTEM_CHECK_COMPLETED", "STARTED"]
#: Without camera or microphone: these tests are about the screen and the browser.
NO_CAMERA = {"aiProctoring": False, "facialRecognition": False, "periodicSnapshots": False}


def exam(browser, api_key, steps, *, features=None, seconds=0.0, **config):
    """init with ``features``, then ``steps(widget, browser)`` (a coroutine), then end."""
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, WATCHED)
        await widget.init({**VALID_CONFIG, "apiKey": api_key, "features": {**NO_CAMERA, **(features or {})}, **config})
        await steps(widget, browser)
        await play(browser, seconds) if seconds else await browser.settle()
        await widget.endProctoring()
        return widget, rec

    return run(scenario())


def flags(rec):
    return [(n, p) for n, p in rec.events if n not in ("SYSTEM_CHECK_COMPLETED", "STARTED")]


async def nothing(widget, browser):
    await browser.settle()


def test_screen_monitoring_shares_the_entire_screen_and_tab_switches_carry_it(app, api_key, browser):
    async def leave(widget, browser):
        browser.visible = False
        browser.dispatch("document", "visibilitychange")
        await browser.settle()

    widget, rec = exam(browser, api_key, leave, features={"screenMonitoring": True})
    assert "entire screen shared" in browser.overlays[0].consent_text
    check = dict(rec.events)["SYSTEM_CHECK_COMPLETED"]
    assert {d["name"]: d["status"] for d in check["data"]}["screen"] == "success"
    [(name, flag)] = flags(rec)
    assert name == "TAB_NOT_FOCUS" and flag["mediaFile"].type == "image/jpeg" and flag["details"]["evidence"] == "screen"
    assert browser.shared[0].snapshots == 1 and browser.shared[0].closed  # released at the end
    with app.state.db.session() as s:
        media = s.execute(select(Event.type, Media.content_type).join(
            Media, (Media.session_id == Event.session_id) & (Media.event_client_id == Event.client_id))).all()
    assert media == [("TAB_NOT_FOCUS", "image/jpeg")]  # the server stored the screen picture


def test_a_stopped_share_is_flagged_and_asked_for_again(api_key, browser):
    async def stop_sharing(widget, browser):
        browser.shared[0].end()
        await play(browser, 1)
        browser.dispatch("document", "copy", 7)
        await browser.settle()

    widget, rec = exam(browser, api_key, stop_sharing, features={"screenMonitoring": True})
    names = [n for n, _ in flags(rec)]
    assert names == ["SCREEN_SHARE_STOPPED", "CLIPBOARD"]
    assert "share it again" in browser.overlays[0].prompts[0]
    assert len(browser.shared) == 2 and browser.shared[0].closed and browser.shared[1].snapshots == 1  # the new share
    assert dict(flags(rec))["CLIPBOARD"]["details"] == {"action": "copy", "length": 7, "evidence": "screen"}


@pytest.mark.parametrize("answers, code, detail", [
    (["declined"], "PERMISSION_DENIED", "declined"),
    (["window", "browser", "window"], "PERMISSION_DENIED", "not-entire-screen"),
])
def test_anything_but_the_entire_screen_rejects_init(api_key, browser, answers, code, detail):
    browser.screen_answers = list(answers)

    async def scenario():
        widget = Widget(browser, SERVER)
        with pytest.raises(WidgetError) as info:
            await widget.init({**VALID_CONFIG, "apiKey": api_key, "features": {**NO_CAMERA, "screenMonitoring": True}})
        return widget, info.value

    widget, error = run(scenario())
    assert error.code == code and error.details["screen"] == detail and widget.state == "loaded"
    assert all(s.closed for s in browser.shared)


def test_a_window_shared_first_is_refused_and_asked_again(api_key, browser):
    browser.screen_answers = ["window", "monitor"]
    widget, rec = exam(browser, api_key, nothing, features={"screenMonitoring": True})
    assert "STARTED" in dict(rec.events) and browser.shared[0].surface == "window" and browser.shared[1].surface == "monitor"
    assert "You shared a window" in browser.overlays[0].prompts[0]


def test_a_browser_that_cannot_share_the_screen_fails_the_check_before_consent(api_key, browser):
    browser.supported["getDisplayMedia"] = False

    async def scenario():
        widget = Widget(browser, SERVER)
        with pytest.raises(WidgetError) as info:
            await widget.init({**VALID_CONFIG, "apiKey": api_key, "features": {**NO_CAMERA, "screenMonitoring": True}})
        return info.value

    error = run(scenario())
    assert error.code == "SYSTEM_CHECK_FAILED" and "getDisplayMedia" in str(error) and browser.overlays == []


def test_more_than_one_screen_is_flagged_at_start_and_when_it_appears(api_key, browser):
    browser.extended = True
    browser.screens = [{"label": "Built-in", "width": 1440, "height": 900, "primary": True},
                       {"label": "HDMI", "width": 1920, "height": 1080, "primary": False}]

    async def unplug_and_plug(widget, browser):
        await browser.settle()
        browser.extended = False
        browser.dispatch("screen", "change")
        await browser.settle()
        browser.dispatch("screen", "change")  # nothing new
        browser.extended = True
        browser.dispatch("screen", "change")
        await browser.settle()

    widget, rec = exam(browser, api_key, unplug_and_plug)
    found = [p for n, p in flags(rec) if n == "MULTIPLE_SCREENS"]
    assert len(found) == 2 and found[0]["details"]["screens"][1]["label"] == "HDMI"  # works without screen sharing


def test_clipboard_use_is_flagged_without_its_content(api_key, browser):
    async def copy_and_paste(widget, browser):
        browser.dispatch("document", "copy", 12)
        browser.dispatch("document", "paste", 40)
        browser.dispatch("document", "cut", 3)

    widget, rec = exam(browser, api_key, copy_and_paste)
    assert [p["details"] for n, p in flags(rec)] == [{"action": "copy", "length": 12}, {"action": "paste", "length": 40},
                                                     {"action": "cut", "length": 3}]


def test_a_window_left_small_is_one_incident(api_key, browser):
    async def split(widget, browser):
        browser.share = 0.5
        browser.dispatch("window", "resize")
        await play(browser, 5)  # small for 5 s: one flag, not five
        browser.share = 1.0
        await play(browser, 2)
        browser.share = 0.6
        await play(browser, 2)  # small again, but only for 2 s
        browser.share = 0.45
        await play(browser, 3)

    widget, rec = exam(browser, api_key, split, thresholds={"windowResizeSeconds": 3.5})
    found = [p["details"] for n, p in flags(rec) if n == "WINDOW_RESIZED"]
    assert len(found) == 2 and found[0]["share"] == 0.5 and found[0]["minShare"] == 0.8
    assert found[1]["share"] == 0.45  # the second incident: 0.6 then 0.45, small for 5 s in all


@pytest.mark.parametrize("feature, act", [
    ("clipboard", lambda b: b.dispatch("document", "copy", 5)),
    ("multipleScreens", lambda b: setattr(b, "extended", True) or b.dispatch("screen", "change")),
    ("fullscreen", lambda b: setattr(b, "share", 0.3) or b.dispatch("window", "resize")),
])
def test_each_new_flag_can_be_switched_off_for_a_candidate(api_key, browser, feature, act):
    async def steps(widget, browser):
        act(browser)
        await play(browser, 5)

    widget, rec = exam(browser, api_key, steps, features={feature: False})
    assert flags(rec) == []


def test_snapshots_alternate_between_camera_and_screen(api_key, browser):
    browser.faces = lambda t: [person()]
    widget, rec = exam(browser, api_key, nothing, seconds=40, snapshotInterval=5,
                       features={"periodicSnapshots": True, "screenMonitoring": True})
    sources = [p["details"]["source"] for n, p in flags(rec) if n == "PERIODIC_SNAPSHOT"]
    assert len(sources) >= 4 and sources[:4] == ["camera", "screen", "camera", "screen"]


def test_a_clean_exam_with_every_new_feature_on_flags_nothing(api_key, browser):
    browser.faces = lambda t: [person()]
    widget, rec = exam(browser, api_key, nothing, seconds=30,
                       features={"aiProctoring": True, "facialRecognition": True, "screenMonitoring": True,
                                 "clipboard": True, "multipleScreens": True, "fullscreen": True})
    assert flags(rec) == []
