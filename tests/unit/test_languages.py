"""The candidate's language (issue 23) under CPython: which language a widget speaks, the catalogs
(the CI check on every one of them), and what the candidate reads — while events and what the
server stores stay in English."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

import catalogs
from server.store import Event
from server.store.models import Institution
from tests.conftest import VALID_CONFIG
from tests.unit.conftest import SERVER
from tests.unit.test_widget import Recorder, run
from widget import language
from widget.api import Widget
from widget.config import validate
from widget.errors import WidgetError
from widget.language import LANGUAGES, best_match, choose, words
from widget.notice import consent_notice

SCREEN_ONLY = {"aiProctoring": False, "facialRecognition": False, "periodicSnapshots": False, "screenMonitoring": True}


@pytest.mark.parametrize("wanted, expected", [
    (["es"], "es"),
    (["de-AT", "en"], "de"),  # the same language, another region
    (["pt-PT"], "pt-BR"),  # all there is of Portuguese
    (["zh-CN"], "zh-Hans"),
    (["EN-gb"], "en"),
    (["pt_BR"], "pt-BR"),  # an underscore is read as a hyphen
    (["sw", "fr-CA", "de"], "fr"),  # the first the candidate prefers that Eye speaks
    (["sw", "xx"], None),
    ([], None),
])
def test_the_best_match_takes_the_first_preferred_language_eye_speaks(wanted, expected):
    assert best_match(wanted) == expected


def test_the_config_wins_over_the_browser_and_an_unknown_one_warns():
    assert choose("ar", ["de-AT", "en"]) == ("ar", None)
    assert choose(None, ["de-AT", "en"]) == ("de", None)
    assert choose(None, ["sw"]) == ("en", None)
    code, warning = choose("xx", ["en-US"])
    assert code == "en" and "config.language 'xx'" in warning and "es" in warning


def test_every_catalog_is_complete_current_and_keeps_its_placeholders():
    """The CI check (python catalogs.py check): an untranslated, fuzzy or stale message, or a
    translation that lost a {placeholder}, fails here."""
    assert list(catalogs.problems()) == []
    assert set(catalogs.TRANSLATED) == set(LANGUAGES) - {"en"} and len(LANGUAGES) >= 12


def test_the_catalog_check_fails_on_a_lost_placeholder_an_untranslated_and_a_stale_message(tmp_path, monkeypatch):
    copy = tmp_path / "locales"
    shutil.copytree(catalogs.LOCALES, copy)
    po = copy / "es" / "LC_MESSAGES" / "eye.po"
    text = po.read_text()
    text = text.replace('msgstr "{institution} supervisa este examen con Eye."', 'msgstr "Este examen se supervisa con Eye."')
    text = text.replace('msgstr "Rechazar"', 'msgstr ""')
    text += '\nmsgid "A sentence the widget no longer says"\nmsgstr "Una frase vieja"\n'
    po.write_text(text)
    monkeypatch.setattr(catalogs, "LOCALES", copy)
    found = list(catalogs.problems())
    assert any("es:" in p and "placeholders ['institution']" in p for p in found), found
    assert any(p == "es: untranslated 'Decline'" for p in found), found
    assert any("es: stale 'A sentence the widget no longer says'" in p for p in found), found
    assert not any(p.startswith("fr:") for p in found)


def test_every_language_translates_the_whole_consent_notice():
    config = validate({**VALID_CONFIG, "apiKey": "k", "privacyUrl": "https://test.example.edu/privacy",
                       "features": {"screenMonitoring": True, "objectDetection": True, "idVerification": True}})
    english = consent_notice(config, True, True, True, retention_days=90)
    assert "keeps it for 90 days" in english.text() and english.link == ("Test University's privacy policy",
                                                                         "https://test.example.edu/privacy")
    for code in LANGUAGES:
        if code == "en":
            continue
        notice = consent_notice(config, True, True, True, retention_days=90, say=words(code))
        assert len(notice.blocks) == len(english.blocks)
        for ours, theirs in zip(notice.blocks, english.blocks, strict=True):
            assert ours != theirs, (code, ours)  # nothing left in English
        assert "Test University" in notice.text() and "90" in notice.text() and "{" not in notice.text()
        assert notice.link is not None and notice.link[1] == "https://test.example.edu/privacy"


def test_plural_forms_follow_each_language():
    assert words("en").plural("{institution} keeps it for {n} day, then deletes it.",
                              "{institution} keeps it for {n} days, then deletes it.", 1, institution="U") == \
        "U keeps it for 1 day, then deletes it."
    arabic = [words("ar").plural("{institution} keeps it for {n} day, then deletes it.",
                                 "{institution} keeps it for {n} days, then deletes it.", n, institution="U") for n in (1, 2, 5, 30)]
    assert "يومًا واحدًا" in arabic[0] and "يومين" in arabic[1] and "5 أيام" in arabic[2] and "30 يومًا" in arabic[3]
    assert words("ar").direction == "rtl" and words("de").direction == "ltr"


@pytest.mark.parametrize("field, value, problem", [
    ("language", "Spanish please", "BCP 47 language tag"),
    ("language", 3, "must be a string"),
    ("privacyUrl", "javascript:alert(1)", "http(s) URL"),
    ("privacyUrl", "", "must not be empty"),
])
def test_bad_language_or_privacy_url_names_the_field(field, value, problem):
    with pytest.raises(WidgetError) as info:
        validate({**VALID_CONFIG, "apiKey": "k", field: value})
    assert info.value.code == "INVALID_CONFIG" and problem in info.value.details[field]


def _exam(browser, api_key, **config):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, ["STARTED", "SCREEN_SHARE_STOPPED"])
        await widget.init({**VALID_CONFIG, "apiKey": api_key, "features": SCREEN_ONLY, **config})
        browser.shared[0].end()
        await browser.settle()
        await widget.endProctoring()
        return widget, rec

    return run(scenario())


def test_spanish_for_the_candidate_english_for_the_reviewer(app, api_key, browser):
    with app.state.db.session() as s:
        s.scalars(select(Institution)).one().retention_days = 45
    widget, rec = _exam(browser, api_key, language="es")
    overlay = browser.overlays[0]
    assert overlay.language == "es"
    assert overlay.consent_text.startswith("Test University supervisa este examen con Eye.")
    assert "Test University lo conserva 45 días y después lo borra." in overlay.consent_text  # the server's setting
    assert overlay.prompts[0].startswith("Has dejado de compartir tu pantalla.")
    [(name, flag)] = [e for e in rec.events if e[0] == "SCREEN_SHARE_STOPPED"]
    assert flag["description"] == "The candidate stopped sharing their screen"
    with app.state.db.session() as s:
        stored = s.scalars(select(Event).where(Event.type == "SCREEN_SHARE_STOPPED")).one()
        assert stored.payload["description"] == "The candidate stopped sharing their screen"


def test_the_browsers_languages_choose_when_the_config_does_not(app, api_key, browser):
    browser.preferred_languages = ["de-AT", "en"]
    _exam(browser, api_key)
    assert browser.overlays[0].language == "de"
    assert browser.overlays[0].consent_text.startswith("Test University beaufsichtigt diese Prüfung mit Eye.")


def test_an_unknown_language_falls_back_with_a_warning_never_an_error(app, api_key, browser):
    _, rec = _exam(browser, api_key, language="xx")
    assert [n for n, _ in rec.events][0] == "STARTED"
    assert browser.overlays[0].language == "en"
    assert any(level == "warn" and "config.language 'xx'" in text for level, text in browser.logs)


def test_the_catalogs_ship_in_the_wheel():
    import build

    wheel = build.widget_wheel()
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(wheel)).namelist()
    for code in catalogs.TRANSLATED:
        assert f"widget/locales/{code}/LC_MESSAGES/eye.mo" in names
    assert language.catalog_path("ar").exists()


def test_an_exam_without_devices_still_tells_the_candidate_what_it_records(app, api_key, browser):
    from tests.conftest import BROWSER_ONLY

    async def scenario():
        widget = Widget(browser, SERVER)
        started = await widget.init({**BROWSER_ONLY, "apiKey": api_key, "language": "fr"})  # no click needed
        await widget.endProctoring()
        return started

    assert run(scenario())["sessionId"]
    [overlay] = browser.overlays
    text = overlay.informed.text()
    assert text.startswith("Test University surveille cet examen avec Eye.\nCette page enregistre :")
    assert "quand vous quittez l’onglet ou la fenêtre de cet examen" in text and "conserve 30 jours" in text
    assert overlay.consent_text is None and overlay.removed  # never waited for; gone at the end
    quiet = {**BROWSER_ONLY["features"], "tabMonitoring": False, "fullscreen": False, "clipboard": False,
             "multipleScreens": False}

    async def quietly():
        widget = Widget(browser, SERVER)
        await widget.init({**BROWSER_ONLY, "apiKey": api_key, "features": quiet, "candidateId": "c-quiet"})
        await widget.endProctoring()

    run(quietly())
    assert len(browser.overlays) == 1  # nothing recorded from the browser: nothing to tell
