"""How to launch Chromium for Eye's tests, benchmarks and the testing kit — the one place that knows.

Debian's ``/usr/bin/chromium`` (``apt-get install -y chromium``) is used when present, else a
Playwright-managed Chromium if one is installed; ``EYE_CHROMIUM`` overrides both.
``playwright.config.py`` at the top of the repository re-exports this module.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def chromium_path() -> str | None:
    """The Chromium binary to drive, or None to let Playwright use its own download."""
    explicit = os.environ.get("EYE_CHROMIUM")
    if explicit:
        return explicit
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def launch_args(video: str | None = None, audio: str | None = None, *, grant_media: bool = True) -> list[str]:
    """Flags for a headless run; ``video``/``audio`` feed a fake camera (y4m) and microphone (wav).
    ``grant_media=False`` leaves out the flag that auto-accepts the permission prompt."""
    args = list(BASE_ARGS) + (MEDIA_ARGS if grant_media else MEDIA_ARGS[1:])
    if video:
        args.append(f"--use-file-for-fake-video-capture={video}")
    if audio:
        args.append(f"--use-file-for-fake-audio-capture={audio}")
    return args


def launch(playwright, *, headless: bool = True, video: str | None = None, audio: str | None = None,  # type: ignore[no-untyped-def]
           grant_media: bool = True):
    """A fresh Chromium browser (each has its own empty profile)."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), headless=headless, args=launch_args(video, audio, grant_media=grant_media)
    )
