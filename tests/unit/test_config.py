import pytest

from tests.conftest import VALID_CONFIG
from widget.config import FEATURES, OFF_BY_DEFAULT, REQUIRED_STRINGS, public, validate
from widget.errors import INVALID_CONFIG, WidgetError


def valid(**changes):
    cfg = {**VALID_CONFIG, "apiKey": "eye_key", **changes}
    return {k: v for k, v in cfg.items() if v is not ...}


def problems(cfg) -> dict:
    with pytest.raises(WidgetError) as info:
        validate(cfg)
    assert info.value.code == INVALID_CONFIG
    return info.value.details


def test_valid_config_gets_default_features():
    cfg = validate(valid(features={"fullscreen": False}))
    assert cfg["features"] == {name: name not in ("fullscreen", *OFF_BY_DEFAULT) for name in FEATURES}
    assert set(OFF_BY_DEFAULT) == {"screenMonitoring", "objectDetection", "gazeTracking", "livenessCheck", "idVerification"}
    assert validate(valid(features={"screenMonitoring": True}))["features"]["screenMonitoring"] is True  # opt-in


def test_window_share_is_a_fraction():
    assert "share of the screen from 0 to 1" in problems(valid(thresholds={"minWindowShare": 1.5}))["thresholds.minWindowShare"]
    assert validate(valid(thresholds={"minWindowShare": 0.6, "windowResizeSeconds": 5}))["thresholds"]["minWindowShare"] == 0.6


@pytest.mark.parametrize("field", REQUIRED_STRINGS)
def test_each_missing_required_field_is_named(field):
    assert problems(valid(**{field: ...})) == {field: "is required"}


def test_every_problem_is_reported_at_once():
    found = problems({"apiKey": "", "candidateEmail": "nope", "examDuration": -5, "colour": "red"})
    assert set(found) >= {"apiKey", "candidateEmail", "examDuration", "colour", "assessmentId"}
    assert found["apiKey"] == "must not be empty"
    assert found["candidateEmail"] == "must be an email address"
    assert "positive number" in found["examDuration"]
    assert "not a known config key" in found["colour"]


@pytest.mark.parametrize("duration", [0, -1, "60", True, float("nan"), float("inf"), None])
def test_exam_duration_must_be_a_positive_number(duration):
    assert "examDuration" in problems(valid(examDuration=duration))


def test_features_must_be_known_booleans():
    found = problems(valid(features={"tabMonitoring": "yes", "xray": True}))
    assert set(found) == {"features.tabMonitoring", "features.xray"}


def test_not_an_object():
    assert problems(["a"]) == {"config": "must be an object"}


def test_message_names_fields():
    with pytest.raises(WidgetError) as info:
        validate(valid(candidateEmail="x"))
    assert "candidateEmail: must be an email address" in str(info.value)
    assert info.value.fields == ["candidateEmail"]


def test_public_config_drops_the_api_key():
    assert "apiKey" not in public(validate(valid()))


def test_thresholds_are_known_positive_numbers_and_apply():
    from widget.config import thresholds_for
    from widget.detect.faces import FaceThresholds

    found = problems(valid(thresholds={"faceAbsenceSeconds": 0, "blink": 1}))
    assert set(found) == {"thresholds.faceAbsenceSeconds", "thresholds.blink"}
    cfg = validate(valid(thresholds={"faceAbsenceSeconds": 5, "soundMarginDb": 20}))
    assert thresholds_for(cfg, "face", FaceThresholds()).absence_seconds == 5.0
