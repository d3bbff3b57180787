"""The widget config (docs/config.md) and its validation: every error names its field."""

from __future__ import annotations

import math
import re
from typing import Any

from .errors import INVALID_CONFIG, WidgetError

REQUIRED_STRINGS = (
    "apiKey",
    "assessmentId",
    "assessmentTitle",
    "candidateId",
    "candidateEmail",
    "candidateFirstName",
    "candidateLastName",
    "institutionName",
)
FEATURES = ("aiProctoring", "facialRecognition", "tabMonitoring", "fullscreen", "periodicSnapshots", "screenMonitoring",
            "multipleScreens", "clipboard", "objectDetection", "gazeTracking", "livenessCheck", "idVerification")
#: Features off unless asked for: sharing the screen is invasive, so each exam opts in; the camera
#: intelligence features load more models (about 8 MB) and cost CPU, and the ID check adds a step
#: before the exam, so each exam opts in to those too.
OFF_BY_DEFAULT = ("screenMonitoring", "objectDetection", "gazeTracking", "livenessCheck", "idVerification")
#: Features that record the browser's own signals (no device): the consent notice names each.
BROWSER_SIGNALS = ("tabMonitoring", "fullscreen", "clipboard", "multipleScreens")
#: Features that analyse the camera (each needs the face worker).
CAMERA_ANALYSIS = ("aiProctoring", "facialRecognition", "objectDetection", "gazeTracking", "livenessCheck", "idVerification")
OPTIONAL = ("candidateImageUrl", "containerId", "features", "language", "launchToken", "privacyUrl", "snapshotInterval",
            "thresholds")
#: ``config.thresholds`` keys → (detector, attribute). Defaults live in widget/detect/faces.py and
#: widget/detect/sound.py; every value must be a positive number.
THRESHOLDS = {
    "faceAbsenceSeconds": ("face", "absence_seconds"),
    "multipleFaceSeconds": ("face", "multiple_seconds"),
    "faceMismatchSeconds": ("face", "mismatch_seconds"),
    "faceMisalignmentSeconds": ("face", "misalignment_seconds"),
    "faceCooldownSeconds": ("face", "cooldown_seconds"),
    "faceMatchThreshold": ("face", "match_threshold"),
    "maxYawDegrees": ("face", "max_yaw_degrees"),
    "maxPitchDegrees": ("face", "max_pitch_degrees"),
    "maxCentreOffset": ("face", "max_centre_offset"),
    "soundMarginDb": ("sound", "margin_db"),
    "soundMinSeconds": ("sound", "min_seconds"),
    "soundCooldownSeconds": ("sound", "cooldown_seconds"),
    "minWindowShare": ("window", "min_share"),
    "windowResizeSeconds": ("window", "seconds"),
    "objectMinScore": ("objects", "min_score"),
    "objectSeconds": ("objects", "seconds"),
    "objectCooldownSeconds": ("objects", "cooldown_seconds"),
    "objectIntervalSeconds": ("objects", "every_seconds"),
    "prohibitedObjects": ("objects", "prohibited"),
    "maxGazeOffset": ("gaze", "max_offset"),
    "maxGazeOffsetVertical": ("gaze", "max_offset_vertical"),
    "gazeAwaySeconds": ("gaze", "seconds"),
    "gazeCooldownSeconds": ("gaze", "cooldown_seconds"),
    "minAntispoof": ("liveness", "min_antispoof"),
    "minLiveness": ("liveness", "min_liveness"),
    "spoofSeconds": ("liveness", "seconds"),
    "spoofCooldownSeconds": ("liveness", "cooldown_seconds"),
}
#: Thresholds that are shares (fractions or model scores): at most 1.
SHARES = ("minWindowShare", "objectMinScore", "minAntispoof", "minLiveness")
#: Thresholds that are lists of object labels (the object model's COCO names), not numbers.
LABEL_LISTS = ("prohibitedObjects",)
#: The object model's labels (COCO), for checking ``thresholds.prohibitedObjects``.
OBJECT_LABELS = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow", "elephant",
    "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard",
    "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli",
    "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed", "dining table", "toilet",
    "tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
    "refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
)
KNOWN = (*REQUIRED_STRINGS, "examDuration", *OPTIONAL)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: A BCP 47 language tag's shape (``es``, ``pt-BR``, ``zh-Hans``); which ones Eye speaks is widget.language's word.
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
WEB_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
MAX_STRING = 500


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _string_problem(value: Any) -> str | None:
    if value is None:
        return "is required"
    if not isinstance(value, str):
        return f"must be a string, received {type(value).__name__}"
    if not value.strip():
        return "must not be empty"
    if len(value) > MAX_STRING:
        return f"must be at most {MAX_STRING} characters, received {len(value)}"
    return None


def _labels_problem(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"must be a list of object names, received {type(value).__name__}"
    unknown = [v for v in value if v not in OBJECT_LABELS]
    if unknown:
        return f"unknown object name(s) {', '.join(map(repr, unknown))} (known: {', '.join(OBJECT_LABELS)})"
    return None


def validate(raw: Any) -> dict[str, Any]:
    """Return a normalized copy of ``raw`` (features filled with defaults) or raise INVALID_CONFIG.

    All problems are collected, so one call tells the developer every field to fix.
    """
    if not isinstance(raw, dict):
        raise WidgetError(
            INVALID_CONFIG,
            f"Invalid config: expected an object, received {type(raw).__name__}",
            {"config": "must be an object"},
        )
    problems: dict[str, str] = {}
    for key in raw:
        if key not in KNOWN:
            problems[str(key)] = f"is not a known config key (known: {', '.join(KNOWN)})"
    for key in REQUIRED_STRINGS:
        problem = _string_problem(raw.get(key))
        if problem:
            problems[key] = problem
    if "candidateEmail" not in problems and not EMAIL.match(raw["candidateEmail"].strip()):
        problems["candidateEmail"] = "must be an email address"
    duration = raw.get("examDuration")
    if duration is None:
        problems["examDuration"] = "is required"
    elif not _is_number(duration) or duration <= 0:
        problems["examDuration"] = f"must be a positive number of seconds, received {duration!r}"
    for key in ("candidateImageUrl", "containerId", "launchToken"):
        if raw.get(key) is not None:
            problem = _string_problem(raw[key])
            if problem:
                problems[key] = problem
    for key, shape, expected in (
            ("language", LANGUAGE_TAG, 'a BCP 47 language tag such as "es" or "pt-BR"'),
            ("privacyUrl", WEB_URL, "an http(s) URL of the institution's privacy policy")):
        if raw.get(key) is not None:
            problem = _string_problem(raw[key])
            if problem is None and not shape.match(raw[key].strip()):
                problem = f"must be {expected}, received {raw[key]!r}"
            if problem:
                problems[key] = problem
    interval = raw.get("snapshotInterval")
    if interval is not None and (not _is_number(interval) or interval <= 0):
        problems["snapshotInterval"] = f"must be a positive number of seconds, received {interval!r}"
    thresholds = raw.get("thresholds")
    if thresholds is not None:
        if not isinstance(thresholds, dict):
            problems["thresholds"] = f"must be an object of numbers, received {type(thresholds).__name__}"
        else:
            for name, value in thresholds.items():
                if name not in THRESHOLDS:
                    problems[f"thresholds.{name}"] = f"is not a known threshold (known: {', '.join(THRESHOLDS)})"
                elif name in LABEL_LISTS:
                    problem = _labels_problem(value)
                    if problem:
                        problems[f"thresholds.{name}"] = problem
                elif not _is_number(value) or value <= 0:
                    problems[f"thresholds.{name}"] = f"must be a positive number, received {value!r}"
                elif name in SHARES and value > 1:
                    problems[f"thresholds.{name}"] = (
                        f"must be {'a share of the screen' if name == 'minWindowShare' else 'a score'} from 0 to 1, "
                        f"received {value!r}")
    normalized_features = features_of(raw.get("features"), "features", problems)
    if problems:
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise WidgetError(INVALID_CONFIG, f"Invalid config: {summary}", problems)
    config = {k: (v.strip() if isinstance(v, str) else v) for k, v in raw.items() if v is not None}
    config["features"] = normalized_features
    return config


def features_of(value: Any, where: str, problems: dict[str, str]) -> dict[str, bool]:
    """Every feature, defaults filled in, from ``value`` (a ``features`` object or None); what is
    wrong with it goes into ``problems`` under ``where`` (``features.faceMagic``)."""
    normalized = {name: name not in OFF_BY_DEFAULT for name in FEATURES}
    if value is None:
        return normalized
    if not isinstance(value, dict):
        problems[where] = f"must be an object of booleans, received {type(value).__name__}"
        return normalized
    for name, on in value.items():
        if name not in FEATURES:
            problems[f"{where}.{name}"] = f"is not a known feature (known: {', '.join(FEATURES)})"
        elif not isinstance(on, bool):
            problems[f"{where}.{name}"] = f"must be true or false, received {on!r}"
        else:
            normalized[name] = on
    return normalized


def devices(features: dict[str, bool]) -> dict[str, bool]:
    """What ``features`` need: the face worker (``faces``), the camera, the microphone, the screen."""
    faces = any(features[name] for name in CAMERA_ANALYSIS)
    return {"faces": faces, "camera": faces or features["periodicSnapshots"], "microphone": features["aiProctoring"],
            "screen": features["screenMonitoring"]}


def face_models(features: dict[str, bool]) -> dict[str, bool]:
    """Which of the face worker's further models ``features`` need (its ``face_analyzer`` arguments)."""
    return {"objects": features["objectDetection"] or features["livenessCheck"],  # a face shown on a device
            "gaze": features["gazeTracking"], "liveness": features["livenessCheck"]}


def public(config: dict[str, Any]) -> dict[str, Any]:
    """The config as listeners and the server's session record see it: without the API key and
    the launch token (credentials, sent to the server on their own)."""
    return {k: v for k, v in config.items() if k not in ("apiKey", "launchToken")}


def thresholds_for(config: dict[str, Any], detector: str, defaults: Any) -> Any:
    """``defaults`` (a thresholds dataclass) with the config's overrides for ``detector`` applied."""
    for name, value in (config.get("thresholds") or {}).items():
        target, attribute = THRESHOLDS[name]
        if target == detector:
            setattr(defaults, attribute, tuple(value) if name in LABEL_LISTS else float(value))
    return defaults
