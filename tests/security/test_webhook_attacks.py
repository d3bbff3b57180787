"""Webhooks that could be turned against the host: private targets, DNS that changes after the
check, redirects, an oracle in the delivery log, unsigned sends, deliveries for deleted data,
and a forged Host header shaping the evidence link."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.store import Institution, WebhookDelivery
from server.webhooks import WebhookTargetError, check_target
from tests.receiver import Receiver

from .conftest import csrf_of, flag, login, start


def deliveries(app):
    time.sleep(0.3)
    with app.state.db.session() as s:
        return [(d.attempt, d.status, d.error) for d in s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))]


def loopback_app(make_app, url, secret="whsec_x", delays=None):
    """An app whose operator allowed loopback receivers, with one key and this webhook set."""
    from server.access.keys import create_key

    app = make_app(webhook_allow=("127.0.0.1",))
    if delays is not None:
        app.state.webhooks.schedule = delays
    with app.state.db.session() as s:
        key = create_key(s, "Test University", ["localhost:5000"])
        institution = s.scalar(select(Institution))
        institution.webhook_url, institution.webhook_secret = url, secret
    return app, key


def save_webhook(client, url):
    return client.post("/dashboard/settings", data={"webhook_url": url, "retention_days": "30",
                                                    "csrf": csrf_of(client, "/dashboard/settings")}, follow_redirects=False)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hook", "http://[::1]/hook", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/",
    "http://192.168.1.1/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://localhost:8000/",
    "http://100.64.0.1/", "http://224.0.0.1/", "http://[fe80::1]/", "http://[fc00::1]/", "ftp://example.com/",
    "file:///etc/passwd", "http://user:pass@127.0.0.1/", "gopher://127.0.0.1:6379/",
])
def test_private_and_odd_targets_are_refused_when_saved(client, reviewer, url):
    login(client)
    r = save_webhook(client, url)
    assert r.status_code == 422 and 'id="errors"' in r.text
    with client.app.state.db.session() as s:
        assert s.scalar(select(Institution.webhook_url)) is None


def test_the_operator_may_allow_an_on_premise_receiver():
    assert check_target("http://127.0.0.1:9/x", ["127.0.0.1"])[2] == ["127.0.0.1"]
    assert check_target("http://10.1.2.3/x", ["10.0.0.0/8"])[2] == ["10.1.2.3"]
    with pytest.raises(WebhookTargetError):
        check_target("http://10.1.2.3/x", ["192.168.0.0/16"])


def test_a_saved_webhook_gets_a_secret_shown_once_and_deliveries_are_signed(make_app):
    receiver = Receiver()
    app = make_app(webhook_allow=("127.0.0.1",))
    from server.access.keys import create_key
    from server.access.users import create_user

    with app.state.db.session() as s:
        create_user(s, "Test University", "admin@test.edu", "correct horse battery")
        key = create_key(s, "Test University", ["localhost:5000"])
    with TestClient(app, base_url="http://eye.test") as c:
        login(c, "admin@test.edu")
        page = save_webhook(c, receiver.url).text
        secret = re.search(r"<code>(whsec_[^<]+)</code>", page).group(1)
        assert secret not in c.get("/dashboard/settings").text  # shown once
        created = start(c, key).json()
        event_id = flag(c, created, kind="TAB_NOT_FOCUS", media=False)
        headers, body, _ = receiver.wait(1)[0]
        expected = "sha256=" + hmac.new(secret.encode(), headers["X-Eye-Timestamp"].encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        assert headers["X-Eye-Signature"] == expected and headers["X-Eye-Delivery"] == event_id
        rotated = c.post("/dashboard/settings/webhook-secret", data={"csrf": csrf_of(c, "/dashboard/settings")}).text
        assert re.search(r"<code>(whsec_[^<]+)</code>", rotated).group(1) != secret


def test_nothing_is_sent_unsigned(make_app):
    receiver = Receiver()
    app, key = loopback_app(make_app, receiver.url, None)
    with TestClient(app, base_url="http://eye.test") as c:
        flag(c, start(c, key).json(), kind="TAB_NOT_FOCUS", media=False)
        time.sleep(0.5)
    assert receiver.got == []


def test_delivery_rechecks_the_address_and_the_log_is_no_oracle(client, api_key):
    """A URL that became private after it was saved (DNS rebinding, a row edited) is not contacted."""
    receiver = Receiver()
    with client.app.state.db.session() as s:
        institution = s.scalar(select(Institution))
        institution.webhook_url, institution.webhook_secret = receiver.url, "whsec_x"
    client.app.state.webhooks.schedule = (0.05, 0.05)
    flag(client, start(client, api_key).json(), kind="TAB_NOT_FOCUS", media=False)
    time.sleep(0.5)
    assert receiver.got == []
    assert [error for _, _, error in deliveries(client.app)] == ["blocked address"] * 3


def test_closed_ports_and_redirects_show_only_an_outcome_class(make_app):
    target = Receiver()
    redirector = Receiver(statuses=[302, 302, 302], location=target.url)
    app, key = loopback_app(make_app, redirector.url, "whsec_x", delays=(0.05, 0.05))
    with TestClient(app, base_url="http://eye.test") as c:
        flag(c, start(c, key).json(), kind="TAB_NOT_FOCUS", media=False)
        assert len(redirector.wait(3)) == 3
        assert target.got == []  # the redirect was not followed
        assert [e for _, _, e in deliveries(app)] == ["redirect (not followed)"] * 3
        with app.state.db.session() as s:
            s.scalar(select(Institution)).webhook_url = "http://127.0.0.1:9/closed"
            s.execute(WebhookDelivery.__table__.delete())
        flag(c, start(c, key, candidateId="c2").json(), kind="TAB_NOT_FOCUS", media=False)
        time.sleep(1.0)
        log = deliveries(app)
        assert {e for _, _, e in log} == {"no connection"}
        assert not any("refused" in (e or "").lower() or "errno" in (e or "").lower() for _, _, e in log)


def test_retries_stop_when_the_candidate_is_deleted(make_app):
    receiver = Receiver(statuses=[500, 500, 500])
    from server.custody.retention import delete_candidate

    app, key = loopback_app(make_app, receiver.url, "whsec_x", delays=(1.0, 1.0))
    with TestClient(app, base_url="http://eye.test") as c:
        flag(c, start(c, key).json(), kind="TAB_NOT_FOCUS", media=False)
        assert len(receiver.wait(1)) == 1
        delete_candidate(app.state.db, app.state.media_dir, "Test University", "cand-7")
        time.sleep(2.5)
    assert len(receiver.got) == 1  # no retry for data that no longer exists
    assert deliveries(app) == []


def test_a_forged_host_never_reaches_the_evidence_link(make_app):
    receiver = Receiver()
    app, key = loopback_app(make_app, receiver.url, "whsec_x")
    with TestClient(app, base_url="http://evil.attacker.example") as c:
        flag(c, start(c, key).json())
        _, body, _ = receiver.wait(1)[0]
    media_url = json.loads(body)["mediaUrl"]
    assert media_url.startswith("http://127.0.0.1:8000/api/v1/evidence/") and "evil" not in media_url
