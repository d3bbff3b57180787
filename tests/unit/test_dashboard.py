"""The reviewer dashboard through the real app: sign-in, CSRF, institution scoping, keys,
exports, scores, webhooks, retention."""

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import re
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from server.access.users import create_user
from server.custody.retention import delete_candidate, purge
from server.outcomes.score import integrity
from server.store import ExamSession, Institution, Media, WebhookDelivery
from tests.conftest import VALID_CONFIG, moment
from tests.receiver import Receiver
from widget.events import MEDIA_EVENTS

ORIGIN = {"Origin": "http://localhost:5000"}
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 200
PASSWORD = "correct horse battery"


@pytest.fixture
def reviewer(app):
    with app.state.db.session() as s:
        create_user(s, "Test University", "rev@test.edu", PASSWORD)
        create_user(s, "Other College", "other@other.edu", PASSWORD)
    return "rev@test.edu"


def csrf_of(client, path="/dashboard/login"):
    page = client.get(path).text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def login(client, email="rev@test.edu", password=PASSWORD):
    return client.post("/dashboard/login", data={"email": email, "password": password, "csrf": csrf_of(client)},
                       follow_redirects=False)


def exam(client, api_key, flags=("MULTIPLE_FACE",), candidate="cand-7", end=True):
    created = client.post("/api/v1/sessions", json={"apiKey": api_key, "config": {**VALID_CONFIG, "candidateId": candidate}},
                          headers=ORIGIN).json()
    auth = {**ORIGIN, "Authorization": f"Bearer {created['token']}"}
    events = [{"id": f"{created['sessionId'][:8]}-{i}", "type": kind, "createdAt": moment(10 * i),
               "payload": {"type": kind, "description": f"{kind} happened", "details": {"n": i},
                           **({"media": {"contentType": "image/jpeg"}} if kind in MEDIA_EVENTS else {})}}
              for i, kind in enumerate(flags)]
    events.append({"id": f"{created['sessionId'][:8]}-s", "type": "STARTED", "createdAt": moment(-60), "payload": {}})
    client.post(f"/api/v1/sessions/{created['sessionId']}/events", json={"events": events}, headers=auth)
    if flags and flags[0] in MEDIA_EVENTS:
        client.post(f"/api/v1/sessions/{created['sessionId']}/events/{events[0]['id']}/media", content=JPEG,
                    headers={**auth, "Content-Type": "image/jpeg"})
    if end:
        client.post(f"/api/v1/sessions/{created['sessionId']}/end", json={"reason": "manual"}, headers=auth)
    return created["sessionId"], events


def test_sign_in_sets_a_safe_cookie_and_wrong_passwords_fail(client, reviewer):
    assert client.get("/dashboard/", follow_redirects=False).status_code == 303
    assert login(client, password="wrong password!").status_code == 401
    ok = login(client)
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert client.get("/dashboard/").status_code == 200


def test_repeated_wrong_passwords_are_throttled(client, reviewer):
    statuses = [login(client, password=f"wrong password {i}").status_code for i in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    throttled = login(client)  # even the right password waits now
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1


def test_posts_without_csrf_are_refused(client, reviewer, api_key):
    sid, _ = exam(client, api_key)
    login(client)
    for path, form in [("/dashboard/logout", {}), ("/dashboard/keys", {"domains": "x.edu"}),
                       ("/dashboard/settings", {"retention_days": "5"}), (f"/dashboard/sessions/{sid}/candidate/delete", {})]:
        assert client.post(path, data=form).status_code == 403, path
        assert client.post(path, data={**form, "csrf": "forged"}).status_code == 403, path
    assert client.post("/dashboard/login", data={"email": "rev@test.edu", "password": PASSWORD}).status_code == 403


def test_timeline_evidence_score_and_exports(client, reviewer, api_key):
    sid, events = exam(client, api_key, flags=("MULTIPLE_FACE", "TAB_NOT_FOCUS"))
    login(client)
    page = client.get(f"/dashboard/sessions/{sid}").text
    assert "MULTIPLE_FACE happened" in page and f"/dashboard/sessions/{sid}/media/{events[0]['id']}" in page
    assert re.search(r'id="score">(\d+)<', page).group(1) == str(integrity({"TAB_NOT_FOCUS": 1, "MULTIPLE_FACE": 1}, 10)[0])
    assert client.get(f"/dashboard/sessions/{sid}/media/{events[0]['id']}").content == JPEG
    rows = list(csv.reader(io.StringIO(client.get(f"/dashboard/sessions/{sid}/export.csv").text)))
    assert rows[0][0] == "sessionId" and [r[4] for r in rows[1:]] == ["STARTED", "MULTIPLE_FACE", "TAB_NOT_FOCUS"]
    exported = client.get("/dashboard/assessments/export.json?assessment=exam-42").json()
    assert exported[0]["sessionId"] == sid and exported[0]["integrityScore"] == 80
    listing = client.get("/dashboard/sessions?flagged=true").text
    row = listing[listing.index(f"/dashboard/sessions/{sid}"):]
    assert re.search(r"<td>(\d+)</td>\s*</tr>", row).group(1) == "80"  # this session's score cell


def test_another_institution_gets_404_not_data(app, client, reviewer, api_key):
    sid, events = exam(client, api_key)
    login(client, "other@other.edu")
    for path in [f"/dashboard/sessions/{sid}", f"/dashboard/sessions/{sid}/media/{events[0]['id']}",
                 f"/dashboard/sessions/{sid}/export.csv", "/dashboard/assessments/export.json?assessment=exam-42",
                 f"/dashboard/sessions/{sid}/candidate/export.json"]:
        r = client.get(path)
        assert r.status_code == 404 and "cand-7" not in r.text, path
    assert sid not in client.get("/dashboard/sessions").text


def test_keys_create_revoke_rotate(client, reviewer):
    login(client)
    csrf = csrf_of(client, "/dashboard/keys")
    page = client.post("/dashboard/keys", data={"domains": "localhost:5000 exams.test.edu", "csrf": csrf}).text
    secret = re.search(r'id="new-secret">([^<]+)<', page).group(1)
    assert client.post("/api/v1/sessions", json={"apiKey": secret, "config": VALID_CONFIG}, headers=ORIGIN).status_code == 201
    assert secret not in client.get("/dashboard/keys").text  # shown once
    too_many = client.post("/dashboard/keys", data={"domains": " ".join(f"h{i}.edu" for i in range(6)), "csrf": csrf})
    assert too_many.status_code == 422
    key_id = re.search(r'/dashboard/keys/(\d+)/rotate', client.get("/dashboard/keys").text).group(1)
    rotated = client.post(f"/dashboard/keys/{key_id}/rotate", data={"csrf": csrf}).text
    new_secret = re.search(r'id="new-secret">([^<]+)<', rotated).group(1)
    refused = client.post("/api/v1/sessions", json={"apiKey": secret, "config": VALID_CONFIG}, headers=ORIGIN)
    assert refused.json()["code"] == "INVALID_API_KEY"  # the old key fails at once
    new_id = re.search(r'/dashboard/keys/(\d+)/revoke', client.get("/dashboard/keys").text).group(1)
    client.post(f"/dashboard/keys/{new_id}/revoke", data={"csrf": csrf})
    assert client.post("/api/v1/sessions", json={"apiKey": new_secret, "config": VALID_CONFIG},
                       headers=ORIGIN).json()["code"] == "INVALID_API_KEY"


def test_integrity_score_is_duration_aware_and_capped():
    assert integrity({}, 60) == (100, [])
    short, _ = integrity({"TAB_NOT_FOCUS": 3}, 60)
    long, _ = integrity({"TAB_NOT_FOCUS": 3}, 180)
    assert short == 85 and long == 95
    capped, lines = integrity({"FACE_MISMATCH": 50}, 30)
    assert capped == 0 and lines[0].penalty == 125.0


def test_purge_and_candidate_deletion_remove_rows_and_files(app, client, reviewer, api_key):
    old, _ = exam(client, api_key, candidate="old")
    keep, _ = exam(client, api_key, candidate="keep")
    gone, _ = exam(client, api_key, candidate="gone")
    media_dir = app.state.media_dir
    with app.state.db.session() as s:
        s.get(ExamSession, old).ended_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=31)
        paths = {m.session_id: media_dir / m.path for m in s.scalars(select(Media))}
    assert all(p.exists() for p in paths.values())
    assert purge(app.state.db, media_dir) == 1
    assert delete_candidate(app.state.db, media_dir, "Test University", "gone") == 1
    with app.state.db.session() as s:
        left = {x.id for x in s.scalars(select(ExamSession))}
    assert left == {keep} and paths[keep].exists() and not paths[old].exists() and not paths[gone].exists()


def set_webhook(app, url, secret="s3cret"):
    app.state.webhooks.allow = ("127.0.0.1",)  # as EYE_WEBHOOK_ALLOW_HOSTS would: the receivers are on loopback
    with app.state.db.session() as s:
        institution = s.scalar(select(Institution).where(Institution.name == "Test University"))
        institution.webhook_url, institution.webhook_secret = url, secret


def test_webhook_gets_a_correctly_signed_flag(app, client, api_key):
    receiver = Receiver([])
    set_webhook(app, receiver.url)
    sid, events = exam(client, api_key, flags=("MULTIPLE_FACE",), end=False)  # the flag alone (no SessionEnded)
    headers, body, _ = receiver.wait(1)[0]
    expected = "sha256=" + hmac.new(b"s3cret", headers["X-Eye-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Eye-Signature"] == expected
    flag = json.loads(body)
    assert flag["event"] == "Flag" and flag["flagId"] == events[0]["id"] and flag["type"] == "MULTIPLE_FACE"
    assert flag["examId"] == "exam-42" and flag["candidateId"] == "cand-7" and flag["domain"] == "localhost:5000"
    assert set(flag) == {"event", "flagId", "sessionId", "candidateId", "examId", "type", "mediaUrl", "domain",
                         "description", "createdAt"}
    assert flag["sessionId"] == sid
    assert flag["mediaUrl"].startswith(app.state.public_url + "/api/v1/evidence/")
    evidence = client.get(urlsplit(flag["mediaUrl"]).path)
    assert evidence.status_code == 200 and evidence.content == JPEG  # the signed link works without a login
    assert client.get(urlsplit(flag["mediaUrl"]).path[:-3] + "xyz").status_code == 404


def test_webhook_retries_until_the_third_attempt(app, client, api_key):
    receiver = Receiver([500, 503])
    set_webhook(app, receiver.url)
    exam(client, api_key, flags=("TAB_NOT_FOCUS",), end=False)
    got = receiver.wait(3)
    assert len(got) == 3
    assert 0.9 <= got[1][2] - got[0][2] < 2.0 and 1.9 <= got[2][2] - got[1][2] < 3.5  # 1 s, then 2 s
    time.sleep(0.3)
    with app.state.db.session() as s:
        log = [(d.attempt, d.status) for d in s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))]
    assert log == [(1, 500), (2, 503), (3, 200)]


def test_a_receiver_that_never_answers_does_not_slow_ingestion(app, client, api_key):
    receiver = Receiver([], hang=True)
    set_webhook(app, receiver.url)
    app.state.webhooks.timeout = 0.5  # the attempt gives up soon (the app's shutdown waits for it), ingestion never waits
    created = client.post("/api/v1/sessions", json={"apiKey": api_key, "config": VALID_CONFIG}, headers=ORIGIN).json()
    auth = {**ORIGIN, "Authorization": f"Bearer {created['token']}"}
    took = []
    for i in range(10):
        t0 = time.monotonic()
        r = client.post(f"/api/v1/sessions/{created['sessionId']}/events", headers=auth, json={"events": [
            {"id": f"f{i}", "type": "TAB_NOT_FOCUS", "createdAt": moment(), "payload": {"description": "x"}}]})
        took.append(time.monotonic() - t0)
        assert r.status_code == 200
    assert receiver.wait(1) and max(took) < 0.5  # the receiver hangs 30 s; ingestion does not wait for it


def test_a_dead_delivery_can_be_redelivered_from_the_dashboard(app, client, reviewer, api_key):
    receiver = Receiver([500])
    set_webhook(app, receiver.url)
    app.state.webhooks.schedule = ()  # one attempt, then dead
    sid, events = exam(client, api_key, flags=("TAB_NOT_FOCUS",), end=False)
    receiver.wait(1)
    time.sleep(0.3)
    login(client)
    page = client.get("/dashboard/settings").text
    assert 'data-state="dead"' in page
    action = re.search(r'action="(/dashboard/settings/deliveries/\d+/redeliver)"', page).group(1)
    client.post(action, data={"csrf": csrf_of(client, "/dashboard/settings")})
    assert len(receiver.wait(2)) == 2
    time.sleep(0.3)
    assert 'data-state="delivered"' in client.get("/dashboard/settings").text
    other = client.post(action.replace("/deliveries/", "/deliveries/9999"), data={"csrf": csrf_of(client, "/dashboard/settings")})
    assert other.status_code == 404


@pytest.mark.parametrize("kind", ["PROHIBITED_OBJECT", "GAZE_AWAY", "SPOOF_SUSPECTED", "ID_MISMATCH", "ID_VERIFIED"])
def test_camera_intelligence_events_in_the_timeline_with_their_picture_and_weight(client, reviewer, api_key, kind):
    from widget.events import FLAGS, LABELS

    sid, events = exam(client, api_key, flags=(kind,))
    login(client)
    page = client.get(f"/dashboard/sessions/{sid}").text
    assert LABELS[kind] in page and f"/dashboard/sessions/{sid}/media/{events[0]['id']}" in page  # words and evidence
    assert client.get(f"/dashboard/sessions/{sid}/media/{events[0]['id']}").content == JPEG
    expected = integrity({kind: 1}, 10)[0] if kind in FLAGS else 100  # ID_VERIFIED is a result, not a flag
    assert re.search(r'id="score">(\d+)<', page).group(1) == str(expected)
    assert expected < 100 or kind == "ID_VERIFIED"
