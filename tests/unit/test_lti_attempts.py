"""An LMS's proctored attempt through Eye (LTI Proctoring Services), in-process against the real
app: LtiStartProctoring → Eye's proctoring page (widget config from the claims) → the widget's
session ties to the attempt → LtiStartAssessment signed by Eye → LtiEndAssessment ends it; and an
instructor's launch signing in to the dashboard."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import select

from server.lms import claims as c
from server.store import AuditEntry, ExamSession, LtiAttempt, LtiPlatform, User
from tests.lti_platform import ADMINISTRATOR, INSTRUCTOR, page_data, platform  # noqa: F401  (fixture)


def test_a_proctored_attempt_from_start_to_end(client, platform):
    path, data = platform.open_attempt(client, attempt=1, **{c.PROCTORING_SETTINGS: {"data": '{"features": {"idVerification": true, "screenMonitoring": false}}'}})
    config = data["config"]
    assert (config["assessmentId"], config["assessmentTitle"], config["candidateId"]) == ("exam-link-1", "Final exam", "learner-42")
    assert (config["candidateFirstName"], config["candidateLastName"], config["candidateEmail"]) == ("Ada", "Lovelace", "ada@example.edu")
    assert config["institutionName"] == "Test University"
    # the LMS's settings choose features, but the entire screen is always shared on an LTI attempt
    assert config["features"]["idVerification"] is True and config["features"]["screenMonitoring"] is True
    with client.app.state.db.session() as s:
        session = s.get(ExamSession, data["sessionId"])
        assert session.attempt_number == 1 and session.ended_at is None
    origin = {"Origin": client.app.state.public_url}
    started = client.post(f"{path}/assessment", headers=origin)
    assert started.status_code == 200, started.text
    assert started.json()["url"] == f"{platform.server.origin}/start_assessment"
    keys = jwt.PyJWKSet.from_dict(client.get("/lti/jwks.json").json())
    token = started.json()["jwt"]
    key = next(k.key for k in keys.keys if k.key_id == jwt.get_unverified_header(token)["kid"])
    message = jwt.decode(token, key, algorithms=["RS256"], audience=platform.issuer)
    assert message["iss"] == platform.client_id and message[c.MESSAGE_TYPE] == c.START_ASSESSMENT
    assert message[c.SESSION_DATA] == "platform-csrf-token" and message[c.ATTEMPT_NUMBER] == 1
    assert message[c.RESOURCE_LINK] == {"id": "exam-link-1"} and message[c.END_ASSESSMENT_RETURN] is True
    assert message[c.DEPLOYMENT_ID] == platform.deployment_id and message[c.VERSION] == "1.3.0"
    assert c.VERIFIED_USER not in message  # no photo-ID check matched
    ended = platform.end_assessment(client, attempt=1)
    assert ended.status_code == 200 and "Attempt finished" in ended.text, ended.text
    with client.app.state.db.session() as s:
        session = s.get(ExamSession, data["sessionId"])
        assert session.ended_at is not None and session.end_reason == "assessment_ended"
        audited = s.scalar(select(AuditEntry).where(AuditEntry.action == "session ended"))
        assert "LtiEndAssessment" in audited.detail and audited.actor == f"LMS {platform.issuer}"
    # the attempt is over: its page and a relaunch say so, a new attempt is a new session
    assert client.get(path).status_code == 403
    again = platform.start_proctoring(client, attempt=1)
    assert again.status_code == 400 and "is over" in again.text
    _, second = platform.open_attempt(client, attempt=2)
    assert second["sessionId"] != data["sessionId"]


def test_a_relaunch_of_a_live_attempt_resumes_its_session(client, platform):
    path, data = platform.open_attempt(client)
    assert data["resume"] is None  # nothing to resume the first time
    answer = platform.start_proctoring(client)
    assert answer.headers["location"] == path
    again = page_data(client.get(path))
    assert again["resume"]["value"]["sessionId"] == data["sessionId"]
    assert again["resume"]["key"] == "eye:session:exam-link-1:learner-42"
    state = client.get(f"/api/v1/sessions/{data['sessionId']}", headers={
        "Authorization": "Bearer " + again["resume"]["value"]["token"], "Origin": client.app.state.public_url})
    assert state.status_code == 200 and state.json()["endedAt"] is None
    with client.app.state.db.session() as s:
        assert len(s.scalars(select(LtiAttempt)).all()) == 1


def test_without_names_or_email_the_config_is_still_valid(client, platform):
    _, data = platform.open_attempt(client, given_name=None, family_name=None, email=None)
    config = data["config"]
    assert config["candidateFirstName"] and config["candidateLastName"].startswith("learner ")
    assert config["candidateEmail"].endswith("@lms.invalid")


def test_the_page_key_is_made_again_when_revoked(client, platform):
    from server.access.keys import find_key, revoke_key

    _, first = platform.open_attempt(client)
    with client.app.state.db.session() as s:
        revoke_key(find_key(s, first["config"]["apiKey"]))
    _, second = platform.open_attempt(client, attempt=2)
    assert second["config"]["apiKey"] != first["config"]["apiKey"]


@pytest.mark.parametrize("roles, role", [((INSTRUCTOR,), "reviewer"), ((ADMINISTRATOR, INSTRUCTOR), "admin")])
def test_an_instructor_launch_signs_in_to_the_dashboard(client, platform, roles, role):
    answer = platform.launch(client, roles=roles, sub="teacher-7", email="grace@example.edu", follow=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/"
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "grace@example.edu" in page.text
    with client.app.state.db.session() as s:
        assert "from the LMS" in s.scalar(select(AuditEntry).where(AuditEntry.action == "sign-in")).detail
    with client.app.state.db.session() as s:
        user = s.scalar(select(User).where(User.email == "grace@example.edu"))
        assert user.role == role and user.institution.name == "Test University"
    # the same LMS user again is the same Eye user
    client.cookies.clear()
    platform.launch(client, roles=roles, sub="teacher-7", email="grace@example.edu")
    with client.app.state.db.session() as s:
        assert len(s.scalars(select(User)).all()) == 1


def test_the_role_mapping_is_the_registrations(client, platform):
    with client.app.state.db.session() as s:
        s.scalar(select(LtiPlatform)).instructor_role = "none"
    answer = platform.launch(client, roles=(INSTRUCTOR,), sub="teacher-7")
    assert "Nothing to do here" in answer.text
    assert client.get("/dashboard/", follow_redirects=False).status_code in (302, 303)


def test_closing_the_proctoring_window_mid_attempt_is_recorded(client, platform):
    path, data = platform.open_attempt(client)
    assert client.post(f"{path}/closed", headers={"Origin": client.app.state.public_url}).status_code == 204
    with client.app.state.db.session() as s:
        attempt = s.scalar(select(LtiAttempt))
        assert attempt.window_closed_at is not None and attempt.ended_at is None
    page = _reviewer_page(client, platform, data["sessionId"])
    assert "Proctoring window closed" in page


def test_the_title_is_the_links_else_the_courses_and_eyes_own_page_watches_no_focus(client, platform):
    _, data = platform.open_attempt(client, **{c.RESOURCE_LINK: {"id": "exam-link-1"},
                                               c.CONTEXT: {"id": "course-1", "title": "Proctoring 101"}})
    assert data["config"]["assessmentTitle"] == "Proctoring 101"
    # the candidate works in the LMS's window: focus, fullscreen and clipboard of Eye's page would only flag that
    assert {k: data["config"]["features"][k] for k in ("tabMonitoring", "fullscreen", "clipboard")} == {
        "tabMonitoring": False, "fullscreen": False, "clipboard": False}


def _reviewer_page(client, platform, session_id: str) -> str:
    """The session's page in the dashboard, as an instructor from the LMS sees it."""
    client.cookies.clear()
    platform.launch(client, roles=(INSTRUCTOR,), sub="teacher-7", email="grace@example.edu")
    answer = client.get(f"/dashboard/sessions/{session_id}")
    assert answer.status_code == 200, answer.text
    return answer.text


def test_the_lms_page_shows_admins_the_tool_urls_and_their_platforms(client, platform):
    platform.launch(client, roles=(INSTRUCTOR,), sub="teacher-7")
    assert client.get("/dashboard/lms").status_code == 403  # a reviewer manages nothing
    client.cookies.clear()
    platform.launch(client, roles=(ADMINISTRATOR,), sub="admin-1")
    page = client.get("/dashboard/lms")
    assert page.status_code == 200
    public = client.app.state.public_url.rstrip("/")
    for url in ("/lti/login", "/lti/launch", "/lti/jwks.json"):
        assert f"<code>{public}{url}</code>" in page.text
    assert platform.issuer in page.text and platform.client_id in page.text


def test_the_proctoring_page_speaks_the_candidates_language(client, platform):
    answer = platform.start_proctoring(client)
    path = answer.headers["location"]
    spanish = client.get(path, headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert '<html lang="es" dir="ltr">' in spanish.text and spanish.headers["content-language"] == "es"
    assert "Mantén esta ventana abierta" in spanish.text and ">Abrir la evaluación</button>" in spanish.text
    assert page_data(spanish)["words"]["ready"].startswith("La supervisión está activa.")
    arabic = client.get(path, headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in arabic.text and "فتح التقييم" in arabic.text
    assert '<html lang="en"' in client.get(path).text
