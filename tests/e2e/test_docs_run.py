"""Every code block in README.md and docs/ runs as written (``https://eye.example.edu`` stands for
the test's Eye server, ``YOUR_API_KEY`` for a key registered for the test page's origin):

- ``html``: served on another origin and opened in Chromium (fake camera and microphone); the
  test clicks ``#start`` if the page has one and the consent notice; proctoring must become
  active with no page error. The launch-token page gets a token made by the docs' own recipe.
- ``csp``: the policy in troubleshooting.md is put on an exam page (plus ``'self'`` for the page's
  own script); the widget must start under it with no violation.
- ``ts``: compiled together with ``tsc --strict`` using the docs' ``tsconfig.json`` block, against
  ``loader.d.ts`` and the npm package.
- ``python``: executed (``YOUR_SECRET_KEY`` stands for a secret key of the test's institution,
  which holds an ended session with a photo); the webhook ``verify`` is checked against a real
  signature, the pytest-kit example is run by pytest.
- ``js``: Node.js recipes, run by ``node``.
- ``json``: parsed; an event example's ``type`` is its section's event.
- ``bash``: every ``eye`` command line (usage synopses too) names real sub-commands and options;
  ``scripts/`` and files named exist; every exported variable is one Eye reads; ``curl`` lines run
  against the test's server and answer JSON; the ``npx openapi-typescript`` line makes the types
  the ``ts`` blocks import.
- ``nginx``: the server block is the one tests/e2e/test_nginx.py runs nginx with.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eye_testing.servers import PageServer, eye_command
from tests.unit.test_npm_package import build

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
LANGUAGES = {"html", "csp", "ts", "python", "js", "json", "bash", "nginx"}
PLACEHOLDER_URL = "https://eye.example.edu"


def blocks() -> list[tuple[str, str, str]]:
    """(where, language, code) for every fenced block."""
    found = []
    for path in FILES:
        text = path.read_text()
        for m in BLOCK.finditer(text):
            line = text[: m.start()].count("\n") + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", m.group(1), m.group(2)))
    return found


ALL = blocks()


def of(language: str) -> list:
    return [pytest.param(code, id=where) for where, lang, code in ALL if lang == language]


def test_every_block_says_its_language_and_is_one_we_run():
    assert {(where, lang) for where, lang, _ in ALL if lang not in LANGUAGES} == set()
    assert len(ALL) > 40


# --- html and csp: in Chromium, for real -------------------------------------------------------
@pytest.fixture(scope="module")
def site(eye):
    pages = PageServer({})
    pages.key = eye.create_key(pages.domain)
    out = subprocess.run(eye_command("keys", "create", "--institution", "Test University", "--domain", pages.domain,
                                     "--require-launch-token", "--database-url", eye.db_url),
                         cwd=eye.tmp, capture_output=True, text=True, check=True).stdout
    pages.launch_secret = re.search(r"launch secret: (\S+)", out).group(1)
    pages.launch_key = out.strip().splitlines()[-1]
    yield pages
    pages.stop()


def launch_token(secret: str) -> str:
    """A token made by the Python recipe in docs/security.md, as the platform's server would."""
    recipe = next(code for where, lang, code in ALL if lang == "python" and "def launch_token" in code)
    scope: dict = {}
    exec(recipe, scope)  # noqa: S102 (the documented recipe)
    return scope["launch_token"](secret, "final-101", "c-9", 3600)


def as_served(code: str, eye, site) -> str:
    code = code.replace(PLACEHOLDER_URL, eye.url.rstrip("/"))
    if "eye-launch-token" in code:
        code = code.replace("YOUR_API_KEY", site.launch_key)
        code = code.replace("TOKEN_FROM_YOUR_SERVER", launch_token(site.launch_secret))
    return code.replace("YOUR_API_KEY", site.key)


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def proctoring_becomes_active(page, url: str) -> list[str]:
    """Open ``url``, press Start if there is one, give consent, and wait until proctoring is
    active: the panel says so, or the page logged the session id it got at STARTED (a page that
    ends at once, as the README's does, removes the panel quickly). Returns the page's errors."""
    errors: list[str] = []
    logged: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)[:300]))
    page.on("console", lambda m: errors.append(m.text[:300]) if m.type == "error" and "Refused" in m.text
            else logged.append(m.text))
    page.goto(url)
    deadline = time.monotonic() + 90
    while not page.locator("#eye-consent-accept").count():
        assert time.monotonic() < deadline and not errors, errors or "no consent notice appeared"
        if page.locator("#start").count():
            page.click("#start")  # PyScript binds its handler once Python runs: press again until it answers
        page.wait_for_timeout(1000)
    page.click("#eye-consent-accept")
    while not (page.locator("#eye-status", has_text="active").count() or any(UUID.search(t) for t in logged)):
        assert time.monotonic() < deadline and not errors, errors or "proctoring did not become active"
        page.wait_for_timeout(200)  # polled from here: wait_for_function would need eval, which a CSP forbids
    return errors


@pytest.mark.parametrize("code", [c for c in of("html") if "checkSystem(" not in c.values[0]])
def test_html_pages_start_proctoring(code, eye, site, browser):
    path = f"/page-{abs(hash(code))}.html"
    site.add(path, f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>docs</title></head><body>\n'
                   f'{as_served(code, eye, site)}\n</body></html>')
    page = browser.new_page()
    assert proctoring_becomes_active(page, site.origin + path) == []


@pytest.mark.parametrize("code", [c for c in of("html") if "checkSystem(" in c.values[0]])
def test_html_setup_checks_list_every_result(code, eye, site, browser):
    """A setup-check example (docs/check.md): pressing its button lists a result per check."""
    path = f"/check-{abs(hash(code))}.html"
    site.add(path, f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>docs</title></head><body>\n'
                   f'{as_served(code, eye, site)}\n</body></html>')
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)[:300]))
    page.goto(site.origin + path)
    page.wait_for_function("typeof window.LoadEyeWidget === 'function'")
    page.click("#check")
    page.wait_for_function("document.querySelectorAll('#results li').length === 6", timeout=180000)
    assert errors == []
    assert "Navegador: success" in page.inner_text("#results")


def test_the_documented_csp_lets_the_widget_run(eye, site, browser):
    [policy] = [code for where, lang, code in ALL if lang == "csp"]
    [readme] = [code for where, lang, code in ALL if lang == "html" and where.startswith("README.md")]
    served = as_served(readme, eye, site)
    module = re.search(r'<script type="module">(.*?)</script>', served, re.S).group(1)
    loader = re.search(r'<script src="[^"]+"></script>', served).group(0)
    directives = " ".join(policy.replace(PLACEHOLDER_URL, eye.url.rstrip("/")).split())
    directives = directives.replace("script-src ", "script-src 'self' ", 1)
    site.add("/csp-exam.js", (module.encode(), "text/javascript"))
    site.add("/csp.html", f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>csp</title>'
                          f'<meta http-equiv="Content-Security-Policy" content="{directives}"></head><body>'
                          f'{loader}<script type="module" src="/csp-exam.js"></script></body></html>')
    page = browser.new_page()
    assert proctoring_becomes_active(page, site.origin + "/csp.html") == []


# --- ts ------------------------------------------------------------------------------------------
def documented_line(start: str) -> str:
    [line] = [line for _, lang, code in ALL if lang == "bash" for line in code.splitlines() if line.startswith(start)]
    return line


def test_typescript_blocks_compile_with_the_documented_tsconfig(tmp_path, eye):
    build()  # the npm package's dist/, which the package example imports
    generate = shlex.split(documented_line("npx openapi-typescript").replace(PLACEHOLDER_URL, eye.url.rstrip("/")))
    made = subprocess.run([str(ROOT / "node_modules" / ".bin" / "openapi-typescript"), *generate[2:]], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # the pinned one, as npx would run it
    assert made.returncode == 0 and "paths" in (tmp_path / "eye-api.d.ts").read_text(), made.stderr
    [tsconfig] = [code for where, lang, code in ALL if lang == "json" and "compilerOptions" in code]
    (tmp_path / "tsconfig.json").write_text(tsconfig)
    (tmp_path / "loader.d.ts").write_text((ROOT / "loader.d.ts").read_text())
    scope = tmp_path / "node_modules" / "@eye-proctoring"
    scope.mkdir(parents=True)
    (scope / "eye-js").symlink_to(ROOT / "packages" / "eye-js")
    snippets = [code for where, lang, code in ALL if lang == "ts"]
    assert len(snippets) >= 2
    for i, code in enumerate(snippets):
        (tmp_path / f"snippet{i}.ts").write_text(code)
    result = subprocess.run([str(ROOT / "node_modules" / ".bin" / "tsc"), "-p", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- python, js, json ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def secret_key(eye, site):
    """A secret key of the test's institution, which holds an ended session with a flag and its photo
    (made as the widget makes them, over HTTP from the test page's origin)."""
    import httpx

    from tests.conftest import VALID_CONFIG, moment

    page = {"Origin": site.origin}
    with httpx.Client(base_url=eye.url.rstrip("/") + "/api/v1", headers=page) as http:
        made = http.post("/sessions", json={"apiKey": site.key, "config": VALID_CONFIG}).json()
        token = {"Authorization": f"Bearer {made['token']}"}
        jpeg = b"\xff\xd8\xff\xe0" + b"\x01" * 200
        flag = {"id": "docs-flag", "type": "MULTIPLE_FACE", "createdAt": moment(),
                "payload": {"description": "two faces", "media": {"contentType": "image/jpeg", "size": len(jpeg)}}}
        assert http.post(f"/sessions/{made['sessionId']}/events", json={"events": [flag]}, headers=token).status_code == 200
        assert http.post(f"/sessions/{made['sessionId']}/events/docs-flag/media", content=jpeg,
                         headers={**token, "Content-Type": "image/jpeg"}).status_code == 201
        assert http.post(f"/sessions/{made['sessionId']}/end", json={"reason": "manual"}, headers=token).status_code == 200
    return eye.create_secret_key()


def for_the_platform(code: str, eye, secret_key: str) -> str:
    return code.replace(PLACEHOLDER_URL, eye.url.rstrip("/")).replace("YOUR_SECRET_KEY", secret_key)


@pytest.mark.parametrize("code", of("python"))
def test_python_blocks_run(code, tmp_path, request):
    if "YOUR_SECRET_KEY" in code:  # a platform's server: against the test's Eye, with a real secret key
        eye = request.getfixturevalue("eye")
        code = for_the_platform(code, eye, request.getfixturevalue("secret_key"))
    if "def test_" in code:  # the pytest-kit example: a test file, run by pytest with the plugin
        (tmp_path / "test_docs_example.py").write_text(code)
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_docs_example.py"],
                                cwd=tmp_path, capture_output=True, text=True, timeout=240)
        assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
        return
    scope: dict = {"__name__": "docs"}
    exec(compile(code, "docs block", "exec"), scope)  # noqa: S102 (documentation run as a reader pastes it)
    if "verify" in scope:  # the webhook check in docs/webhooks.md, against a signature the server makes
        from server.webhooks import sign

        body, now = b'{"event":"Flag"}', int(time.time())
        headers = {"X-Eye-Timestamp": str(now), "X-Eye-Signature": sign("whsec_x", now, body)}
        assert scope["verify"](b"whsec_x", headers, body) is True
        assert scope["verify"](b"whsec_x", headers, body + b" ") is False
        old = {"X-Eye-Timestamp": str(now - 3600), "X-Eye-Signature": sign("whsec_x", now - 3600, body)}
        assert scope["verify"](b"whsec_x", old, body) is False


@pytest.mark.parametrize("code", of("js"))
def test_node_blocks_run(code):
    assert "require(" in code, "browser JavaScript belongs in an html block, where it is run in Chromium"
    result = subprocess.run(["node", "-e", code + "\n;console.log('ran')"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip().endswith("ran"), result.stderr


def test_json_blocks_parse_and_event_examples_name_their_event():
    from widget.events import EVENTS

    checked = 0
    for path in FILES:
        text = path.read_text()
        for m in BLOCK.finditer(text):
            if m.group(1) != "json":
                continue
            value = json.loads(m.group(2))
            headings = re.findall(r"^### `([A-Z_]+)`", text[: m.start()], re.M)
            if path.name == "events.md" and isinstance(value, dict) and "type" in value:
                assert value["type"] == headings[-1] and value["type"] in EVENTS
                checked += 1
    assert checked >= 14


# --- bash and nginx --------------------------------------------------------------------------------
def _options(parser, path: list[str]) -> tuple[set[str], list[str]]:
    """The options of the sub-command at ``path`` (and the names of its own sub-commands)."""
    import argparse

    for name in path:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
        assert name in sub.choices, f"eye has no sub-command {' '.join(path)}"
        parser = sub.choices[name]
    options = {o for a in parser._actions for o in a.option_strings}  # noqa: SLF001
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]  # noqa: SLF001
    return options, list(subs[0].choices) if subs else []


def check_eye_line(line: str) -> None:
    """Each ``eye`` command on the line (``a | b`` are two) names real sub-commands (``x|y``: both)
    and real options of the sub-command it names."""
    from server.cli import parser

    for command in line.split(" | "):
        words = shlex.split(command.replace("[", " ").replace("]", " "))[1:]
        path: list[str] = []
        while words and not words[0].startswith("-") and _options(parser(), path)[1]:
            alternatives = words.pop(0).split("|")
            for alternative in alternatives:
                _options(parser(), [*path, alternative])
            path.append(alternatives[0])
        options, _ = _options(parser(), path)
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"`eye {' '.join(path)}` has no option {word}"


def env_names() -> set[str]:
    names = set()
    for file in (ROOT / "server").rglob("*.py"):
        names.update(re.findall(r'"(EYE_[A-Z_]+)"', file.read_text()))
    return names


@pytest.mark.parametrize("code", of("bash"))
def test_shell_blocks_name_real_commands_options_files_and_variables(code, request):
    lines, current = [], ""
    for raw in code.splitlines():
        text = raw.split("  #")[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if raw.startswith(" ") and current:
            current += " " + text.strip()
            continue
        if current:
            lines.append(current)
        current = text
    if current:
        lines.append(current)
    known = env_names()
    for line in filter(None, lines):
        first = line.split()[0]
        if first in ("eye", ".venv/bin/eye"):
            check_eye_line(line.replace(".venv/bin/eye", "eye", 1))
        elif first.startswith("scripts/"):
            assert os.access(ROOT / first, os.X_OK), f"{first} is not an executable script"
        elif first == "export":
            for name in re.findall(r"\b([A-Z][A-Z0-9_]+)=", line):
                assert name in known or name.startswith("AWS_"), f"Eye does not read {name}"
        elif first == ".venv/bin/python":
            assert (ROOT / line.split()[1]).exists()
        elif first == "python3":
            assert line.startswith("python3 -m venv .venv")
        elif first == "curl":  # run for real against the test's Eye
            eye = request.getfixturevalue("eye")
            args = shlex.split(for_the_platform(line, eye, request.getfixturevalue("secret_key")))
            ran = subprocess.run(args, capture_output=True, text=True, timeout=30)
            assert ran.returncode == 0, f"{line}: {ran.stderr}"
            json.loads(ran.stdout)
        elif line.startswith("npx openapi-typescript"):
            pass  # run by test_typescript_blocks_compile_with_the_documented_tsconfig, which needs its output
        else:
            raise AssertionError(f"a shell line the docs runner does not know how to check: {line}")


def test_the_nginx_block_is_the_one_the_nginx_test_runs():
    [block] = [code for where, lang, code in ALL if lang == "nginx"]
    source = (ROOT / "tests" / "e2e" / "test_nginx.py").read_text()
    assert "docs\" / \"deployment.md\"" in source and "```nginx" in source and "server {" in block


def test_the_embedding_example_loads_as_the_page_opens_and_shows_progress(eye, site, browser):
    """Before anyone clicks, the page loads the widget and says how far it got (issue 25: the
    example used to load inside the click handler and only log progress to the console)."""
    [code] = [code for where, lang, code in ALL if lang == "html" and where.startswith("docs/embedding.md")
              and "LoadEyeWidget" in code]
    site.add("/embedding.html", f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>docs</title></head>'
                                f'<body>\n{as_served(code, eye, site)}\n</body></html>')
    page = browser.new_page()
    seen = []
    page.on("console", lambda m: seen.append(m.text))
    page.goto(f"{site.origin}/embedding.html")
    page.wait_for_selector("#start:not([disabled])", timeout=90000)  # nobody clicked
    assert page.inner_text("#stage") == "Proctoring is ready." and page.eval_on_selector("#loading", "e => e.value") == 1
    page.close()
