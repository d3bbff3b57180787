"""WCAG 2.1 AA, checked by axe-core (npm, run in Chromium) on the demo exam page in every widget
state — loading, consent, active, ended — and on every dashboard page: no serious or critical
violation. Also the consent card by keyboard alone: a labelled dialog whose primary button has
the focus, operable with Tab and Enter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import sign_in

from .test_demo import demo  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
RUN = """async () => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
  return result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")) }));
}"""


def serious(page) -> list[dict]:
    """axe's serious and critical findings on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN) if v["impact"] in ("serious", "critical")]


def test_the_demo_page_in_every_widget_state_and_every_dashboard_page(demo, browser):  # noqa: F811
    base, log = demo
    context = browser.new_context(bypass_csp=True)  # to inject axe into pages whose CSP allows only Eye's scripts
    page = context.new_page()
    page.set_content('<html lang="en"><title>x</title><body><main><img src="data:,"><button></button></main></body></html>')
    assert {"image-alt", "button-name"} <= {v["id"] for v in serious(page)}  # the checker finds what it should
    found: dict[str, list] = {}
    page.goto(f"{base}/demo/")
    found["demo: loading"] = serious(page)
    page.wait_for_function("document.getElementById('status').textContent === 'Ready'", timeout=60000)
    page.click("#start")
    page.wait_for_selector("#eye-consent")
    found["demo: consent"] = serious(page)
    # the consent card by keyboard: a labelled dialog, focus on its primary button, Enter accepts
    dialog = page.locator("#eye-consent")
    assert dialog.get_attribute("role") == "dialog" and dialog.get_attribute("aria-labelledby")
    assert page.evaluate("document.activeElement.id") == "eye-consent-accept"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "eye-consent-decline"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('status').textContent === 'Proctoring active'", timeout=30000)
    found["demo: active"] = serious(page)
    page.click("#end")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Exam ended')")
    found["demo: ended"] = serious(page)

    email, password = re.search(r"email (\S+)  password (\S+)", log.read_text()).groups()
    page.goto(f"{base}/dashboard/login")
    found["login"] = serious(page)
    sign_in(page, base, email, password)
    sessions = page.evaluate("fetch('/dashboard/sessions').then(r => r.text())")
    sid = re.search(r'/dashboard/sessions/([0-9a-f-]{36})', sessions).group(1)
    assessments = page.evaluate("fetch('/dashboard/').then(r => r.text())")
    assessment = re.search(r'assessment=([^"&]+)', assessments).group(1)
    page.goto(f"{base}/dashboard/users")
    page.fill("input[name=email]", "new.reviewer@example.edu")
    page.click("text=Invite")
    invite = page.inner_text("#invite-link")
    for name, path in [("assessments", "/dashboard/"), ("sessions", "/dashboard/sessions"), ("session", f"/dashboard/sessions/{sid}"),
                       ("review queue", "/dashboard/review"), ("report", f"/dashboard/report?assessment={assessment}"),
                       ("keys", "/dashboard/keys"), ("settings", "/dashboard/settings"), ("users", "/dashboard/users"),
                       ("audit", "/dashboard/audit")]:
        page.goto(base + path)
        found[name] = serious(page)
    page.goto(invite)
    found["invitation"] = serious(page)
    assert {name: v for name, v in found.items() if v} == {}
    assert len(found) == 15
