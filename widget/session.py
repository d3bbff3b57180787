"""The widget's lifecycle (loaded → initializing → active → ended) and the violation tally."""

from __future__ import annotations

from .errors import ALREADY_ACTIVE, WidgetError

LOADED = "loaded"
INITIALIZING = "initializing"
ACTIVE = "active"
ENDED = "ended"

_ALLOWED = {
    LOADED: {INITIALIZING},
    INITIALIZING: {ACTIVE, LOADED, ENDED},  # success, rejected init (back to where it was), ended
    ACTIVE: {ENDED},
    ENDED: {INITIALIZING},  # a later init starts a new session; the old one never resumes
}


class Lifecycle:
    """Holds the state and refuses transitions the contract does not allow."""

    def __init__(self) -> None:
        self.state = LOADED
        self._before_init = LOADED

    def begin_init(self) -> None:
        if self.state in (INITIALIZING, ACTIVE):
            raise WidgetError(ALREADY_ACTIVE, f"init() called while the widget is {self.state}; call endProctoring() first")
        self._before_init = self.state
        self._go(INITIALIZING)

    def init_failed(self) -> None:
        self._go(self._before_init)

    def activate(self) -> None:
        self._go(ACTIVE)

    def end(self) -> None:
        self._go(ENDED)

    def _go(self, target: str) -> None:
        if target != self.state and target not in _ALLOWED[self.state]:
            raise RuntimeError(f"invalid transition {self.state} → {target}")
        self.state = target


class Tally:
    """Counts distinct violation types; on the ``limit``-th distinct type returns them and restarts."""

    def __init__(self, limit: int = 5):
        self.limit = limit
        self._seen: list[str] = []

    def add(self, violation: str) -> list[str] | None:
        if violation not in self._seen:
            self._seen.append(violation)
        if len(self._seen) >= self.limit:
            seen, self._seen = self._seen, []
            return seen
        return None


def saved_session_key(assessment_id: str, candidate_id: str) -> str:
    """Where the tab keeps its live session (``sessionStorage``) so a reload resumes it: the value
    is ``{sessionId, token, startedAt, localStartedAt}`` (Eye's LTI proctoring page seeds it on a
    relaunch of an attempt whose session is live)."""
    return f"eye:session:{assessment_id}:{candidate_id}"

