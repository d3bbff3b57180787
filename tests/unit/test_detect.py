"""Pure detectors, replayed on synthetic time (a minute takes milliseconds)."""

import io
import random
import wave

import numpy as np
import pytest

from eye_testing import media
from widget.detect.faces import Face, FaceJudge, FaceThresholds
from widget.detect.identity import cosine
from widget.detect.persistence import Persistence
from widget.detect.snapshots import SnapshotSchedule
from widget.detect.sound import SoundDetector, rms_db, voice_band_ratio
from widget.detect.wav import encode_wav

CENTRED = (0.35, 0.25, 0.3, 0.4)


def face(box=CENTRED, yaw=0.0, emb=None, score=0.95):
    return Face(score=score, box=box, yaw=yaw, embedding=emb)


def replay(judge, frames, seconds, step=0.5, t0=0.0):
    found = []
    t = t0
    while t < t0 + seconds:
        found += [(round(t, 2), f.type) for f in judge.observe(t, frames(t))]
        t += step
    return found


def test_persistence_one_flag_per_incident_and_cooldown():
    p = Persistence(hold=3, cooldown=10)
    fired = [t for t in range(0, 30) if p.update(t < 8 or 12 <= t < 20 or t >= 24, t)]
    assert fired == [3, 15, 27]


def test_persistence_cooldown_suppresses_a_quick_repeat():
    p = Persistence(hold=2, cooldown=10)
    fired = [t for t in range(0, 40) if p.update(t % 6 < 4, t)]
    assert fired == [2, 14, 26, 38]


def test_one_face_for_a_minute_gives_no_flag():
    judge = FaceJudge(identity=False)
    assert replay(judge, lambda t: [face()], 60) == []


def test_absence_after_threshold_once():
    judge = FaceJudge(identity=False)
    assert replay(judge, lambda t: [] if t >= 10 else [face()], 60) == [(13.0, "FACE_ABSENCE")]


def test_multiple_faces_flagged_persistently_only():
    judge = FaceJudge(identity=False)
    flicker = replay(judge, lambda t: [face(), face()] if int(t * 2) % 3 == 0 else [face()], 20)
    assert flicker == []
    two = replay(FaceJudge(identity=False), lambda t: [face(), face((0.0, 0.1, 0.2, 0.3))], 10)
    assert two == [(2.0, "MULTIPLE_FACE")]


def test_low_scores_are_not_faces():
    judge = FaceJudge(identity=False)
    assert replay(judge, lambda t: [face(score=0.2)], 5)[0][1] == "FACE_ABSENCE"


def test_misalignment_from_yaw_or_offset():
    judge = FaceJudge(identity=False)
    assert replay(judge, lambda t: [face(yaw=50)], 10) == [(3.0, "FACE_MISALIGNMENT")]
    judge = FaceJudge(identity=False)
    assert replay(judge, lambda t: [face(box=(0.8, 0.3, 0.2, 0.3))], 10) == [(3.0, "FACE_MISALIGNMENT")]


def test_identity_reference_from_first_clear_frame_then_mismatch():
    rng = np.random.default_rng(0)
    me, other = rng.normal(size=1024), rng.normal(size=1024)
    judge = FaceJudge()
    frames = lambda t: [face(emb=me + rng.normal(scale=0.3, size=1024) if t < 20 else other)]  # noqa: E731
    found = replay(judge, frames, 40, step=1.0)
    assert judge.reference_source == "first clear frame"
    assert found == [(23.0, "FACE_MISMATCH")]


def test_identity_with_given_reference():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=1024)
    judge = FaceJudge(FaceThresholds(mismatch_seconds=2))
    judge.set_reference(ref, "candidateImageUrl")
    found = [f for t in range(6) for f in judge.observe(t, [face(emb=rng.normal(size=1024))])]
    assert [f.type for f in found] == ["FACE_MISMATCH"] and found[0].details["reference"] == "candidateImageUrl"


def test_cosine():
    assert cosine(np.array([1, 0]), np.array([2, 0])) == pytest.approx(1.0)
    assert cosine(np.array([1, 0]), np.array([0, 3])) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        cosine(np.ones(3), np.ones(4))


def feed(detector, samples, chunk=4800):
    found = []
    for i in range(0, samples.size - chunk + 1, chunk):
        t = (i + chunk) / media.RATE
        f = detector.feed(samples[i : i + chunk], t)
        if f:
            found.append((round(t, 1), f, detector.wav()))
    return found


@pytest.mark.parametrize("signal", [media.silence(20), media.silence(20) + np.random.default_rng(0).normal(0, 0.003, 20 * media.RATE).astype(np.float32)])
def test_silence_and_steady_noise_give_no_sound_flag(signal):
    assert feed(SoundDetector(media.RATE), signal) == []


@pytest.mark.parametrize("sound", [media.speechlike(3), media.tone(3)])
def test_sound_is_flagged_once_with_a_decodable_clip(sound):
    noise = np.random.default_rng(0).normal(0, 0.002, 30 * media.RATE).astype(np.float32)
    signal = noise.copy()
    signal[5 * media.RATE : 8 * media.RATE] += sound
    found = feed(SoundDetector(media.RATE), signal)
    assert len(found) == 1
    t, finding, clip = found[0]
    assert finding.type == "SOUND_DETECTED" and 8.0 <= t <= 9.5
    assert 2500 <= finding.details["durationMs"] <= 3800 and finding.details["rmsDb"] > -30
    rate, pcm = media.decode_wav(clip)
    assert rate == media.RATE and 3.0 <= pcm.size / rate <= 4.5
    assert rms_db(pcm) > -30


def test_long_sound_is_flagged_at_the_clip_limit_and_not_repeated_in_cooldown():
    signal = np.concatenate([media.silence(2), media.speechlike(20)])
    found = feed(SoundDetector(media.RATE), signal)
    assert len(found) == 1 and found[0][0] == pytest.approx(8.0, abs=0.3)


def test_voice_band_ratio():
    assert voice_band_ratio(media.tone(0.1, 440), media.RATE) > 0.9
    assert voice_band_ratio(media.tone(0.1, 12000), media.RATE) < 0.1


def test_wav_header_is_standard():
    data = encode_wav(np.linspace(-1, 1, 480, dtype=np.float32), 48000)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 48000, 480)


def test_snapshot_schedule_is_randomized_within_spread():
    s = SnapshotSchedule(60, rng=random.Random(4))
    delays = [s.next_delay() for _ in range(200)]
    assert min(delays) >= 42 and max(delays) <= 78 and len(set(round(d) for d in delays)) > 20
