"""The candidate's language: which catalog the widget speaks, and the words in it.

A widget speaks ``config.language`` (a BCP 47 tag such as ``"es"`` or ``"pt-BR"``) if Eye has a
catalog for it, else the best match of the browser's ``navigator.languages``, else English
(docs/languages.md). Every candidate-facing string is an English gettext message id with
``{name}`` placeholders; its translations live in ``widget/locales/<code>/LC_MESSAGES/eye.po``,
which build.py compiles to ``eye.mo`` beside it and into the wheel. Event payloads and what the
server stores stay in English: reviewers read them.
"""

from __future__ import annotations

import gettext
import html
import json
from functools import lru_cache
from pathlib import Path
from typing import Iterable

#: The source language: its words are the message ids themselves.
SOURCE = "en"
#: Every language Eye speaks (a catalog in ``widget/locales/<code>/``), by BCP 47 tag.
LANGUAGES = ("en", "ar", "de", "es", "fr", "hi", "it", "ja", "nl", "pt-BR", "tr", "zh-Hans")
#: Each language's name in itself, for a language menu.
NAMES = {"en": "English", "ar": "العربية", "de": "Deutsch", "es": "Español", "fr": "Français", "hi": "हिन्दी",
         "it": "Italiano", "ja": "日本語", "nl": "Nederlands", "pt-BR": "Português (Brasil)", "tr": "Türkçe",
         "zh-Hans": "简体中文"}
#: Languages written right to left: the overlay is laid out with ``dir="rtl"``.
RIGHT_TO_LEFT = ("ar", "fa", "he", "ur")
DOMAIN = "eye"
LOCALES = Path(__file__).parent / "locales"


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs where it is written (a constant); translate it where it
    is shown, with ``Words.__call__``."""
    return message


def best_match(wanted: Iterable[str], available: Iterable[str] = LANGUAGES) -> str | None:
    """The first of ``wanted`` (in order of preference) that Eye speaks: the same tag, ignoring
    case, else the same language (the first subtag): ``de-AT`` → ``de``, ``pt-PT`` → ``pt-BR``,
    ``zh-CN`` → ``zh-Hans``. None when nothing matches."""
    known = list(available)
    by_tag = {code.lower(): code for code in known}
    by_language: dict[str, str] = {}
    for code in known:
        by_language.setdefault(code.split("-")[0].lower(), code)
    for tag in wanted:
        tag = str(tag).strip().replace("_", "-").lower()
        if not tag:
            continue
        if tag in by_tag:
            return by_tag[tag]
        if tag.split("-")[0] in by_language:
            return by_language[tag.split("-")[0]]
    return None


def accepted_languages(header: str | None) -> list[str]:
    """An Accept-Language header's tags, most wanted first (``de-AT,en;q=0.8`` → de-AT, en)."""
    ranked = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and tag != "*" and q > 0:
            ranked.append((-q, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def for_page(asked: str | None, accept_language: str | None) -> str:
    """The language of a page Eye serves a candidate: ``asked`` (a ``?lang=``), else the browser's
    Accept-Language, else English."""
    return best_match([asked] if asked else []) or best_match(accepted_languages(accept_language)) or SOURCE


def choose(configured: str | None, browser: Iterable[str]) -> tuple[str, str | None]:
    """The language a widget speaks, and a warning for the console when ``configured`` (the
    config's ``language``) is one Eye has no catalog for."""
    if configured:
        match = best_match([configured])
        if match:
            return match, None
        fallback = best_match(browser) or SOURCE
        return fallback, (f"Eye: no catalog for config.language {configured!r} (Eye speaks {', '.join(LANGUAGES)}); "
                          f"showing {fallback}")
    return best_match(browser) or SOURCE, None


class Words:
    """The candidate-facing words of one language: ``words("…{name}…", name=value)`` and
    ``words.plural(singular, plural, n, …)`` (``{n}`` is the count)."""

    def __init__(self, code: str, translations: gettext.NullTranslations):
        self.code = code
        self.direction = "rtl" if code.split("-")[0] in RIGHT_TO_LEFT else "ltr"
        self._translations = translations

    def __call__(self, message: str, /, **values: object) -> str:
        if not message:
            return ""  # gettext("") is the catalog's header, never a sentence
        text = self._translations.gettext(message)
        return text.format(**values) if values else text

    def plural(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        return self._translations.ngettext(singular, plural, n).format(n=n, **values)


def fill_page(template: str, say: Words, messages: dict[str, str], data: dict[str, object], data_mark: str,
              more: dict[str, str] | None = None) -> str:
    """A page Eye serves a candidate, in ``say``'s language: ``__LANG__``, ``__DIR__``, each
    ``__KEY__`` of ``messages`` (translated, HTML-escaped), ``more`` (HTML as given), and last
    ``data_mark`` → ``data`` as JSON with ``words`` (the translations) added, safe inside a
    ``<script>`` element; last, so nothing in the data is ever read as a placeholder."""
    said = {key: say(message) for key, message in messages.items()}
    text = template.replace("__LANG__", say.code).replace("__DIR__", say.direction)
    for mark, value in (more or {}).items():
        text = text.replace(mark, value)
    for key, value in said.items():
        text = text.replace(f"__{key.upper()}__", html.escape(value, quote=True))
    return text.replace(data_mark, json.dumps({**data, "words": said}).replace("<", "\\u003c"))


def catalog_path(code: str) -> Path:
    return LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.mo"


@lru_cache(maxsize=None)
def words(code: str = SOURCE) -> Words:
    """The words of ``code`` (one of ``LANGUAGES``); English for the source language."""
    if code == SOURCE:
        return Words(code, gettext.NullTranslations())
    if code not in LANGUAGES:
        raise ValueError(f"Eye has no catalog for {code!r} (it speaks {', '.join(LANGUAGES)})")
    with catalog_path(code).open("rb") as f:
        return Words(code, gettext.GNUTranslations(f))
