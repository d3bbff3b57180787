"""Attacks on the LTI door, each refused with a page that says why and nothing created: a
replayed id_token, a wrong or missing state, a key not in the platform's JWKS, the wrong
audience, an expired token, an unknown issuer or deployment, algorithm tricks, a proctoring
start without the claims it needs. (Open edX's platform does not check half of this on what
Eye sends it; Eye checks all of it on what it receives.)"""

from __future__ import annotations

import html
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from server.lms import claims as c
from server.store import ExamSession, LtiLogin, User
from tests.lti_platform import Platform, platform  # noqa: F401  (fixture)


def refused(answer, *words):
    assert answer.status_code == 400, answer.text
    assert "This launch was refused" in answer.text, answer.text
    for word in words:
        assert word in html.unescape(answer.text), (word, answer.text)


def nothing_created(client):
    with client.app.state.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ExamSession)) == 0
        assert s.scalar(select(func.count()).select_from(User)) == 0


def test_a_good_learner_launch_passes_and_is_spent(client, platform):
    answer = platform.launch(client)
    assert answer.status_code == 200 and "Nothing to do here" in answer.text
    nothing_created(client)


def test_a_replayed_id_token_is_refused(client, platform):
    state, nonce, _ = platform.login(client)
    token = platform.sign(platform.claims(nonce))
    assert client.post("/lti/launch", data={"id_token": token, "state": state}).status_code == 200
    client.cookies.set("eye_lti_state", state, path="/lti")  # the attacker keeps the cookie, too
    refused(client.post("/lti/launch", data={"id_token": token, "state": state}), "used already")
    # ... and replayed into a fresh login of the attacker's own, its nonce is not that login's
    client.cookies.clear()
    state2, _, _ = platform.login(client)
    refused(client.post("/lti/launch", data={"id_token": token, "state": state2}), "nonce")
    nothing_created(client)


def test_a_wrong_or_missing_state_is_refused(client, platform):
    state, nonce, _ = platform.login(client)
    token = platform.sign(platform.claims(nonce))
    refused(client.post("/lti/launch", data={"id_token": token, "state": "made-up"}), "state")
    state, nonce, _ = platform.login(client)
    client.cookies.clear()  # another browser: it never started this login
    refused(client.post("/lti/launch", data={"id_token": platform.sign(platform.claims(nonce)), "state": state}),
            "browser that started the login")
    refused(client.post("/lti/launch", data={"id_token": token}), "state")
    nothing_created(client)


def test_a_token_signed_by_a_key_not_in_the_platforms_jwks_is_refused(client, platform):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused(_signed_by(client, platform, stranger, "other"),
            "not among the platform's keys")
    refused(_signed_by(client, platform, stranger, platform.kid), "signature")  # the platform's kid, another key
    nothing_created(client)


def _signed_by(client, platform, key, kid):
    state, nonce, _ = platform.login(client)
    return client.post("/lti/launch", data={"id_token": platform.sign(platform.claims(nonce), key=key, kid=kid),
                                            "state": state})


def test_algorithm_tricks_are_refused(client, platform):
    state, nonce, _ = platform.login(client)
    unsigned = jwt.encode(platform.claims(nonce), None, algorithm="none", headers={"kid": platform.kid})
    refused(client.post("/lti/launch", data={"id_token": unsigned, "state": state}), "RS256")
    state, nonce, _ = platform.login(client)
    # HS256 keyed with the platform's public JWK text: the classic confusion
    forged = jwt.encode(platform.claims(nonce), "a-shared-secret-anyone-could-guess-0123456789", algorithm="HS256",
                        headers={"kid": platform.kid})
    refused(client.post("/lti/launch", data={"id_token": forged, "state": state}), "RS256")
    refused(client.post("/lti/launch", data={"id_token": "not a jwt", "state": platform.login(client)[0]}), "not a JWT")
    nothing_created(client)


@pytest.mark.parametrize("change, words", [
    (lambda t: t.update(aud="someone-else"), ("aud",)),
    (lambda t: t.update(aud=["someone-else", "eye-tool"]), ("azp",)),
    (lambda t: t.update(iss="https://evil.example"), ("iss",)),
    (lambda t: t.update(exp=int(time.time()) - 600, iat=int(time.time()) - 900), ("expired",)),
    (lambda t: t.update(iat=int(time.time()) + 3600, exp=int(time.time()) + 4000), ("future",)),
    (lambda t: t.pop("nonce"), ("nonce",)),
    (lambda t: t.update(nonce="another"), ("nonce",)),
    (lambda t: t.update({c.DEPLOYMENT_ID: "99"}), ("deployment", "not registered")),
    (lambda t: t.update({c.VERSION: "1.1"}), ("1.3.0",)),
    (lambda t: t.update({c.MESSAGE_TYPE: "LtiDeepLinkingRequest"}), ("message type",)),
    (lambda t: t.update({c.MESSAGE_TYPE: c.START_PROCTORING, c.START_ASSESSMENT_URL: "https://lms.example.edu/start",
                         c.ATTEMPT_NUMBER: 1}), ("session_data",)),
    (lambda t: t.update({c.MESSAGE_TYPE: c.START_PROCTORING, c.SESSION_DATA: "abc", c.ATTEMPT_NUMBER: 1}),
     ("start_assessment_url",)),
    (lambda t: t.pop("sub"), ("sub",)),
], ids=["aud", "azp", "iss", "expired", "future-iat", "no-nonce", "wrong-nonce", "deployment", "version",
        "message-type", "no-session-data", "no-start-url", "no-sub"])
def test_a_token_that_fails_a_check_is_refused_saying_which(client, platform, change, words):
    refused(platform.launch(client, tweak=change), *words)
    nothing_created(client)


def test_an_unknown_issuer_cannot_even_start_a_login(client, platform):
    _, _, answer = platform.login(client, iss="https://unknown-lms.example", client_id=None)
    refused(answer, "no LMS registered")
    _, _, answer = platform.login(client, login_hint=None)
    refused(answer, "login_hint")
    with client.app.state.db.session() as s:
        assert s.scalar(select(func.count()).select_from(LtiLogin)) == 0


def test_a_removed_platforms_launch_is_refused(client, platform):
    from server.lms.platforms import platforms, remove_platform

    state, nonce, _ = platform.login(client)
    with client.app.state.db.session() as s:
        remove_platform(s, platforms(s)[0].id)
    refused(client.post("/lti/launch", data={"id_token": platform.sign(platform.claims(nonce)), "state": state}),
            "did not start this login")


def test_an_end_assessment_for_another_users_attempt_is_refused(client, platform):
    _, data = platform.open_attempt(client, sub="learner-42")
    # mallory's own id_token (the platform signs her sub) naming learner-42's resource link and attempt
    refused(platform.end_assessment(client, sub="mallory", attempt=1), "no such attempt")
    with client.app.state.db.session() as s:
        session = s.get(ExamSession, data["sessionId"])
        assert session.ended_at is None  # learner-42's attempt goes on


def test_a_learner_cannot_take_the_instructor_path(client, platform):
    refused(platform.launch(client, roles=(), sub="learner-42"), "roles")  # no roles at all
    for roles in ((c.LEARNER,), (c.LEARNER, "http://purl.imsglobal.org/vocab/lis/v2/membership#InstructorX",
                                 "urn:evil:Instructor", "Learner")):
        answer = platform.launch(client, roles=roles, sub="learner-42", follow=False)
        assert answer.status_code == 200 and "Nothing to do here" in answer.text, (roles, answer.text)
        assert "eye_reviewer" not in answer.headers.get("set-cookie", "")
        assert client.get("/dashboard/", follow_redirects=False).status_code in (302, 303)
    nothing_created(client)


def test_an_attempt_is_only_open_in_the_browser_its_launch_came_to(client, platform):
    path, data = platform.open_attempt(client)
    origin = {"Origin": client.app.state.public_url}
    thief = client.__class__(client.app, base_url=str(client.base_url))
    assert thief.get(path).status_code == 403
    assert thief.post(f"{path}/assessment", headers=origin).status_code == 409
    assert thief.post(f"{path}/session", headers=origin, json={"sessionId": data["sessionId"]}).status_code == 409
    thief.cookies.set("eye_lti_attempt", "guessed", path=path)
    assert thief.get(path).status_code == 403


def test_the_attempt_calls_come_from_eyes_own_page_only(client, platform):
    path, data = platform.open_attempt(client)
    for headers in ({"Origin": "https://evil.example"}, {}):
        assert client.post(f"{path}/assessment", headers=headers).status_code == 403
        assert client.post(f"{path}/session", headers=headers, json={"sessionId": data["sessionId"]}).status_code == 403


def test_an_attempt_cannot_be_tied_to_someone_elses_session(client, platform):
    _, other = platform.open_attempt(client, sub="learner-7")
    client.cookies.clear()
    path, _ = platform.open_attempt(client, sub="learner-42")
    origin = {"Origin": client.app.state.public_url}
    answer = client.post(f"{path}/session", headers=origin, json={"sessionId": other["sessionId"]})
    assert answer.status_code == 409 and "sessionId" in answer.json()["detail"]


def test_an_lms_user_cannot_take_over_the_eye_account_with_their_email(client, platform):
    from server.access.users import create_user

    with client.app.state.db.session() as s:
        create_user(s, "Test University", "boss@example.edu", "correct horse battery", role="admin")
    answer = platform.launch(client, roles=(c.INSTRUCTOR,), sub="teacher-7", email="Boss@example.edu", follow=False)
    assert answer.status_code == 303
    page = client.get("/dashboard/")
    assert "boss@example.edu (admin)" not in page.text and "lms-1-teacher-7@lms.invalid (reviewer)" in page.text
    with client.app.state.db.session() as s:
        boss = s.scalar(select(User).where(User.email == "boss@example.edu"))
        assert boss.role == "admin" and boss.password_hash != "!"
