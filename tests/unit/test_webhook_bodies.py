"""What Eye POSTs is what docs/webhooks.md shows: each of the three bodies, taken from a real
delivery to a receiver on loopback, has exactly the fields (and types) of the doc's example."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.receiver import Receiver
from tests.unit.test_dashboard import csrf_of, exam, login, reviewer, set_webhook  # noqa: F401  (fixture)
from tests.unit.test_review import decide

DOC = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()


def documented() -> dict[str, dict]:
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", DOC, re.S)]
    return {e["event"]: e for e in examples}


def shape(value):
    """A value's JSON type, recursively for objects (their keys) and the first item of arrays."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


def test_every_webhook_body_is_the_documented_one(app, client, reviewer, api_key):  # noqa: F811
    receiver = Receiver()
    set_webhook(app, receiver.url)
    sid, events = exam(client, api_key, flags=("MULTIPLE_FACE", "TAB_NOT_FOCUS"))  # ends the session
    login(client)
    decide(client, sid, events[0]["id"], "confirm")
    client.post(f"/dashboard/sessions/{sid}/review", data={"state": "escalated", "note": "two people",
                "csrf": csrf_of(client, f"/dashboard/sessions/{sid}")})
    got = [json.loads(body) for _, body, _ in receiver.wait(4)]
    sent = {}
    for body in got:
        assert body["sessionId"] == sid, body  # every body names its session
        sent.setdefault(body["event"], body)
    docs = documented()
    assert set(sent) == set(docs) == {"Flag", "SessionEnded", "ReviewCompleted"}
    for event, body in sent.items():
        example = docs[event]
        if body.get("mediaUrl") is None and "mediaUrl" in example:
            body = {**body, "mediaUrl": example["mediaUrl"]}  # null for a flag without evidence
        if body.get("flagCounts") and example.get("flagCounts"):
            body = {**body, "flagCounts": example["flagCounts"]}  # keys are the flag types that happened
        assert shape(body) == shape(example), event
    ended = sent["SessionEnded"]
    assert ended["reason"] == "manual" and ended["flagCounts"] == {"MULTIPLE_FACE": 1, "TAB_NOT_FOCUS": 1}
    assert ended["deliveryId"] == f"ended-{sid}" and ended["reviewState"] == "unreviewed"
