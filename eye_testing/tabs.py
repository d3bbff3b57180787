"""A candidate leaving the exam's tab and coming back, for real: Playwright emulates focus (every
page of a headless browser thinks it has it), so no ``blur`` ever fires and the widget's tab
monitoring sees nothing. ``leave_tab`` turns that emulation off for the page and brings another
tab of its context to the front; ``return_to_tab`` brings the exam back. The page must come from
``browser.new_context().new_page()`` (a ``browser.new_page()`` page can have no tab beside it)."""

from __future__ import annotations

from typing import Any


def leave_tab(page: Any) -> Any:
    """The candidate switches to another tab (made on first use); returns that tab."""
    other = getattr(page, "_eye_other_tab", None)
    if other is None:
        page.context.new_cdp_session(page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
        try:
            other = page.context.new_page()
        except Exception as e:  # a page from browser.new_page() owns its context: no tab beside it
            raise RuntimeError("leave_tab needs a page made with browser.new_context().new_page(), so that "
                               "another tab can open beside it") from e
        page._eye_other_tab = other
    other.bring_to_front()
    return other


def return_to_tab(page: Any) -> None:
    """The candidate comes back to the exam's tab."""
    page.bring_to_front()
