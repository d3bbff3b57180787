"""The pytest plugin: fixtures that give an exam page a real Eye server and a Chromium with a
fake camera and microphone. Registered through the ``pytest11`` entry point as ``eye``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from . import media
from .chromium import launch
from .servers import EyeServer, PageServer


@pytest.fixture(scope="session")
def eye_server(tmp_path_factory: pytest.TempPathFactory):
    """A running ``eye serve`` on 127.0.0.1 with a fresh SQLite database, for the whole test run."""
    server = EyeServer(tmp_path_factory.mktemp("eye-server"))
    yield server
    server.stop()


@pytest.fixture
def eye_page_server():
    """``serve({"/exam.html": html, "/photo.jpg": (bytes, "image/jpeg")})`` → a server on
    ``http://localhost:PORT`` (``.origin``, ``.domain`` to register with a key)."""
    started: list[PageServer] = []

    def serve(pages: dict[str, Any]) -> PageServer:
        started.append(PageServer(pages))
        return started[-1]

    yield serve
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def eye_playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def _camera_file(camera: Any, folder: Path) -> str | None:
    if camera is None:
        return None
    if isinstance(camera, (str, Path)) and str(camera).endswith(".y4m"):
        return str(camera)
    frame = media.scene(camera) if isinstance(camera, list) else np.asarray(camera)
    if frame.shape != (media.HEIGHT, media.WIDTH, 3):
        frame = media.scene([frame])
    return str(media.write_y4m(folder / "camera.y4m", frame))


def _microphone_file(microphone: Any, folder: Path, once: bool) -> str | None:
    if microphone is None:
        return None
    path = str(microphone) if isinstance(microphone, (str, Path)) else str(media.write_wav(folder / "microphone.wav", np.asarray(microphone)))
    return f"{path}%noloop" if once else path


@pytest.fixture
def eye_browser(eye_playwright, tmp_path: Path) -> Callable[..., Any]:
    """``eye_browser(camera=..., microphone=..., play_once=False, grant_media=True)`` → a
    Playwright ``Browser``.

    ``camera``: an RGB image (numpy array), a list of people images (placed side by side), or a
    ``.y4m`` path; ``microphone``: float samples at 48 kHz (numpy) or a ``.wav`` path;
    ``grant_media=False`` makes the browser deny camera/microphone permission."""
    opened: list[Any] = []

    def open_browser(camera: Any = None, microphone: Any = None, play_once: bool = False, grant_media: bool = True) -> Any:
        folder = tmp_path / f"media-{len(opened)}"
        folder.mkdir()
        if microphone is None:
            microphone = media.silence(60)  # Chromium's default fake microphone beeps
        browser = launch(eye_playwright, video=_camera_file(camera, folder),
                         audio=_microphone_file(microphone, folder, play_once), grant_media=grant_media)
        opened.append(browser)
        return browser

    yield open_browser
    for browser in opened:
        browser.close()
