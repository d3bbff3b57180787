"""An LTI 1.3 platform as far as Eye's tool side sees one, for CPython tests: its RSA key, its
JWKS served over real HTTP on loopback, and id_tokens it signs; ``launch`` plays the browser
through Eye's ``/lti/login`` and ``/lti/launch``. (The end-to-end tests use Open edX's own code.)"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from eye_testing.servers import PageServer
from server.lms import claims as c

LEARNER, INSTRUCTOR, ADMINISTRATOR = c.LEARNER, c.INSTRUCTOR, c.ADMINISTRATOR


class Platform:
    def __init__(self, issuer: str = "https://lms.example.edu", client_id: str = "eye-tool", deployment_id: str = "1"):
        self.issuer, self.client_id, self.deployment_id = issuer, client_id, deployment_id
        self.key, self.kid = rsa.generate_private_key(public_exponent=65537, key_size=2048), "platform-key-1"
        self.server = PageServer({})
        self.publish()
        self.jwks_url = f"{self.server.origin}/jwks.json"
        self.auth_url = f"{self.server.origin}/authorize"

    def publish(self, *keys: tuple[str, object]) -> None:
        """Serve the JWKS with this key (and ``keys``: (kid, private key) pairs)."""
        entries = []
        for kid, private in ((self.kid, self.key), *keys):
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
            entries.append({**jwk, "kid": kid, "alg": "RS256", "use": "sig"})
        self.server.add("/jwks.json", (json.dumps({"keys": entries}).encode(), "application/json"))

    def register(self, db, institution: str = "Test University"):
        from server.access.institutions import institution_named
        from server.lms.platforms import add_platform

        institution_named(db, institution, True)
        return add_platform(db, institution, issuer=self.issuer, client_id=self.client_id,
                            deployment_id=self.deployment_id, auth_url=self.auth_url, jwks_url=self.jwks_url)

    def claims(self, nonce: str, message_type: str = c.RESOURCE_LINK_REQUEST, roles=(LEARNER,), **more) -> dict:
        now = int(time.time())
        base = {"iss": self.issuer, "aud": self.client_id, "sub": "learner-42", "iat": now, "exp": now + 300,
                "nonce": nonce, c.VERSION: "1.3.0", c.DEPLOYMENT_ID: self.deployment_id, c.MESSAGE_TYPE: message_type,
                c.ROLES: list(roles), c.RESOURCE_LINK: {"id": "exam-link-1"},
                c.TARGET_LINK_URI: "https://eye.example.edu/lti/launch",
                "given_name": "Ada", "family_name": "Lovelace", "email": "ada@example.edu"}
        return {**base, **more}

    def sign(self, claims: dict, key=None, kid: str | None = None, algorithm: str = "RS256") -> str:
        return jwt.encode(claims, key or self.key, algorithm=algorithm, headers={"kid": kid or self.kid})

    def login(self, client, **fields) -> tuple[str, str, object]:
        """The platform's login initiation through the browser (``client``): (state, nonce, answer)."""
        query = {"iss": self.issuer, "login_hint": "learner-42", "target_link_uri": "https://eye.example.edu/lti/launch",
                 "client_id": self.client_id, **fields}
        answer = client.get("/lti/login", params={k: v for k, v in query.items() if v is not None}, follow_redirects=False)
        if answer.status_code != 302:
            return "", "", answer
        sent = parse_qs(urlsplit(answer.headers["location"]).query)
        return sent["state"][0], sent["nonce"][0], answer

    def launch(self, client, *, tweak=None, token: str | None = None, follow: bool = True, **claims):
        """A whole launch: login, then the id_token (``claims`` changed, or ``tweak(claims)``) posted back."""
        state, nonce, _ = self.login(client)
        made = self.claims(nonce, **claims)
        if tweak:
            tweak(made)
        return client.post("/lti/launch", data={"id_token": token or self.sign(made), "state": state},
                           follow_redirects=follow)

    def start_proctoring(self, client, sub: str = "learner-42", attempt: int = 1, **claims):
        """An ``LtiStartProctoring`` launch (the answer: a 303 to the attempt's page, or a refusal)."""
        more = {c.SESSION_DATA: "platform-csrf-token", c.START_ASSESSMENT_URL: f"{self.server.origin}/start_assessment",
                c.ATTEMPT_NUMBER: attempt, c.RESOURCE_LINK: {"id": "exam-link-1", "title": "Final exam"}, **claims}
        return self.launch(client, message_type=c.START_PROCTORING, sub=sub, follow=False, **more)

    def end_assessment(self, client, sub: str = "learner-42", attempt: int = 1, **claims):
        return self.launch(client, message_type=c.END_ASSESSMENT, sub=sub, **{c.ATTEMPT_NUMBER: attempt, **claims})

    def open_attempt(self, client, sub: str = "learner-42", attempt: int = 1, **claims) -> tuple[str, dict]:
        """Start proctoring, open the attempt's page and start the widget's session as its page
        would: (the attempt's path, the page's data with ``sessionId`` added)."""
        answer = self.start_proctoring(client, sub, attempt, **claims)
        assert answer.status_code == 303, answer.text
        path = answer.headers["location"]
        data = page_data(client.get(path))
        origin = client.app.state.public_url
        config = dict(data["config"])
        created = client.post("/api/v1/sessions", headers={"Origin": origin}, json={
            "apiKey": config.pop("apiKey"), "launchToken": config.pop("launchToken"), "config": config})
        assert created.status_code == 201, created.text
        data["sessionId"] = created.json()["sessionId"]
        tied = client.post(f"{path}/session", headers={"Origin": origin}, json={"sessionId": data["sessionId"]})
        assert tied.status_code == 200, tied.text
        return path, data

    def stop(self) -> None:
        self.server.stop()


def page_data(answer) -> dict:
    """What Eye's proctoring page hands its script (the widget config, a resume record, its URLs)."""
    assert answer.status_code == 200, answer.text
    match = re.search(r'<script type="application/json" id="eye-attempt">(.*?)</script>', answer.text, re.S)
    assert match, answer.text
    return json.loads(match.group(1))


@pytest.fixture
def platform(client):
    """A platform registered with the test app's "Test University" (import this fixture)."""
    made = Platform()
    with client.app.state.db.session() as s:
        made.register(s)
    yield made
    made.stop()

