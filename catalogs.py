"""The catalogs of the candidate's words (docs/languages.md), with Babel.

    python catalogs.py update    # extract every message from widget/ and merge it into each .po
    python catalogs.py check     # fail on an untranslated, fuzzy or stale message, or a lost placeholder
    python catalogs.py compile   # write each eye.mo beside its .po (build.py does this too)

Messages are the English strings passed to ``t(…)``, ``t.plural(…)`` and ``N_(…)`` in widget/ and
in the pages Eye serves candidates (server/check/, server/lti/); ``t`` is a ``widget.language.Words``.
The template is ``widget/locales/eye.pot``.
"""

from __future__ import annotations

import datetime
import io
import re
import sys
from pathlib import Path
from typing import Any, Iterator

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent
#: Where the candidate's words are: the widget, and the pages Eye serves candidates.
SOURCES = ("widget", "server/check", "server/lti")
sys.path.insert(0, str(ROOT))
from widget.language import DOMAIN, LANGUAGES, LOCALES, SOURCE  # noqa: E402

TEMPLATE = LOCALES / f"{DOMAIN}.pot"
KEYWORDS = {"t": None, "say": None, "N_": None, "plural": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TRANSLATED = [code for code in LANGUAGES if code != SOURCE]
#: Headers carry no dates that change on every run: a catalog's diff is its words.
STABLE_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def po_path(code: str) -> Path:
    return LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def babel_locale(code: str) -> str:
    return code.replace("-", "_")


def template() -> Catalog:
    """Every message in the sources, with where it is used."""
    catalog = Catalog(project="Eye", domain=DOMAIN, fuzzy=False, copyright_holder="the Eye contributors",
                      creation_date=STABLE_DATE, revision_date=STABLE_DATE)
    for source in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
                str(ROOT / source), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
                strip_comment_tags=True):
            if not message or (isinstance(message, tuple) and not message[0]):
                continue
            catalog.add(message, None, [(f"{source}/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def read(code: str) -> Catalog:
    with po_path(code).open("rb") as f:
        return read_po(f, locale=babel_locale(code), domain=DOMAIN)


def _write(catalog: Catalog, path: Path) -> None:
    buf = io.BytesIO()
    catalog.fuzzy = False
    name = catalog.locale.english_name if catalog.locale else "Template"
    catalog.header_comment = (f"# {name}: the words Eye's widget shows candidates (docs/languages.md).\n"
                              "# This file is distributed under the same license as Eye.")
    catalog.version = "1"
    catalog.creation_date = catalog.revision_date = STABLE_DATE
    catalog.last_translator = "the Eye contributors"
    catalog.language_team = "Eye"
    catalog.msgid_bugs_address = ""
    write_po(buf, catalog, width=100, omit_header=False, sort_output=False, ignore_obsolete=False, include_lineno=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def update() -> None:
    """Write the template and merge it into each catalog (new messages come in untranslated)."""
    pot = template()
    _write(pot, TEMPLATE)
    for code in TRANSLATED:
        catalog = read(code) if po_path(code).exists() else Catalog(locale=babel_locale(code), domain=DOMAIN)
        catalog.update(pot, no_fuzzy_matching=True)
        catalog.obsolete.clear()  # a message the widget no longer says goes (git keeps its history)
        _write(catalog, po_path(code))


def _strings(value: Any) -> list[str]:
    if isinstance(value, (tuple, list)):
        return [str(v) for v in value]
    return [str(value or "")]


def problems() -> Iterator[str]:
    """Everything that would make a candidate read English, a stale sentence or a raw ``{name}``."""
    pot = template()
    wanted = [m.id for m in pot if m.id]
    for code in TRANSLATED:
        if not po_path(code).exists():
            yield f"{code}: no catalog at {po_path(code).relative_to(ROOT)}"
            continue
        catalog = read(code)
        have = {m.id: m for m in catalog if m.id}
        for key in wanted:
            shown = key[0] if isinstance(key, tuple) else key
            got = have.get(key)
            if got is None:
                yield f"{code}: missing {shown!r} (run python catalogs.py update, then translate it)"
                continue
            strings = _strings(got.string)
            if not all(s.strip() for s in strings):
                yield f"{code}: untranslated {shown!r}"
            elif got.fuzzy:
                yield f"{code}: fuzzy (needs review) {shown!r}"
            expected = set().union(*(set(PLACEHOLDER.findall(i)) for i in _strings(key)))
            for s in strings:
                # a plural form may spell its count out ("one day", "يومين"): {n} is optional there
                optional = {"n"} if isinstance(key, tuple) else set()
                if not expected - optional <= set(PLACEHOLDER.findall(s)) <= expected:
                    yield (f"{code}: {shown!r} needs the placeholders {sorted(expected)}, "
                           f"the translation has {sorted(set(PLACEHOLDER.findall(s)))}: {s!r}")
            if isinstance(key, tuple) and catalog.num_plurals and len(strings) != catalog.num_plurals:
                yield f"{code}: {shown!r} needs {catalog.num_plurals} plural forms, has {len(strings)}"
        for key in have:
            if key not in wanted:
                shown = key[0] if isinstance(key, tuple) else key
                yield f"{code}: stale {shown!r} (no longer in the sources; run python catalogs.py update)"
        for key in catalog.obsolete:
            yield f"{code}: obsolete entry {key!r} (remove it)"


def compile_to(dest: Path) -> list[Path]:
    """Compile every catalog to ``dest/<code>/LC_MESSAGES/eye.mo``; the files written."""
    written = []
    for code in TRANSLATED:
        buf = io.BytesIO()
        write_mo(buf, read(code), use_fuzzy=False)
        path = dest / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != buf.getvalue():
            path.write_bytes(buf.getvalue())
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
        print(f"catalogs: template {TEMPLATE.relative_to(ROOT)} and {len(TRANSLATED)} catalogs updated")
        return 0
    if command == "compile":
        print(f"catalogs: {len(compile_to(LOCALES))} catalogs compiled")
        return 0
    if command == "check":
        found = list(problems())
        for line in found:
            print(line)
        print(f"catalogs: {len(found)} problem(s) in {len(TRANSLATED)} catalogs")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
