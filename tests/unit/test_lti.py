"""LTI 1.3, tool side: platforms registered from the CLI, Eye's public keys and their rotation,
messages Eye signs checked against what it publishes, a learner's launch."""

from __future__ import annotations

import jwt
import pytest

from server.cli import main
from server.lms import signing
from server.lms.platforms import PlatformError, add_platform
from tests.lti_platform import Platform


def test_the_cli_registers_lists_and_removes_a_platform(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'eye.db'}"
    assert main(["keys", "create", "--institution", "North College", "--create-institution", "--domain", "x.test",
                 "--database-url", url]) == 0
    args = ["lti", "add-platform", "--institution", "North College", "--issuer", "https://lms.north.edu",
            "--client-id", "eye", "--deployment-id", "1", "--auth-url", "https://lms.north.edu/auth",
            "--jwks-url", "https://lms.north.edu/jwks", "--database-url", url]
    assert main(args) == 0
    assert "/lti/login" in capsys.readouterr().out
    assert main(args) == 2 and "registered already" in capsys.readouterr().err
    bad = [*args[:-6], "--auth-url", "http://lms.north.edu/auth", "--jwks-url", "https://lms.north.edu/jwks", "--database-url", url]
    bad[bad.index("--deployment-id") + 1] = "2"
    assert main(bad) == 2 and "auth-url: expected an https:// URL" in capsys.readouterr().err
    nobody = [*args]
    nobody[nobody.index("--institution") + 1] = "Nowhere"
    nobody[nobody.index("--deployment-id") + 1] = "3"
    assert main(nobody) == 2 and "no institution is named 'Nowhere'" in capsys.readouterr().err
    assert main(["lti", "list", "--database-url", url]) == 0
    listed = capsys.readouterr().out
    assert "North College" in listed and "https://lms.north.edu" in listed and listed.count("\n") == 1
    assert main(["lti", "remove", "1", "--database-url", url]) == 0
    assert main(["lti", "remove", "1", "--database-url", url]) == 2
    assert main(["lti", "list", "--database-url", url]) == 0 and "no LTI platforms" in capsys.readouterr().out


def test_a_platform_needs_its_fields(app):
    with app.state.db.session() as s:
        from server.access.institutions import institution_named

        institution_named(s, "Test University", True)
        with pytest.raises(PlatformError, match="client-id"):
            add_platform(s, "Test University", issuer="https://l.edu", client_id=" ", deployment_id="1",
                         auth_url="https://l.edu/a", jwks_url="https://l.edu/j")
        with pytest.raises(PlatformError, match="issuer"):
            add_platform(s, "Test University", issuer="lms", client_id="c", deployment_id="1",
                         auth_url="https://l.edu/a", jwks_url="https://l.edu/j")


def test_eyes_keys_sign_what_it_publishes_and_a_rotation_keeps_the_old_key_published(client):
    published = client.get("/lti/jwks.json").json()["keys"]
    assert len(published) == 1 and published[0]["kty"] == "RSA" and "d" not in published[0]  # public only
    with client.app.state.db.session() as s:
        token = signing.sign(s, {"iss": "eye", "aud": "lms"})
    keys = jwt.PyJWKSet.from_dict(client.get("/lti/jwks.json").json())
    kid = jwt.get_unverified_header(token)["kid"]
    [key] = [k for k in keys.keys if k.key_id == kid]
    assert jwt.decode(token, key.key, algorithms=["RS256"], audience="lms")["iss"] == "eye"
    assert main(["lti", "rotate-key", "--database-url", client.app.state.db.url]) == 0
    kids = [k["kid"] for k in client.get("/lti/jwks.json").json()["keys"]]
    assert len(kids) == 2 and kid in kids  # what the old key signed can still be checked
    with client.app.state.db.session() as s:
        assert jwt.get_unverified_header(signing.sign(s, {}))["kid"] != kid


def test_a_learner_launching_a_plain_link_is_told_there_is_nothing_to_do(client):
    platform = Platform()
    try:
        with client.app.state.db.session() as s:
            platform.register(s)
        state, nonce, answer = platform.login(client)
        sent = answer.headers["location"]
        assert sent.startswith(platform.auth_url + "?") and "response_mode=form_post" in sent and "prompt=none" in sent
        assert "redirect_uri=" in sent and "%2Flti%2Flaunch" in sent
        landed = client.post("/lti/launch", data={"id_token": platform.sign(platform.claims(nonce)), "state": state},
                             headers={"Origin": "https://lms.example.edu"})  # a cross-site form post, as browsers send it
        assert landed.status_code == 200 and "Nothing to do here" in landed.text
    finally:
        platform.stop()
