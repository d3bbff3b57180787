"""Playwright settings for this repository: how Chromium is launched (flags, executable, fake
camera and microphone). The code lives in ``eye_testing.chromium`` so that the installed testing
kit uses the same settings; tests load this file by path (``runpy``)."""

from eye_testing.chromium import BASE_ARGS, MEDIA_ARGS, chromium_path, launch, launch_args

__all__ = ["BASE_ARGS", "MEDIA_ARGS", "chromium_path", "launch", "launch_args"]
