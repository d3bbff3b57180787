"""The reviewer dashboard: server-rendered pages on one router (``pages.router``)."""

from . import admin, live, lms, proctoring, reviewing, views  # noqa: F401  (each adds its pages to the router)
from .pages import router

__all__ = ["router"]
