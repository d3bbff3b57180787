"""Live proctoring's doors (issue 24), attacked first: a candidate's token on another session's
channel, a reviewer or a secret key of institution A acting on B's session, an auditor acting,
oversized or empty messages, and a message of HTML (stored as the words it is; the widget shows
it as text, tested in Chromium)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.access.keys import create_secret_key
from server.access.users import create_user
from server.store import AuditEntry, ProctorMessage
from tests.conftest import VALID_CONFIG
from tests.unit.test_dashboard import PASSWORD, csrf_of, login
from tests.unit.test_platform_api import PAGE, bearer


def start(client, api_key, candidate="cand-7"):
    r = client.post("/api/v1/sessions", json={"apiKey": api_key, "config": {**VALID_CONFIG, "candidateId": candidate}},
                    headers=PAGE)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def people(app):
    with app.state.db.session() as s:
        create_user(s, "Test University", "rev@test.edu", PASSWORD, role="reviewer")
        create_user(s, "Test University", "aud@test.edu", PASSWORD, role="auditor")
        create_user(s, "Other College", "other@other.edu", PASSWORD, create_institution=True)
        return {"ours": create_secret_key(s, "Test University"), "theirs": create_secret_key(s, "Other College")}


def messages(app):
    with app.state.db.session() as s:
        return [(m.kind, m.text) for m in s.scalars(select(ProctorMessage).order_by(ProctorMessage.id))]


def test_a_candidate_token_cannot_read_or_ack_another_sessions_channel(client, api_key, people):
    mine, theirs = start(client, api_key), start(client, api_key, "cand-8")
    sent = client.post(f"/api/v1/sessions/{theirs['sessionId']}/messages", json={"text": "for cand-8 only"},
                       headers=bearer(people["ours"]))
    assert sent.status_code == 201
    wrong = {**PAGE, "Authorization": f"Bearer {mine['token']}"}
    assert client.get(f"/api/v1/sessions/{theirs['sessionId']}/channel", headers=wrong).status_code == 401
    assert client.post(f"/api/v1/sessions/{theirs['sessionId']}/channel/ack", json={"upTo": 1}, headers=wrong).status_code == 401
    assert client.get(f"/api/v1/sessions/{theirs['sessionId']}/channel", headers=PAGE).status_code == 401  # no token
    other_origin = {"Origin": "https://evil.example", "Authorization": f"Bearer {theirs['token']}"}
    assert client.get(f"/api/v1/sessions/{theirs['sessionId']}/channel", headers=other_origin).status_code == 403


def test_another_institutions_secret_key_or_reviewer_cannot_act(client, api_key, people):
    session = start(client, api_key)["sessionId"]
    for path, body in ((f"/api/v1/sessions/{session}/messages", {"text": "hello"}), (f"/api/v1/sessions/{session}/pause", {}),
                       (f"/api/v1/sessions/{session}/resume", None)):
        answer = client.post(path, json=body, headers=bearer(people["theirs"]))
        assert answer.status_code == 404 and answer.json()["code"] == "NOT_FOUND", path
    login(client, "other@other.edu")
    answer = client.post(f"/dashboard/sessions/{session}/proctor", data={"action": "message", "text": "hi",
                                                                          "csrf": csrf_of(client, "/dashboard/")})
    assert answer.status_code == 404
    assert messages(client.app) == []


def test_an_auditor_sees_no_controls_and_cannot_act(client, api_key, people):
    session = start(client, api_key)["sessionId"]
    login(client, "aud@test.edu")
    page = client.get(f"/dashboard/sessions/{session}").text
    assert 'id="live"' not in page
    for action in ("message", "pause", "end"):
        answer = client.post(f"/dashboard/sessions/{session}/proctor",
                             data={"action": action, "text": "x", "csrf": csrf_of(client, "/dashboard/")})
        assert answer.status_code == 403, action
    assert messages(client.app) == []
    assert client.get(f"/api/v1/sessions/{session}", headers=bearer(people["ours"])).json()["endedAt"] is None


def test_a_reviewer_messages_pauses_resumes_and_ends_and_each_is_audited(client, api_key, people):
    session = start(client, api_key)["sessionId"]
    login(client, "rev@test.edu")
    page = client.get(f"/dashboard/sessions/{session}").text
    assert 'id="live"' in page and 'id="proctor-send"' in page
    csrf = csrf_of(client, f"/dashboard/sessions/{session}")
    html = '<img src=x onerror="alert(1)"> please look at the camera'
    for action, text in (("message", html), ("pause", "Your ID is unclear"), ("resume", "ignored")):
        answer = client.post(f"/dashboard/sessions/{session}/proctor", data={"action": action, "text": text, "csrf": csrf},
                             follow_redirects=False)
        assert answer.status_code == 303 and f"proctored={action}" in answer.headers["location"]
    assert messages(client.app) == [("message", html), ("pause", "Your ID is unclear"), ("resume", "")]
    assert "Message sent." in client.get(f"/dashboard/sessions/{session}?proctored=message").text
    assert "onerror" not in client.get(f"/dashboard/sessions/{session}?proctored=<script>").text.split('id="live"')[1][:300]
    ended = client.post(f"/dashboard/sessions/{session}/proctor", data={"action": "end", "csrf": csrf}, follow_redirects=False)
    assert ended.status_code == 303
    record = client.get(f"/api/v1/sessions/{session}", headers=bearer(people["ours"])).json()
    assert record["endedAt"] is not None and record["endReason"] == "proctor"
    with client.app.state.db.session() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.target == f"session {session}"))]
    assert actions == ["proctor message", "proctor pause", "proctor resume", "session ended"]
    again = client.post(f"/dashboard/sessions/{session}/proctor", data={"action": "message", "text": "late", "csrf": csrf},
                        follow_redirects=False)
    assert "error=" in again.headers["location"]  # an ended session has no widget to send to
    assert client.get(f"/dashboard/sessions/{session}").text.count('id="proctor-send"') == 0


@pytest.mark.parametrize("body, field", [({"text": ""}, "text"), ({"text": "x" * 1001}, "text"), ({"text": "hi", "html": True}, "html")])
def test_bad_messages_are_refused_and_name_the_field(client, api_key, people, body, field):
    session = start(client, api_key)["sessionId"]
    answer = client.post(f"/api/v1/sessions/{session}/messages", json=body, headers=bearer(people["ours"]))
    assert answer.status_code == 422 and field in str(answer.json()["details"])
    assert messages(client.app) == []


def test_the_live_page_shows_only_the_own_institutions_running_exams(client, api_key, people, app):
    from server.access.keys import create_key

    mine = start(client, api_key)["sessionId"]
    done = start(client, api_key, "cand-done")
    client.post(f"/api/v1/sessions/{done['sessionId']}/end", json={"reason": "manual"},
                headers={**PAGE, "Authorization": f"Bearer {done['token']}"})
    with app.state.db.session() as s:
        other_key = create_key(s, "Other College", ["localhost:5000"])
    theirs = start(client, other_key, "cand-other")["sessionId"]
    login(client, "rev@test.edu")
    page = client.get("/dashboard/live")
    assert page.status_code == 200 and f'data-session="{mine}"' in page.text
    assert done["sessionId"] not in page.text and theirs not in page.text  # ended; another institution's
    assert "1 exam in progress" in page.text and 'href="/dashboard/live"' in page.text
    grid = client.get("/dashboard/live/grid").text
    assert f'data-session="{mine}"' in grid and "<header" not in grid  # a fragment
    with client.stream("GET", "/dashboard/live/stream") as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert next(answer.iter_text()).startswith(": connected")
    login(client, "aud@test.edu")
    for path in ("/dashboard/live", "/dashboard/live/grid", "/dashboard/live/stream"):
        assert client.get(path).status_code == 403, path
    assert 'href="/dashboard/live"' not in client.get("/dashboard/").text


def test_another_institutions_news_wakes_none_of_our_live_pages(client, api_key, people, app):
    """Each institution's live pages wait on its own key: a start, a flag, an end elsewhere says
    nothing to ours (not even that something happened)."""
    from server.access.keys import create_key
    from server.live.fanout import board_of
    from server.store import Institution

    told: list[str] = []
    publish = app.state.fanout.publish
    app.state.fanout.publish = lambda key: (told.append(key), publish(key))[1]
    with app.state.db.session() as s:
        other_key = create_key(s, "Other College", ["localhost:5000"])
        ours, theirs = (s.scalar(select(Institution.id).where(Institution.name == n)) for n in ("Test University", "Other College"))
    other = start(client, other_key, "cand-other")
    auth = {**PAGE, "Authorization": f"Bearer {other['token']}"}
    client.post(f"/api/v1/sessions/{other['sessionId']}/events", headers=auth, json={"events": [
        {"id": "e1", "type": "TAB_NOT_FOCUS", "createdAt": other["startedAt"], "payload": {"description": "left"}}]})
    client.post(f"/api/v1/sessions/{other['sessionId']}/messages", json={"text": "Hello"}, headers=bearer(people["theirs"]))
    client.post(f"/api/v1/sessions/{other['sessionId']}/end", json={"reason": "manual"}, headers=auth)
    boards = [k for k in told if k.startswith("live:board")]
    assert boards == [board_of(theirs)] * 4 and board_of(ours) not in told  # start, flag, message, end
    mine = start(client, api_key)
    assert told[-1] == board_of(ours) and mine["sessionId"]


def test_the_side_panel_is_the_own_institutions_and_its_actions_answer_json(client, api_key, people, app):
    """The live page's side panel: a fragment of one's own session (404 for another institution's,
    403 for an auditor), and its form answered as JSON — refusals with their status and words."""
    from server.access.keys import create_key

    mine = start(client, api_key)
    with app.state.db.session() as s:
        other_key = create_key(s, "Other College", ["localhost:5000"])
    theirs = start(client, other_key, "cand-other")["sessionId"]
    client.post(f"/api/v1/sessions/{mine['sessionId']}/events", headers={**PAGE, "Authorization": f"Bearer {mine['token']}"},
                json={"events": [{"id": "e1", "type": "TAB_NOT_FOCUS", "createdAt": mine["startedAt"],
                                  "payload": {"description": "<b>left</b> the exam"}}]})
    login(client, "rev@test.edu")
    panel = client.get(f"/dashboard/live/sessions/{mine['sessionId']}")
    assert panel.status_code == 200 and 'id="proctor-form"' in panel.text and "<header" not in panel.text
    assert "&lt;b&gt;left&lt;/b&gt; the exam" in panel.text and 'data-type="TAB_NOT_FOCUS"' in panel.text  # as text
    for path in (f"/dashboard/live/sessions/{theirs}", f"/dashboard/live/sessions/{theirs}/timeline"):
        assert client.get(path).status_code == 404, path
    form = f"/dashboard/sessions/{mine['sessionId']}/proctor"
    csrf = csrf_of(client, f"/dashboard/sessions/{mine['sessionId']}")
    json_please = {"Accept": "application/json"}
    done = client.post(form, data={"csrf": csrf, "action": "pause", "text": "Wait"}, headers=json_please)
    assert done.status_code == 200 and done.json() == {"done": "The exam is paused."}
    state = client.get(f"/dashboard/live/sessions/{mine['sessionId']}/timeline").text
    assert 'data-state="paused"' in state
    empty = client.post(form, data={"csrf": csrf, "action": "message", "text": "  "}, headers=json_please)
    assert empty.status_code == 422 and "text" in empty.json()["error"]
    assert client.post(f"/dashboard/sessions/{theirs}/proctor", data={"csrf": csrf, "action": "end"},
                       headers=json_please).status_code == 404
    assert client.post(form, data={"csrf": "forged", "action": "end"}, headers=json_please).status_code in (400, 403)
    ended = client.post(form, data={"csrf": csrf, "action": "end"}, headers=json_please)
    assert ended.json() == {"done": "The exam has ended."}
    assert 'data-state="ended"' in client.get(f"/dashboard/live/sessions/{mine['sessionId']}/timeline").text
    assert messages(app) == [("pause", "Wait")]
    login(client, "aud@test.edu")
    assert client.get(f"/dashboard/live/sessions/{mine['sessionId']}").status_code == 403
