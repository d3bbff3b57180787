"""Eye behind Debian's real nginx with TLS, configured as docs/deployment.md says: cookies are
Secure, throttles key on the real client (each client here has its own loopback address), a
forged Host is refused, and a webhook's mediaUrl is on the public URL and works through nginx."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from eye_testing.servers import EyeServer, Nginx, eye_command, free_port
from tests.conftest import VALID_CONFIG, moment
from tests.receiver import Receiver

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "reviewer password 42"
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 200


def deployment_nginx_block() -> str:
    """The server block from docs/deployment.md, as an operator would copy it."""
    text = (ROOT / "docs" / "deployment.md").read_text()
    return re.search(r"```nginx\n(.*?)```", text, re.S).group(1)


def start_nginx(tmp: Path, upstream_port: int, port: int) -> Nginx:
    """Debian's nginx with the deployment doc's server block, its own certificate and ports."""
    tmp.mkdir(parents=True, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(tmp / "privkey.pem"), "-out", str(tmp / "fullchain.pem")],
                   check=True, capture_output=True)
    block = (deployment_nginx_block()
             .replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
             .replace("server_name eye.example.edu;", "server_name localhost;")
             .replace("/etc/ssl/eye/", f"{tmp}/")
             .replace("http://127.0.0.1:8000", f"http://127.0.0.1:{upstream_port}"))
    proxy = Nginx(tmp, block, f"https://localhost:{port}")
    proxy.port = port
    return proxy


def client_at(address: str, base: str) -> httpx.Client:
    """A browser-like client connecting from its own loopback address (127.0.0.X)."""
    return httpx.Client(base_url=base, transport=httpx.HTTPTransport(local_address=address, verify=False), timeout=10)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, built):
    receiver = Receiver()
    nginx_port = free_port()
    tmp = tmp_path_factory.mktemp("behind-nginx")
    eye = EyeServer(tmp, args=("--public-url", f"https://localhost:{nginx_port}", "--forwarded-allow-ips", "127.0.0.1",
                         "--allowed-hosts", "127.0.0.1"),  # the test harness checks health directly
                    env={"EYE_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"})
    proxy = start_nginx(tmp / "nginx", eye.port, nginx_port)
    subprocess.run(eye_command("users", "create", "--institution", "Test University", "--create-institution", "--email", "rev@test.edu",
                               "--password-stdin", "--database-url", eye.db_url),
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=eye.tmp)
    key = eye.create_key("localhost:5000")
    yield eye, proxy, key, receiver
    proxy.stop()
    eye.stop()


def sign_in(client: httpx.Client, email="rev@test.edu", password=PASSWORD) -> httpx.Response:
    page = client.get("/dashboard/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/dashboard/login", data={"email": email, "password": password, "csrf": csrf})


def test_cookies_are_secure_behind_https(deployment):
    _, proxy, _, _ = deployment
    with client_at("127.0.0.2", proxy.url) as browser:
        r = sign_in(browser)
        assert r.status_code == 303
        assert "secure" in r.headers["set-cookie"].lower() and "httponly" in r.headers["set-cookie"].lower()
        assert browser.get("/dashboard/").status_code == 200


def test_throttles_key_on_the_real_client_address(deployment):
    _, proxy, _, _ = deployment
    with client_at("127.0.0.5", proxy.url) as attacker, client_at("127.0.0.6", proxy.url) as owner:
        statuses = [sign_in(attacker, password=f"wrong guess {i}!").status_code for i in range(7)]
        assert statuses[-1] == 429
        assert sign_in(owner).status_code == 303  # another address: not locked out by the attacker


def test_a_forged_host_is_refused_through_the_proxy(deployment):
    _, proxy, _, _ = deployment
    with client_at("127.0.0.7", proxy.url) as c:
        assert c.get("/api/v1/health").status_code == 200
        assert c.get("/api/v1/health", headers={"Host": "evil.attacker.example"}).status_code == 400


def test_media_urls_are_on_the_public_url_and_work(deployment):
    eye, proxy, key, receiver = deployment
    with client_at("127.0.0.8", proxy.url) as admin:
        sign_in(admin)
        csrf = re.search(r'name="csrf" value="([^"]+)"', admin.get("/dashboard/settings").text).group(1)
        saved = admin.post("/dashboard/settings", data={"webhook_url": receiver.url, "retention_days": "30", "csrf": csrf})
        assert saved.status_code == 200 and "whsec_" in saved.text
    with client_at("127.0.0.9", proxy.url) as candidate:
        created = candidate.post("/api/v1/sessions", json={"apiKey": key, "config": VALID_CONFIG},
                                 headers={"Origin": "http://localhost:5000"}).json()
        auth = {"Origin": "http://localhost:5000", "Authorization": f"Bearer {created['token']}"}
        candidate.post(f"/api/v1/sessions/{created['sessionId']}/events", headers=auth, json={"events": [
            {"id": "flag-1", "type": "MULTIPLE_FACE", "createdAt": moment(), "payload": {"media": {"contentType": "image/jpeg"}}}]})
        assert candidate.post(f"/api/v1/sessions/{created['sessionId']}/events/flag-1/media", content=JPEG,
                              headers={**auth, "Content-Type": "image/jpeg"}).status_code == 201
    _, body, _ = receiver.wait(1)[0]
    media_url = json.loads(body)["mediaUrl"]
    assert media_url.startswith(f"https://localhost:{proxy.port}/api/v1/evidence/")
    assert httpx.get(media_url, verify=False).content == JPEG
    token = media_url.rsplit("/", 1)[1]
    time.sleep(0.2)
    log = eye.log_path.read_text()
    assert token not in log and "/api/v1/evidence/[redacted]" in log
    assert '"client": "127.0.0.9"' in log  # the real client, not the proxy


def test_assets_arrive_compressed_through_the_proxy(deployment):
    """The deployment's nginx passes Eye's brotli and gzip files through as they are."""
    import json

    _, proxy, _, _ = deployment
    manifest = json.loads((ROOT / "static" / "manifest.json").read_text())
    wasm = f"{proxy.url}/{manifest['pyodide']}pyodide.asm.wasm"
    plain = (ROOT / "static" / manifest["pyodide"] / "pyodide.asm.wasm").read_bytes()
    for accept, encoding in (("gzip, deflate, br, zstd", "br"), ("gzip", "gzip")):
        with httpx.stream("GET", wasm, headers={"Accept-Encoding": accept}, verify=False) as answer:
            wire = b"".join(answer.iter_raw())
            assert answer.headers["content-encoding"] == encoding and answer.headers["vary"] == "Accept-Encoding"
            assert answer.headers["content-type"] == "application/wasm"
            assert len(wire) < len(plain) / 3  # what crosses the wire
        assert httpx.get(wasm, headers={"Accept-Encoding": accept}, verify=False).content == plain
