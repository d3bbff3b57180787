"""Ended exam sessions with flags, made over the HTTP API exactly as the widget makes them (create,
events, evidence upload, end) — for testing reviewer workflows, webhook receivers and reports
without a camera. Flags that carry evidence get a real JPEG (a photograph from scikit-image's data)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from widget.events import MEDIA_EVENTS, iso

from .media import astronaut, jpeg_bytes


def ended_session(eye_url: str, api_key: str, origin: str, flags: list[str], *, evidence: bool = True,
                  **config: Any) -> dict[str, Any]:
    """One ended session of ``flags`` (event types, in order); returns
    ``{"sessionId", "flagIds"}``. ``config`` overrides the candidate and assessment fields."""
    base = {"assessmentId": "exam-1", "assessmentTitle": "Algebra I", "candidateId": f"cand-{uuid.uuid4().hex[:6]}",
            "candidateEmail": "candidate@example.edu", "candidateFirstName": "Ada", "candidateLastName": "Lovelace",
            "institutionName": "Test University", "examDuration": 600,
            "features": {"aiProctoring": False, "facialRecognition": False, "periodicSnapshots": False}}
    headers = {"Origin": origin}
    jpeg = jpeg_bytes(astronaut()[::4, ::4], quality=80) if evidence else b""
    with httpx.Client(base_url=eye_url, timeout=30) as http:
        created = http.post("/api/v1/sessions", json={"apiKey": api_key, "config": {**base, **config}}, headers=headers)
        created.raise_for_status()
        sid, token = created.json()["sessionId"], created.json()["token"]
        auth = {**headers, "Authorization": f"Bearer {token}"}
        ids, events = [], []
        for i, kind in enumerate(flags):
            ids.append(f"{kind.lower().replace('_', '-')}-{i}-{uuid.uuid4().hex[:6]}")
            payload: dict[str, Any] = {"description": f"{kind} seen"}
            if evidence and kind in MEDIA_EVENTS:
                payload["media"] = {"contentType": "image/jpeg", "size": len(jpeg)}
            events.append({"id": ids[-1], "type": kind, "createdAt": iso(time.time() + i * 0.1), "payload": payload})
        if events:
            http.post(f"/api/v1/sessions/{sid}/events", json={"events": events}, headers=auth).raise_for_status()
        for event, event_id in zip(events, ids, strict=True):
            if "media" in event["payload"]:
                http.post(f"/api/v1/sessions/{sid}/events/{event_id}/media", content=jpeg,
                          headers={**auth, "Content-Type": "image/jpeg"}).raise_for_status()
        http.post(f"/api/v1/sessions/{sid}/end", json={"reason": "manual"}, headers=auth).raise_for_status()
    return {"sessionId": sid, "flagIds": ids}
