"""A proctored LMS attempt (1EdTech LTI Proctoring Services 1.0): ``LtiStartProctoring`` opens
the attempt (or finds it again on a relaunch), Eye's proctoring page watches it with the widget
(config built from the claims), ``LtiStartAssessment`` signed by Eye hands the candidate back to
the LMS's assessment, and ``LtiEndAssessment`` ends the Eye session. One attempt is one Eye
session; a new attempt number is a new session."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from widget import config as widget_config
from widget.events import ID_VERIFIED
from widget.session import saved_session_key

from ..access import keys
from ..access.tokens import Tokens, expires_at
from ..outcomes import review
from ..store import ApiKey, Event, ExamSession, LtiAttempt, LtiPlatform
from ..store.models import aware, iso, utcnow
from . import claims as c
from . import signing
from .launches import Launch, LaunchRefused
from .platforms import acceptable_url

#: The end reason of a session the LMS ended with ``LtiEndAssessment``.
ASSESSMENT_ENDED = "assessment_ended"
#: What an LTI attempt watches unless the platform's ``proctoring_settings`` say otherwise. The
#: entire screen is always shared: the assessment is the LMS's page, whose focus and clipboard
#: Eye's page cannot see. Focus, fullscreen and clipboard of Eye's own page are off: the
#: candidate is meant to work in the other window, so they would only raise false flags.
DEFAULT_FEATURES: dict[str, bool] = {"aiProctoring": True, "facialRecognition": True, "screenMonitoring": True,
                                     "tabMonitoring": False, "fullscreen": False, "clipboard": False}
#: A launch token for the proctoring page is good for this long (the widget uses it at once).
PAGE_TOKEN_SECONDS = 3600


class AttemptError(ValueError):
    """The proctoring page or its calls refused; the message says why (shown to the candidate)."""


def browser_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _text(claims: dict[str, Any], name: str, limit: int = 255) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _start_url(value: Any) -> str:
    if not acceptable_url(value):
        raise LaunchRefused(f"start_assessment_url: expected an https:// URL, received {str(value)[:200]!r}")
    return str(value)


def _attempt_number(claims: dict[str, Any]) -> int | None:
    """The launch's ``attempt_number`` as a positive whole number (a digit string is accepted), else None."""
    number = claims[c.ATTEMPT_NUMBER]
    if isinstance(number, str) and number.isdigit():
        number = int(number)
    return number if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 2**31 else None


def _features(claims: dict[str, Any]) -> dict[str, bool]:
    """``proctoring_settings.data`` may be JSON ``{"features": {name: bool}}`` (Eye's feature
    names); anything else leaves the defaults. Screen sharing stays on whatever it says."""
    features = dict(DEFAULT_FEATURES)
    settings = claims.get(c.PROCTORING_SETTINGS)
    data = settings.get("data") if isinstance(settings, dict) else None
    try:
        asked = json.loads(data).get("features") if isinstance(data, str) else None
    except (ValueError, AttributeError):
        asked = None
    if isinstance(asked, dict):
        features.update({k: v for k, v in asked.items() if k in widget_config.FEATURES and isinstance(v, bool)})
    features["screenMonitoring"] = True
    return features


def open_attempt(db: Session, launch: Launch) -> tuple[LtiAttempt, str]:
    """The attempt an ``LtiStartProctoring`` launch is for, made or found again (a relaunch moves
    it to this browser); returns it and the secret for this browser's cookie. An ended attempt
    is refused: the LMS starts a new attempt number for a new try."""
    claims, platform = launch.claims, launch.platform
    link = claims[c.RESOURCE_LINK]
    link_id = link.get("id") if isinstance(link, dict) else None
    if not isinstance(link_id, str) or not link_id.strip() or len(link_id) > 255:
        raise LaunchRefused("resource_link: expected an object with an id of 1 to 255 characters")
    number = _attempt_number(claims)
    if number is None:
        raise LaunchRefused("attempt_number: expected a positive whole number, received "
                            f"{str(claims[c.ATTEMPT_NUMBER])[:40]!r}")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.strip() or len(subject) > 255:
        raise LaunchRefused("sub: expected the user's id at the platform (1 to 255 characters)")
    session_data = claims[c.SESSION_DATA]
    if not isinstance(session_data, str) or len(session_data) > 4000:
        raise LaunchRefused("session_data: expected a string of at most 4000 characters")
    start_url = _start_url(claims[c.START_ASSESSMENT_URL])
    secret = secrets.token_urlsafe(32)
    attempt = db.scalar(select(LtiAttempt).where(
        LtiAttempt.platform_id == platform.id, LtiAttempt.subject == subject, LtiAttempt.resource_link_id == link_id,
        LtiAttempt.attempt_number == number))
    if attempt is not None and attempt.ended_at is not None:
        raise LaunchRefused(f"attempt {number} of this assessment is over (the LMS ended it); a new try is a new "
                            "attempt, started from the course")
    given, family = _text(claims, "given_name"), _text(claims, "family_name")
    if not given and not family and _text(claims, "name"):  # only a full name (Open edX sends this)
        given, _, family = _text(claims, "name").partition(" ")
    person = {"given_name": given, "family_name": family, "email": _text(claims, "email", 320)}
    if attempt is None:
        attempt = LtiAttempt(id=str(uuid.uuid4()), platform_id=platform.id, subject=subject, resource_link_id=link_id,
                             attempt_number=number, features=_features(claims))
        db.add(attempt)
    context = claims.get(c.CONTEXT)
    attempt.title = ((_text(link, "title", 500) if isinstance(link, dict) else "")
                     or (_text(context, "title", 500) if isinstance(context, dict) else ""))
    attempt.person, attempt.session_data, attempt.start_assessment_url = person, session_data, start_url
    attempt.browser_hash = browser_hash(secret)
    db.flush()
    return attempt, secret


def held(db: Session, attempt_id: str, secret: str | None) -> LtiAttempt:
    """The attempt, if this browser holds it (its cookie's secret); AttemptError otherwise."""
    attempt = db.get(LtiAttempt, attempt_id)
    if attempt is None or not secret or not hmac.compare_digest(attempt.browser_hash.encode(),
                                                                browser_hash(secret).encode()):
        raise AttemptError("This proctored attempt is not open in this browser: start it again from your course.")
    if attempt.ended_at is not None:
        raise AttemptError("This attempt is over: your LMS ended it.")
    return attempt


def _widget_key(db: Session, platform: LtiPlatform, host: str) -> ApiKey:
    """The publishable key of Eye's own proctoring page for this platform's attempts: launch
    tokens required, valid on Eye's own host only; made again if revoked or the host changed."""
    key = keys.find_key(db, platform.widget_key) if platform.widget_key else None
    if key is None or [d.domain for d in key.domains] != [host]:
        if key is not None:
            keys.revoke_key(key)
        secret = keys.create_key(db, platform.institution.name, [host], create_institution=False)
        keys.enable_launch_tokens(db, secret)
        platform.widget_key = secret
        key = cast(ApiKey, keys.find_key(db, secret))  # just made
    return key


def _names(attempt: LtiAttempt) -> tuple[str, str]:
    """The candidate's first and last name: as the LMS sent them, else placeholders a reviewer
    recognises (the LMS shares no names when its privacy settings say so)."""
    first = attempt.person.get("given_name") or "LMS"
    last = attempt.person.get("family_name") or ("learner " + attempt.subject[:40])
    return first, last


def page_config(db: Session, attempt: LtiAttempt, public_url: str, max_seconds: float) -> dict[str, Any]:
    """The widget's ``init`` config for the attempt's proctoring page (with a launch token for it)."""
    platform = attempt.platform
    host = keys.normalize_domain(urlsplit(public_url).netloc)
    key = _widget_key(db, platform, host)
    duration = int(min(platform.exam_seconds, max_seconds))
    launch_secret = cast(str, key.launch_secret)  # _widget_key enabled launch tokens
    first, last = _names(attempt)
    email = attempt.person.get("email") or ""
    if not widget_config.EMAIL.match(email):
        email = f"{hashlib.sha256(attempt.subject.encode()).hexdigest()[:16]}@lms.invalid"
    return {
        "apiKey": platform.widget_key, "assessmentId": attempt.resource_link_id,
        "assessmentTitle": attempt.title or "Proctored assessment", "candidateId": attempt.subject,
        "candidateEmail": email, "candidateFirstName": first, "candidateLastName": last,
        "institutionName": platform.institution.name, "examDuration": duration, "features": attempt.features,
        "launchToken": keys.sign_launch_token(launch_secret, attempt.resource_link_id, attempt.subject,
                                              int(time.time()) + PAGE_TOKEN_SECONDS, max_duration=duration),
    }


def live_session(db: Session, attempt: LtiAttempt) -> ExamSession | None:
    """The attempt's Eye session while it is live (a relaunch resumes it), else None."""
    session = db.get(ExamSession, attempt.session_id) if attempt.session_id else None
    return session if session is not None and session.ended_at is None else None


def link_session(db: Session, attempt: LtiAttempt, session_id: str) -> ExamSession:
    """The widget on the attempt's page started ``session_id``: it becomes the attempt's session
    if it is this candidate's, of this assessment, started through the attempt page's key, live,
    and the attempt has no other live one."""
    session = db.get(ExamSession, session_id)
    key = keys.find_key(db, attempt.platform.widget_key) if attempt.platform.widget_key else None
    if (session is None or key is None or session.api_key_id != key.id or session.candidate_id != attempt.subject
            or session.assessment_id != attempt.resource_link_id or session.ended_at is not None):
        raise AttemptError("sessionId: not a live Eye session of this attempt")
    current = live_session(db, attempt)
    if current is not None and current.id != session.id:
        raise AttemptError("sessionId: this attempt is watched by another live session")
    attempt.session_id, session.attempt_number = session.id, attempt.attempt_number
    return session


def _verified(db: Session, session: ExamSession) -> bool:
    """Did the session's photo-ID check match?"""
    for event in db.scalars(select(Event).where(Event.session_id == session.id, Event.type == ID_VERIFIED)):
        if isinstance(event.payload, dict) and event.payload.get("match") is True:
            return True
    return False


def start_assessment(db: Session, attempt: LtiAttempt) -> tuple[str, str]:
    """``LtiStartAssessment`` for the attempt, signed by Eye: (the platform's URL to post it to,
    the JWT). Only once the attempt's session is live."""
    session = live_session(db, attempt)
    if session is None:
        raise AttemptError("Proctoring has not started for this attempt yet.")
    platform = attempt.platform
    message: dict[str, Any] = {
        "iss": platform.client_id, "aud": platform.issuer, "sub": attempt.subject, "nonce": secrets.token_urlsafe(16),
        c.DEPLOYMENT_ID: platform.deployment_id, c.MESSAGE_TYPE: c.START_ASSESSMENT, c.VERSION: "1.3.0",
        c.SESSION_DATA: attempt.session_data, c.RESOURCE_LINK: {"id": attempt.resource_link_id},
        c.ATTEMPT_NUMBER: attempt.attempt_number, c.END_ASSESSMENT_RETURN: True,
    }
    if _verified(db, session):
        first, last = _names(attempt)
        message[c.VERIFIED_USER] = {"given_name": first, "family_name": last}
    attempt.assessment_started_at = attempt.assessment_started_at or utcnow()
    return attempt.start_assessment_url, signing.sign(db, message)


def of_session(db: Session, session_id: str) -> LtiAttempt | None:
    """The LMS attempt a session watched (the dashboard shows it), or None."""
    return db.scalar(select(LtiAttempt).where(LtiAttempt.session_id == session_id))


def window_closed(db: Session, attempt: LtiAttempt) -> None:
    """The candidate closed (or left) the proctoring window while the attempt was open."""
    if attempt.ended_at is None:
        attempt.window_closed_at = utcnow()


def end_attempt(db: Session, launch: Launch) -> LtiAttempt:
    """``LtiEndAssessment``: the attempt of this user (the token's ``sub``), resource link and
    attempt number ends, and its Eye session with reason ``assessment_ended``. Another user's
    attempt is never found: the lookup is by the signed ``sub``."""
    claims = launch.claims
    link = claims[c.RESOURCE_LINK]
    number = _attempt_number(claims)
    attempt = db.scalar(select(LtiAttempt).where(
        LtiAttempt.platform_id == launch.platform.id, LtiAttempt.subject == claims["sub"],
        LtiAttempt.resource_link_id == (link.get("id") if isinstance(link, dict) else None),
        LtiAttempt.attempt_number == number)) if number is not None else None
    if attempt is None:
        raise LaunchRefused("Eye proctored no such attempt for you (resource link, attempt number and user must be "
                            "those of an attempt started with LtiStartProctoring)")
    now = utcnow()
    attempt.ended_at = attempt.ended_at or now
    session = live_session(db, attempt)
    if session is not None:
        session.ended_at, session.end_reason = now, ASSESSMENT_ENDED
        review.announce_end(db, session)
        review.audit(db, session.institution_id, None, "session ended", f"session {session.id}",
                     f"by the LMS (LtiEndAssessment, attempt {attempt.attempt_number})", actor=f"LMS {launch.platform.issuer}")
    return attempt


def resume_record(db: Session, attempt: LtiAttempt, tokens: Tokens) -> dict[str, Any] | None:
    """For a relaunch while the attempt's session is live: the ``sessionStorage`` entry with which
    the widget resumes a session (``widget.session.saved_session_key``), with a fresh token."""
    session = live_session(db, attempt)
    if session is None:
        return None
    started = aware(session.started_at).timestamp()
    token = tokens.issue(session.id, expires_at(started, session.exam_duration))
    return {"key": saved_session_key(session.assessment_id, session.candidate_id),
            "value": {"sessionId": session.id, "token": token, "startedAt": iso(session.started_at),
                      "localStartedAt": started}}
