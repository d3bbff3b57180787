"""Camera intelligence (#12) under CPython: prohibited objects, gaze, liveness and the photo-ID
check — the decisions (detect/) and the whole widget with scripted detections (fake browser)."""

import numpy as np
import pytest
from sqlalchemy import select

from server.outcomes.score import WEIGHTS
from server.store import Event, Media
from tests.conftest import VALID_CONFIG
from tests.unit.conftest import SERVER
from tests.unit.test_widget import Recorder, run
from tests.unit.test_widget_media import ME, OTHER, person, play
from widget import events as ev
from widget.api import Widget
from widget.config import validate
from widget.detect.faces import Face, FaceJudge
from widget.detect.gaze import GazeJudge, GazeThresholds
from widget.detect.idcheck import IdCheck
from widget.detect.liveness import SpoofJudge
from widget.detect.objects import ObjectJudge, ObjectThresholds, Thing
from widget.errors import WidgetError
from widget.notice import consent_notice

NEW = [ev.PROHIBITED_OBJECT, ev.GAZE_AWAY, ev.SPOOF_SUSPECTED, ev.ID_VERIFIED, ev.ID_MISMATCH]
ALL_ON = {"objectDetection": True, "gazeTracking": True, "livenessCheck": True}
PHONE = {"label": "cell phone", "score": 0.57, "box": [0.76, 0.5, 0.12, 0.3]}


# --- the decisions -------------------------------------------------------------------------------

def test_one_glimpse_of_a_phone_is_not_a_flag_a_phone_kept_in_view_is():
    judge = ObjectJudge()
    phone = [Thing.from_dict(PHONE)]
    assert judge.observe(0, phone) == [] and judge.observe(3, []) == []  # seen once, gone
    assert judge.observe(6, phone) == [] and judge.observe(9, phone) == []
    [finding] = judge.observe(12, phone)
    assert finding.type == ev.PROHIBITED_OBJECT and finding.details["objects"] == [{"label": "cell phone", "score": 0.57}]
    assert judge.observe(15, phone) == []  # the same incident


def test_low_scores_and_allowed_objects_do_not_count():
    judge = ObjectJudge(ObjectThresholds(prohibited=("book",)))
    things = [Thing.from_dict(PHONE), Thing("book", 0.3, (0, 0, 0.1, 0.1)), Thing("person", 0.9, (0, 0, 1, 1))]
    assert all(judge.observe(t, things) == [] for t in range(0, 30, 3))


def test_gaze_is_calibrated_on_the_candidate_then_eyes_aside_flag():
    judge = GazeJudge()
    offset = (0.08, -0.05)  # this candidate's "looking at the screen" (camera beside the screen, glasses)
    for i in range(6):
        assert judge.observe(i * 0.5, offset, aligned=True, score=0.95) == []
    assert judge.baseline == pytest.approx(offset)
    # looking at the screen as calibrated: never a flag, however long
    assert all(judge.observe(3 + i * 0.5, (0.1, -0.04), aligned=True, score=0.95) == [] for i in range(40))
    # eyes to the side, head still facing the screen: one flag after 4 s
    found = [f for i in range(12) for f in judge.observe(30 + i * 0.5, (-0.1, -0.05), aligned=True, score=0.95)]
    assert [f.type for f in found] == [ev.GAZE_AWAY] and found[0].details["direction"] == "left"


def test_gaze_ignores_a_turned_head_and_frames_without_eyes():
    judge = GazeJudge(GazeThresholds(calibration_frames=2))
    judge.observe(0, (0, 0), aligned=True, score=0.9)
    judge.observe(0.5, (0, 0), aligned=True, score=0.9)
    assert all(judge.observe(1 + i, (0.4, 0), aligned=False, score=0.9) == [] for i in range(20))  # misalignment's job
    assert all(judge.observe(30 + i, None, aligned=True, score=0.9) == [] for i in range(20))


def test_a_face_inside_a_phone_is_a_spoof_and_never_the_identity_reference():
    spoof = SpoofJudge()
    judge = FaceJudge(spoof=spoof)
    shown = Face(score=0.99, box=(0.39, 0.14, 0.19, 0.25), embedding=np.ones(8, dtype=np.float32), real=0.44, live=1.0)
    phone = [Thing("cell phone", 0.31, (0.39, 0.1, 0.2, 0.42))]
    found = judge.observe(0, [shown], phone)
    assert judge.suspect() and judge.reference is None  # never learnt from a face on a phone
    for t in (1, 2, 3, 4):
        found += judge.observe(t, [shown], phone if t == 3 else None)
    [finding] = [f for f in found if f.type == ev.SPOOF_SUSPECTED]
    assert finding.details["reasons"] == ["device"] and finding.details["device"]["label"] == "cell phone"
    assert finding.details["antispoof"] == 0.44 and finding.details["liveness"] == 1.0


def test_low_antispoof_or_liveness_scores_are_a_spoof_normal_scores_are_not():
    judge = SpoofJudge()
    assert all(judge.observe(t, 0.45, 0.98) == [] for t in range(10))  # the clean clips' scores
    found = [f for t in range(10, 20) for f in judge.observe(t, 0.12, 0.9)]
    assert [f.details["reasons"] for f in found] == [["antispoof"]]
    judge = SpoofJudge()
    assert [f.details["reasons"] for t in range(10) for f in judge.observe(t, 0.5, 0.1)] == [["liveness"]]


def test_a_spoof_does_not_clear_a_running_mismatch():
    judge = FaceJudge(spoof=SpoofJudge())
    judge.set_reference(ME, "candidateImageUrl")
    other = Face(score=0.97, box=(0.35, 0.25, 0.3, 0.4), embedding=OTHER.astype(np.float32), real=0.6, live=1.0)
    me_on_a_phone = Face(score=0.97, box=(0.35, 0.25, 0.3, 0.4), embedding=ME.astype(np.float32), real=0.1, live=1.0)
    found = judge.observe(0, [other]) + judge.observe(1, [other])
    found += judge.observe(2, [me_on_a_phone])  # the right face, shown on a phone: proves nothing
    found += judge.observe(3, [other])
    assert [f.type for f in found] == [ev.FACE_MISMATCH]


def test_the_id_check_compares_the_card_with_the_live_face_and_counts_tries():
    live = Face(0.99, (0.3, 0.2, 0.35, 0.45), embedding=ME.astype(np.float32))
    card = Face(0.9, (0.7, 0.5, 0.12, 0.16), embedding=(ME + np.random.default_rng(1).normal(scale=0.3, size=ME.size)).astype(np.float32))
    stranger = Face(0.9, (0.7, 0.5, 0.12, 0.16), embedding=OTHER.astype(np.float32))
    check = IdCheck(threshold=0.6, min_score=0.5)
    first = check.attempt([card, live])  # order does not matter: the larger face is the candidate
    assert first.match and first.live is live and check.done
    check = IdCheck(threshold=0.6, min_score=0.5)
    assert "not found" in (check.attempt([live]).problem or "")
    assert not check.done and not check.attempt([live, stranger]).match and not check.done
    check.attempt([live, stranger])
    assert check.done and not check.attempts[-1].match and check.best_similarity() < 0.6


# --- config, vocabulary ----------------------------------------------------------------------------

def test_config_checks_the_new_thresholds_and_labels():
    cfg = validate({**VALID_CONFIG, "apiKey": "k", "thresholds": {"prohibitedObjects": ["cell phone", "book"], "minAntispoof": 0.2}})
    assert cfg["features"]["objectDetection"] is False  # opt-in
    with pytest.raises(WidgetError) as info:
        validate({**VALID_CONFIG, "apiKey": "k", "thresholds": {"prohibitedObjects": ["smartwatch"], "minLiveness": 2, "gazeAwaySeconds": "4"}})
    details = info.value.details
    assert "'smartwatch'" in details["thresholds.prohibitedObjects"]
    assert "from 0 to 1" in details["thresholds.minLiveness"] and "positive number" in details["thresholds.gazeAwaySeconds"]


def test_every_new_flag_has_a_weight_a_label_and_may_carry_evidence():
    for name in NEW:
        assert name in ev.EVENTS and name in ev.LABELS and name in ev.MEDIA_EVENTS
        if name != ev.ID_VERIFIED:
            assert name in ev.FLAGS and name in WEIGHTS
    assert ev.ID_VERIFIED not in ev.FLAGS  # a result, not a violation


def test_the_consent_text_names_what_is_analysed():
    config = validate({**VALID_CONFIG, "apiKey": "k", "features": {**ALL_ON, "idVerification": True}})
    text = consent_notice(config, camera=True, microphone=True).text()
    for words in ("phones, books", "where your eyes look", "not a photo or a screen", "photo ID"):
        assert words in text
    assert "photo ID" not in consent_notice(validate({**VALID_CONFIG, "apiKey": "k"}), camera=True, microphone=True).text()


# --- the widget, with scripted detections -------------------------------------------------------

FLAGGED = ["FACE_ABSENCE", "MULTIPLE_FACE", "FACE_MISMATCH", "FACE_MISALIGNMENT", "SOUND_DETECTED", *NEW,
           "SUSPICIOUS_ACTIVITY", "STARTED"]


def exam(browser, api_key, seconds, features, **config):
    async def scenario():
        widget = Widget(browser, SERVER)
        rec = Recorder(widget, FLAGGED)
        await widget.init({**VALID_CONFIG, "apiKey": api_key, "features": features, **config})
        await play(browser, seconds)
        diagnostics = widget.diagnostics()
        await widget.endProctoring()
        return rec, diagnostics

    return run(scenario())


def test_a_phone_in_view_flags_prohibited_object_with_a_jpeg_at_a_lower_rate(app, api_key, browser):
    browser.faces = lambda t: [{**person(), "gaze": [0.0, 0.0], "real": 0.6, "live": 1.0}]
    t0 = browser.now()
    browser.objects = lambda t: [PHONE] if t >= t0 + 10 else []
    rec, diagnostics = exam(browser, api_key, 30, {"objectDetection": True})
    flagged = [(n, p) for n, p in rec.events if n == ev.PROHIBITED_OBJECT]
    assert len(flagged) == 1 and flagged[0][1]["details"]["objects"][0]["label"] == "cell phone"
    assert flagged[0][1]["mediaFile"].type == "image/jpeg"
    assert browser.analyzers[0].extras == {"objects": True, "gaze": False, "liveness": False}
    assert 8 <= diagnostics["objectPasses"] <= 12 < diagnostics["framesAnalysed"]  # every 3 s, faces every 0.5 s
    with app.state.db.session() as s:
        [stored] = s.scalars(select(Event).where(Event.type == ev.PROHIBITED_OBJECT)).all()
        assert s.scalars(select(Media).where(Media.event_client_id == stored.client_id)).first() is not None


def test_a_switched_off_feature_never_flags_and_loads_no_model(api_key, browser):
    browser.faces = lambda t: [{**person(), "gaze": [0.3, 0.0], "real": 0.05, "live": 0.05}]
    browser.objects = lambda t: [PHONE]
    rec, diagnostics = exam(browser, api_key, 20, {})
    assert not set(rec.names()) & set(NEW)
    assert browser.analyzers[0].extras == {"objects": False, "gaze": False, "liveness": False}
    assert diagnostics["objectPasses"] == 0


def test_eyes_aside_with_the_head_forward_flags_gaze_away(api_key, browser):
    t0 = browser.now()
    browser.faces = lambda t: [{**person(), "gaze": [0.02, 0.0] if t < t0 + 10 else [0.25, 0.0]}]
    rec, _ = exam(browser, api_key, 20, {"gazeTracking": True})
    assert [n for n in rec.names() if n in NEW] == [ev.GAZE_AWAY]


def test_a_face_on_a_phone_flags_spoof_suspected_and_clean_scores_flag_nothing(api_key, browser):
    browser.faces = lambda t: [{**person(), "real": 0.44, "live": 1.0, "box": [0.39, 0.14, 0.19, 0.25]}]
    browser.objects = lambda t: [{"label": "cell phone", "score": 0.31, "box": [0.39, 0.1, 0.2, 0.42]}]
    rec, _ = exam(browser, api_key, 15, {"livenessCheck": True})
    assert [n for n in rec.names() if n in NEW] == [ev.SPOOF_SUSPECTED]
    assert browser.analyzers[0].extras == {"objects": True, "gaze": False, "liveness": True}


def test_every_new_feature_on_a_clean_candidate_flags_nothing(api_key, browser):
    browser.faces = lambda t: [{**person(), "gaze": [0.03, -0.02], "real": 0.45, "live": 0.98}]
    browser.objects = lambda t: [{"label": "person", "score": 0.7, "box": [0.3, 0.2, 0.4, 0.6]}]
    rec, _ = exam(browser, api_key, 40, ALL_ON)
    assert [n for n in rec.names() if n != "STARTED"] == []


@pytest.mark.parametrize("card, expected", [(ME, [ev.ID_VERIFIED]), (OTHER, [ev.ID_VERIFIED, ev.ID_MISMATCH])])
def test_the_photo_id_check_before_started(app, api_key, browser, card, expected):
    live = person()
    id_face = {**person(card), "box": [0.7, 0.5, 0.12, 0.16]}
    browser.id_frames = [[live, id_face]] * 3
    browser.faces = lambda t: [person()]
    rec, _ = exam(browser, api_key, 5, {"idVerification": True})
    names = [n for n in rec.names() if n in (*NEW, "STARTED")]
    assert names == [*expected, "STARTED"]  # decided before STARTED
    verified = dict(rec.events)[ev.ID_VERIFIED]
    assert verified["match"] is (card is ME) and verified["mediaFile"].type == "image/jpeg"
    assert verified["tries"] == (1 if card is ME else 3)
    overlay = browser.overlays[0]
    assert len(overlay.prompts) == verified["tries"] and "photo ID" in overlay.prompts[0]
    if card is not ME:
        assert "does not look like you" in overlay.prompts[1]
    with app.state.db.session() as s:
        kinds = [e.type for e in s.scalars(select(Event).where(Event.type.in_(NEW)))]
        assert sorted(kinds) == sorted(expected)
        assert len(s.scalars(select(Media)).all()) >= len(expected)  # the ID picture is evidence


def test_a_matching_id_makes_the_candidate_the_identity_reference(api_key, browser):
    browser.id_frames = [[person(), {**person(), "box": [0.7, 0.5, 0.12, 0.16]}]]
    browser.faces = lambda t: [person(OTHER)]  # then someone else sits down
    rec, _ = exam(browser, api_key, 10, {"idVerification": True})
    assert ev.FACE_MISMATCH in rec.names()


def test_embeddings_thin_out_while_the_same_face_stays_and_come_at_once_when_it_changes():
    """The costly embedding: every 3 s, every 9 s once the same face kept matching in place, and on
    the very next frame when the one face in view is new or jumped (a swap shows as a change)."""
    judge = FaceJudge()
    me = lambda box=(0.35, 0.25, 0.3, 0.4): Face(0.97, box, embedding=ME.astype(np.float32))  # noqa: E731
    last, embedded = None, []
    for i in range(60):  # 30 s at 2 frames/s, the same face in place
        t = i * 0.5
        due = judge.embedding_due(t, last)
        if due:
            last = t
            embedded.append(t)
        judge.observe(t, [me()] if due else [Face(0.97, (0.35, 0.25, 0.3, 0.4))])
    assert embedded == [0, 3, 6, 9, 18, 27]
    judge.observe(30, [me(box=(0.05, 0.1, 0.3, 0.4))])  # the face jumped: someone else?
    assert judge.embedding_due(30.5, last)
    judge.observe(30.5, [me(box=(0.05, 0.1, 0.3, 0.4))])
    assert not judge.embedding_due(31, 30.5)  # checked; back to every 3 s until steady again
    assert judge.embedding_due(33.5, 30.5)
    judge.observe(34, [])  # nobody: nothing to embed
    judge.observe(34.5, [me(), me(box=(0.6, 0.1, 0.2, 0.3))])  # two faces: no rush either
    assert not judge.embedding_due(35, 34.9)


def test_the_consent_text_names_every_signal_the_exam_records_and_who_sees_it():
    """Informed consent (issue 23): not only the camera and microphone, but the browser signals the
    features record, and who reviews the evidence."""
    config = validate({**VALID_CONFIG, "apiKey": "k"})  # default features: tab, fullscreen, clipboard, screens on
    text = consent_notice(config, camera=True, microphone=True).text()
    for words in ("leave this exam's tab or window", "leave fullscreen", "copy, cut or paste",
                  "more than one screen", "reviewers at Test University"):
        assert words in text, (words, text)
    quiet = validate({**VALID_CONFIG, "apiKey": "k", "features": {
        "tabMonitoring": False, "fullscreen": False, "clipboard": False, "multipleScreens": False}})
    text = consent_notice(quiet, camera=True, microphone=True).text()
    assert "fullscreen" not in text and "paste" not in text and "tab" not in text
