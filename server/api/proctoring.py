"""The platform API's live proctoring (secret key): send a running session's candidate a
message, pause the exam, resume it, ask for a fresh picture. Each is audited and reaches the widget through its channel
within a second, on whichever instance it streams from. (Ending: ``POST /sessions/{id}/end``.)"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from widget.channel import CHECK_IN, MAX_TEXT, MESSAGE, PAUSE, RESUME

from ..live import channel
from ..store import Database
from ..store.models import iso
from ..web.middleware import client_address
from .auth import SecretAuth
from .errors import ApiError, errors
from .platform import caller, own_session

router = APIRouter(prefix="/api/v1")


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    #: Who the candidate is told it is from (default: "your proctor", in their language).
    sender: str | None = Field(default=None, max_length=200)


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=MAX_TEXT)


class Sent(BaseModel):
    messageId: str
    sessionId: str
    kind: str
    sentAt: str


def _send(request: Request, authorization: str | None, session_id: str, kind: str, text: str, sender: str | None) -> dict[str, Any]:
    db_handle: Database = request.app.state.db
    with db_handle.session() as db:
        who = caller(request, db, authorization, writing=True)
        session = own_session(db, who, session_id)
        try:
            sent = channel.send(db, request.app.state.fanout, session, kind, text, sender=sender or "", actor=who.actor,
                                address=client_address(request))
        except channel.ChannelError as e:
            raise ApiError(e.status, e.code, e.message, {e.field: e.message}) from None
        return {"messageId": str(sent.id), "sessionId": session.id, "kind": kind, "sentAt": iso(sent.created_at)}


@router.post("/sessions/{session_id}/messages", status_code=201, response_model=Sent, responses=errors(401, 403, 404, 409, 422))
def send_message(session_id: str, body: MessageIn, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """Show the candidate ``text`` now (``PROCTOR_MESSAGE`` on their page); HTML is shown as text."""
    return _send(request, authorization, session_id, MESSAGE, body.text, body.sender)


@router.post("/sessions/{session_id}/pause", status_code=201, response_model=Sent, responses=errors(401, 403, 404, 409, 422))
def pause(session_id: str, request: Request, authorization: SecretAuth, body: PauseIn | None = None) -> dict[str, Any]:
    """Cover the candidate's page until ``resume`` (``PROCTORING_PAUSED {reason}``: stop the exam timer)."""
    return _send(request, authorization, session_id, PAUSE, body.reason if body else "", None)


@router.post("/sessions/{session_id}/resume", status_code=201, response_model=Sent, responses=errors(401, 403, 404, 409, 422))
def resume(session_id: str, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """Uncover the page (``PROCTORING_RESUMED``)."""
    return _send(request, authorization, session_id, RESUME, "", None)


@router.post("/sessions/{session_id}/check-in", status_code=201, response_model=Sent, responses=errors(401, 403, 404, 409, 422))
def check_in(session_id: str, request: Request, authorization: SecretAuth) -> dict[str, Any]:
    """Ask for a fresh picture now: the widget sends ``CHECK_IN`` with its camera's JPEG (or the shared screen's)."""
    return _send(request, authorization, session_id, CHECK_IN, "", None)
