"""Two ``eye serve`` instances behind Debian's nginx (round robin), sharing only PostgreSQL, Redis
and an S3 store (moto's server): a Chromium exam runs through nginx; candidates' event batches
stream in while one instance is SIGKILLed and restarted; afterwards no acknowledged event is
lost or stored twice, every flag's webhook arrived, and clients carried on."""

from __future__ import annotations

import asyncio
import os
import runpy
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import create_engine, text

from eye_testing.servers import Cluster, PageServer, S3Server
from tests.conftest import BROWSER_ONLY, moment
from tests.e2e.conftest import exam_page_html, sign_in
from tests.e2e.test_restart import FlakyReceiver

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("EYE_TEST_POSTGRES_URL")
REDIS = os.environ.get("EYE_TEST_REDIS_URL")
LOAD = runpy.run_path(str(ROOT / "bench" / "load.py"), run_name="load")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, built):
    if not (POSTGRES and REDIS):
        pytest.skip("scripts/test.sh starts PostgreSQL and Redis (EYE_TEST_POSTGRES_URL, EYE_TEST_REDIS_URL)")
    tmp = tmp_path_factory.mktemp("cluster")
    name = f"eye_cluster_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    s3 = S3Server(tmp)
    receiver = FlakyReceiver()
    env = {"EYE_WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "EYE_WEBHOOK_RETRY_SECONDS": ",".join(["0.5"] * 60)}
    group = Cluster(tmp, POSTGRES.rsplit("/", 1)[0] + "/" + name, REDIS, s3, instances=2, env=env)
    group.receiver = receiver
    yield group
    group.stop()
    s3.stop()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_an_exam_in_chromium_through_the_load_balancer(cluster, browser):
    pages = PageServer({"/exam.html": exam_page_html(cluster.url)})
    key = cluster.create_key(pages.domain)
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{pages.origin}/exam.html")
        page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
        assert page.evaluate("([n, t]) => window.boot(n, t)", [["STARTED", "END_PROCTORING"], []]) == "loaded"
        started = page.evaluate("(c) => window.startExam(c)", {**BROWSER_ONLY, "apiKey": key, "candidateId": "cluster-1"})
        assert started["ok"], started
        page.evaluate("window.widget.endProctoring()")
        page.wait_for_function("window.received.some(e => e.name === 'END_PROCTORING')")
        session_id = started["started"]["sessionId"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not cluster.query("select ended_at from sessions where id = :i", i=session_id)[0][0]:
            time.sleep(0.2)
        assert cluster.query("select end_reason from sessions where id = :i", i=session_id)[0][0] == "manual"
    finally:
        context.close()
        pages.stop()


def test_killing_an_instance_mid_load_loses_nothing(cluster):
    receiver = cluster.receiver
    key = cluster.create_key("localhost:5000")
    with cluster.engine.begin() as c:
        c.execute(text("UPDATE institutions SET webhook_url = :u, webhook_secret = 'whsec_cluster'"), {"u": receiver.url})
    # a few flags, whose deliveries fail until after the restart
    created = httpx.post(f"{cluster.url}api/v1/sessions", json={"apiKey": key, "config": {**BROWSER_ONLY, "candidateId": "flagged"}},
                         headers={"Origin": "http://localhost:5000"}).json()
    auth = {"Origin": "http://localhost:5000", "Authorization": f"Bearer {created['token']}"}
    flags = [f"cluster-flag-{i}" for i in range(6)]
    for i in range(0, 6, 2):  # three batches: round robin spreads them over both instances
        r = httpx.post(f"{cluster.url}api/v1/sessions/{created['sessionId']}/events", headers=auth, json={"events": [
            {"id": f, "type": "TAB_NOT_FOCUS", "createdAt": moment(), "payload": {"description": "left"}} for f in flags[i:i + 2]]})
        assert r.status_code == 200

    args = SimpleNamespace(candidates=40, seconds=8.0, batch=10, interval=0.5)
    result: dict = {}

    def load() -> None:
        result["stats"], result["wall"] = asyncio.run(LOAD["drive"](cluster.url, key, args))

    driver = threading.Thread(target=load)
    driver.start()
    time.sleep(3.0)
    cluster.kill(1)  # SIGKILL mid-run
    time.sleep(1.0)
    cluster.restart(1)
    receiver.accept = True
    driver.join(60)
    stats = result["stats"]
    acked = {sid: ids for sid, ids in stats.acked.items()}
    assert sum(len(v) for v in acked.values()) > 1000 and len(acked) == args.candidates  # clients carried on
    missing = duplicated = 0
    for sid, ids in acked.items():
        counts = dict(cluster.query("select client_id, count(*) from events where session_id = :s group by client_id", s=sid))
        missing += sum(1 for i in ids if i not in counts)
        duplicated += sum(1 for n in counts.values() if n > 1)
    assert missing == 0 and duplicated == 0
    deadline = time.monotonic() + 45  # a delivery the killed instance had claimed waits for its 20 s lease
    while receiver.accepted != set(flags) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert receiver.accepted == set(flags)


def test_a_proctor_on_either_instance_reaches_a_candidate_streaming_through_nginx(cluster, browser):
    """Live proctoring across instances (Redis pub/sub): the candidate's channel runs through nginx
    (unbuffered: a buffered stream would hold the small events back); messages sent to instance 0
    and to instance 1 — one of them is not the instance streaming — each arrive once; after the
    streaming instance is SIGKILLed, the widget reconnects to the other and a pause still arrives."""
    pages = PageServer({"/exam.html": exam_page_html(cluster.url)})
    key = cluster.create_key(pages.domain)
    secret = cluster.instances[0].create_secret_key()
    context = browser.new_context()
    page = context.new_page()
    names = ["STARTED", "PROCTOR_MESSAGE", "PROCTORING_PAUSED", "END_PROCTORING"]
    try:
        page.goto(f"{pages.origin}/exam.html")
        page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
        assert page.evaluate("([n, t]) => window.boot(n, t)", [names, []]) == "loaded"
        started = page.evaluate("(c) => window.startExam(c)", {**BROWSER_ONLY, "apiKey": key, "candidateId": "live-1"})
        assert started["ok"], started
        session_id = started["started"]["sessionId"]
        for index in (0, 1):
            instance = cluster.instances[index]
            sent = httpx.post(f"{instance.url}api/v1/sessions/{session_id}/messages", json={"text": f"via instance {index}"},
                              headers={"Authorization": f"Bearer {secret}", "Host": f"localhost:{cluster.port}"})
            assert sent.status_code == 201, sent.text
            page.wait_for_function("(t) => window.received.some(e => e.name === 'PROCTOR_MESSAGE' && e.data.text === t)",
                                   arg=f"via instance {index}", timeout=30000)
        cluster.kill(1)
        cluster.kill(0)  # whichever held the stream is gone; bring one back and the widget finds it
        cluster.restart(0)
        deadline = time.monotonic() + 30
        while True:  # nginx holds a failed upstream off for fail_timeout (2 s): a platform retries
            sent = httpx.post(f"{cluster.url}api/v1/sessions/{session_id}/pause", json={"reason": "Back in a minute"},
                              headers={"Authorization": f"Bearer {secret}"})
            if sent.status_code != 502 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert sent.status_code == 201, sent.text
        page.wait_for_function("window.received.some(e => e.name === 'PROCTORING_PAUSED')", timeout=60000)
        texts = page.evaluate("window.received.filter(e => e.name === 'PROCTOR_MESSAGE').map(e => e.data.text)")
        assert sorted(texts) == ["via instance 0", "via instance 1"]  # each once
        cluster.restart(1)
    finally:
        context.close()
        pages.stop()


def test_a_proctor_on_one_instance_proctors_a_candidate_on_the_other_from_the_live_page(cluster, browser):
    """Issue 24's own scene across instances (Redis pub/sub between them): the candidate's page
    talks only to instance 1 and the proctor's browser only to instance 2 (nginx doors pinned to
    each). On the live page, without a reload: the new exam appears, then its flag; the side panel's
    message reaches the candidate, whose reply comes back into the panel; pause and resume; end."""
    import subprocess

    from eye_testing.servers import eye_command
    from eye_testing.tabs import leave_tab, return_to_tab
    from tests.e2e.test_live_in_chromium import NAMES, PASSWORD, received

    candidate_door, proctor_door = cluster.pinned[0], cluster.pinned[1]
    subprocess.run(eye_command("users", "create", "--institution", "Test University", "--create-institution", "--email",
                               "live@test.edu", "--role", "reviewer", "--password-stdin", "--database-url", cluster.db_url),
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True, cwd=cluster.tmp)
    pages = PageServer({"/exam.html": exam_page_html(candidate_door)})
    key = cluster.create_key(pages.domain)
    desk_context, exam_context = browser.new_context(bypass_csp=True), browser.new_context()  # bypass: to wait_for_function
    try:
        desk = desk_context.new_page()
        sign_in(desk, proctor_door, "live@test.edu", PASSWORD)
        desk.goto(f"{proctor_door}dashboard/live")
        desk.wait_for_selector("#live-connection:text('Live.')")
        desk.evaluate("window.loadedAt = performance.timeOrigin")  # a reload would lose this

        page = exam_context.new_page()
        page.goto(f"{pages.origin}/exam.html")
        page.wait_for_function("typeof window.LoadProctormeWidget === 'function'")
        assert page.evaluate("([n]) => window.boot(n, [])", [NAMES]) == "loaded"
        page.evaluate("(c) => { window.pending = window.startExam(c); }",
                      {**BROWSER_ONLY, "apiKey": key, "candidateId": "across", "candidateFirstName": "Ines",
                       "candidateLastName": "Okafor"})
        page.click("#eye-notice-ok")
        started = page.evaluate("window.pending")
        assert started["ok"], started
        session_id = started["started"]["sessionId"]

        card = desk.locator(f'[data-session="{session_id}"]')
        card.wait_for(timeout=15000)
        assert "Ines Okafor" in card.inner_text()
        leave_tab(page)
        page.wait_for_timeout(500)
        return_to_tab(page)
        desk.wait_for_function("(s) => { const f = document.querySelector(`[data-session='${s}'] .flags`);"
                               " return f && Number(f.dataset.flags) >= 1; }", arg=session_id, timeout=30000)

        card.locator("a").click()
        desk.wait_for_function("document.activeElement && document.activeElement.id === 'panel-title'")
        panel = desk.locator("#live-panel")
        assert "Ines Okafor" in panel.inner_text()
        assert panel.locator("li[data-type=TAB_NOT_FOCUS]").count() >= 1
        panel.locator("#proctor-text").fill("Please stay in the exam window.")
        panel.locator("#proctor-send").click()
        [message] = received(page, "PROCTOR_MESSAGE", timeout=30000)
        assert message["text"] == "Please stay in the exam window."
        desk.wait_for_selector("#panel-status:text('Message sent.')")
        page.fill("#eye-messages .eye-reply input", "Sorry, my cat.")
        page.click("#eye-messages .eye-reply button")
        received(page, "PROCTOR_REPLY")
        # the reply travels with the widget's next batch to instance 1; instance 2's panel shows it
        panel.locator("li[data-type=PROCTOR_REPLY]").wait_for(timeout=45000)
        assert "Sorry, my cat." in panel.inner_text()

        panel.locator("#proctor-text").fill("Show me your desk.")
        panel.locator("#proctor-pause").click()
        [paused] = received(page, "PROCTORING_PAUSED", timeout=30000)
        assert paused["reason"] == "Show me your desk." and page.locator("#eye-paused").is_visible()
        desk.wait_for_selector("#panel-state[data-state=paused]", timeout=30000)
        panel.locator("#proctor-resume").click()
        received(page, "PROCTORING_RESUMED", timeout=30000)
        assert page.locator("#eye-paused").count() == 0
        panel.locator("#proctor-end").click()
        [ended] = received(page, "END_PROCTORING", timeout=30000)
        assert ended["reason"] == "proctor"
        desk.wait_for_selector("#panel-state[data-state=ended]", timeout=30000)
        card.wait_for(state="detached", timeout=30000)  # no longer in progress
        assert desk.evaluate("window.loadedAt === performance.timeOrigin")  # all of it without a reload
        assert cluster.query("select end_reason from sessions where id = :i", i=session_id)[0][0] == "proctor"
    finally:
        desk_context.close()
        exam_context.close()
        pages.stop()
