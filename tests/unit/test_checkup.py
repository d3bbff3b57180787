"""The setup check (``widget.checkSystem``, issue 23) under CPython against the real server: each
check passes on a good computer and fails with its own fix — declined, blocked, dark, no face,
silent, a window instead of the screen, a slow upload, no server — in the candidate's language;
the support code reads back; the upload probe keeps nothing."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from eye_testing import media as fx
from tests.conftest import VALID_CONFIG
from tests.unit.conftest import SERVER
from tests.unit.test_widget import run
from tests.unit.test_widget_media import person, play
from widget.api import Widget
from widget.checkup import CHECKS, FIXES, MIN_UPLOAD_KBPS, decode
from widget.errors import WidgetError
from widget.language import words


def check(browser, options=None, *, faces=True, audio=None, seconds=10.0, snapshot=None):
    """checkSystem(options) with the camera showing ``faces`` and the microphone hearing ``audio``
    (speech unless given) while the fake clock runs ``seconds``."""
    browser.faces = (lambda t: [person()]) if faces else (lambda t: [])

    async def scenario():
        widget = Widget(browser, SERVER)
        stored: asyncio.Future = asyncio.get_event_loop().create_future()
        stored.set_result(snapshot)
        task = asyncio.ensure_future(widget.checkSystem(options, stored))
        await play(browser, seconds, audio=fx.speechlike(seconds) if audio is None else audio)
        return await task

    answer = run(scenario())
    assert [r["name"] for r in answer["results"]] == list(CHECKS)
    return {r["name"]: r for r in answer["results"]}, answer["code"]


def test_a_good_computer_passes_every_check_asked_for_and_nothing_is_recorded(app, browser):
    results, code = check(browser)
    assert {n: r["status"] for n, r in results.items()} == {
        "browser": "success", "network": "success", "camera": "success", "microphone": "success",
        "screen": "default", "download": "success"}
    assert "1 face(s) visible" in results["camera"]["detail"] and "dBFS" in results["microphone"]["detail"]
    assert "face models cached; start-up snapshot stored" in results["download"]["detail"]
    assert all(r["fix"] == "" for r in results.values())
    assert results["camera"]["label"] == "Camera"
    # no session: the only requests are the health check and the upload probe
    assert {url.split("/api/v1/")[1] for _, url, _, _ in browser.requests} == {"health", "check/upload"}
    assert browser.medias[0].closed and browser.overlays[0].removed and browser.analyzers[0].closed
    assert "Nothing is recorded" in browser.overlays[0].consent_text
    decoded = decode(code)
    assert {n: c["status"] for n, c in decoded["checks"].items()} == {n: r["status"] for n, r in results.items()}


@pytest.mark.parametrize("setup, failed, reason", [
    (lambda b: setattr(b, "consent_answer", False), {"camera", "microphone"}, "declined"),
    (lambda b: setattr(b, "permission", False), {"camera", "microphone"}, "blocked"),
    (lambda b: setattr(b, "camera_black", True), {"camera"}, "dark"),
])
def test_each_device_problem_fails_with_its_fix_in_the_candidates_language(app, browser, setup, failed, reason):
    setup(browser)
    results, code = check(browser, {"language": "es"})
    assert {n for n, r in results.items() if r["status"] == "failed"} == failed
    for name in failed:
        assert results[name]["fix"] == words("es")(FIXES[reason])
        assert decode(code)["checks"][name] == {"status": "failed", "reason": reason}
    assert results["camera"]["label"] == "Cámara"


def test_no_face_in_view_and_a_silent_microphone(app, browser):
    results, code = check(browser, faces=False, audio=fx.silence(10))
    assert results["camera"]["status"] == "failed" and results["camera"]["fix"] == FIXES["no-face"]
    assert results["microphone"]["status"] == "failed" and results["microphone"]["fix"] == FIXES["silent"]
    assert "loudest -180 dBFS in 3 s" in results["microphone"]["detail"]  # chunks arrived, all silent


def test_a_window_instead_of_the_entire_screen(app, browser):
    browser.screen_answers = ["window"]
    results, _ = check(browser, {"screen": True, "camera": False, "microphone": False})
    assert results["screen"]["status"] == "failed" and results["screen"]["fix"] == FIXES["not-entire-screen"]
    assert "a window was shared" in results["screen"]["detail"] and browser.shared[0].closed
    assert results["camera"]["status"] == "default"
    browser.screen_answers = []
    results, _ = check(browser, {"screen": True, "camera": False, "microphone": False})
    assert results["screen"]["status"] == "success" and "1280×720" in results["screen"]["detail"]


def test_a_slow_upload_and_an_unreachable_server(app, browser):
    real = browser.server

    def slow(method, url, body, token):  # 128 KB in 4 s: 262 kbit/s
        if url.endswith("check/upload"):
            browser.advance(4.0)
        return real(method, url, body, token)

    browser.server = slow
    results, code = check(browser, {"camera": False, "microphone": False})
    assert results["network"]["status"] == "failed" and results["network"]["fix"] == FIXES["slow-upload"]
    assert f"the exam needs {MIN_UPLOAD_KBPS:.0f}" in results["network"]["detail"]
    assert 200 <= decode(code)["uploadKbps"] <= 300
    browser.server = real
    real.offline = True
    results, _ = check(browser, {"camera": False, "microphone": False})
    assert results["network"]["status"] == "failed" and results["network"]["fix"] == FIXES["unreachable"]


def test_the_exams_features_choose_what_is_tested_and_downloaded(app, browser):
    results, _ = check(browser, {"features": {"aiProctoring": False, "facialRecognition": False, "periodicSnapshots": False}})
    assert results["camera"]["status"] == results["microphone"]["status"] == "default"
    assert not browser.analyzers and "face models" not in results["download"]["detail"]
    results, _ = check(browser, {"features": {"screenMonitoring": True, "objectDetection": True}})
    assert results["screen"]["status"] == "success"
    assert browser.analyzers[-1].extras["objects"] is True


@pytest.mark.parametrize("options, field", [
    ("yes", "options"),
    ({"screen": "yes"}, "options.screen"),
    ({"webcam": True}, "options.webcam"),
    ({"features": {"faceMagic": True}}, "options.features.faceMagic"),
])
def test_bad_options_name_the_field(app, browser, options, field):
    with pytest.raises(WidgetError) as info:
        run(Widget(browser, SERVER).checkSystem(options))
    assert info.value.code == "INVALID_CONFIG" and field in info.value.details


def test_not_during_an_exam(app, api_key, browser):
    async def scenario():
        widget = Widget(browser, SERVER)
        await widget.init({**VALID_CONFIG, "apiKey": api_key, "features": {"aiProctoring": False, "facialRecognition": False,
                                                                             "periodicSnapshots": False}})
        try:
            await widget.checkSystem({})
        finally:
            await widget.endProctoring()

    with pytest.raises(WidgetError) as info:
        run(scenario())
    assert info.value.code == "ALREADY_ACTIVE" and "before the exam" in info.value.message


def test_a_support_code_is_short_and_refuses_what_is_not_one():
    with pytest.raises(ValueError, match="support code"):
        decode("HELLO-WORLD")
    with pytest.raises(ValueError):
        decode("not base32 at all!")


def test_the_upload_probe_keeps_nothing_and_is_limited(client, app):
    answer = client.post("/api/v1/check/upload", content=b"x" * 1000, headers={"Origin": "https://anywhere.example"})
    assert answer.status_code == 200 and answer.json() == {"received": 1000}
    assert answer.headers["Access-Control-Allow-Origin"] == "*" or answer.headers.get("access-control-allow-origin")
    too_big = client.post("/api/v1/check/upload", content=b"x" * (600 * 1024))
    assert too_big.status_code == 413
    codes = [client.post("/api/v1/check/upload", content=b"x").status_code for _ in range(12)]
    assert codes[-1] == 429 and 200 in codes


def test_the_check_page_speaks_the_asked_or_the_browsers_language(client):
    arabic = client.get("/check/?lang=ar")
    assert arabic.status_code == 200 and '<html lang="ar" dir="rtl">' in arabic.text
    assert "<title>افحص حاسوبك استعدادًا لاختبارك</title>" in arabic.text and arabic.headers["content-language"] == "ar"
    german = client.get("/check/", headers={"Accept-Language": "fr;q=0.5, de-AT, en;q=0.8"})
    assert '<html lang="de" dir="ltr">' in german.text and "Prüfen Sie Ihren Computer" in german.text
    assert '<html lang="en"' in client.get("/check/", headers={"Accept-Language": "sw"}).text
    screen = client.get("/check/?lang=es&features=screenMonitoring,objectDetection,nonsense").text
    data = json.loads(re.search(r'<script type="application/json" id="eye-check">(.*?)</script>', screen).group(1))
    assert data["screen"] is True and data["features"] == {"screenMonitoring": True, "objectDetection": True}
    assert data["words"]["failed"] == "Con problemas" and data["lang"] == "es"
    assert 'href="?lang=ja" lang="ja" hreflang="ja">日本語</a>' in screen


def test_eye_check_code_reads_a_code_back(app, browser, capsys):
    from server.cli import main

    browser.camera_black = True
    _, code = check(browser)
    assert main(["check-code", code]) == 0
    out = capsys.readouterr().out
    assert "camera      failed   dark: Your camera picture is too dark" in out and "browser     success" in out
    assert main(["check-code", "NOPE"]) == 2
