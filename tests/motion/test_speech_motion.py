"""Speech-motion stage: viseme coarticulation, bilabial closure, loudness, silence, acoustic path."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from moodtalk.motion import MOUTH_SHAPES, VISEME_TARGETS, MotionConfig, speech_motion
from moodtalk.types import BLENDSHAPE_NAMES, AudioTrack, PhoneSegment, PhoneTimeline, SpeechFeatures

VISEME_OF = {"SIL": "sil", "M": "PP", "P": "PP", "B": "PP", "AA": "aa", "IY": "ih", "UW": "ou", "S": "SS"}
PHONEMES = MotionConfig(path="phonemes")
ACOUSTIC = MotionConfig(path="acoustic")


def timeline(phones: list[tuple[str, float]], start: float = 0.2, confidence: float = 0.9) -> PhoneTimeline:
    """Back-to-back phones of the given durations after ``start`` s of silence."""
    segs, t = [PhoneSegment("SIL", 0.0, start, "sil")], start
    for phone, dur in phones:
        segs.append(PhoneSegment(phone, t, t + dur, VISEME_OF[phone]))
        t += dur
    segs.append(PhoneSegment("SIL", t, t + 0.3, "sil"))
    return PhoneTimeline(tuple(segs), confidence, "test")


def features(
    n: int, fps: float, speech: np.ndarray | None = None, rms: np.ndarray | None = None, f1: float = 600.0
) -> SpeechFeatures:
    """Hand-made features: speech everywhere (or as given) at -20 dBFS, voiced where speech."""
    speech = np.ones(n, bool) if speech is None else speech
    rms = np.where(speech, -20.0, -80.0).astype(np.float32) if rms is None else rms.astype(np.float32)
    spectral = np.tile(np.array([1500.0, 0.1, 3000.0, 20.0, f1, 1500.0], np.float32), (n, 1))
    return SpeechFeatures(
        mel=np.zeros((n, 4), np.float32), rms=rms, f0=np.where(speech, 120.0, np.nan).astype(np.float32),
        voiced=speech.copy(), speech=speech, spectral=spectral,
        spectral_names=("centroid_hz", "flatness", "rolloff_hz", "low_high_db", "f1_hz", "f2_hz"), fps=fps,
    )  # fmt: skip


def col(track, name: str) -> np.ndarray:
    return track.column(name).astype(np.float64)


def lip_gap(track) -> np.ndarray:
    """Inner-lip gap implied by the weights (IOD units), from the face model's shape definitions:
    jaw 0.55 at 1.0, mouthClose cancels 0.9 of the jaw on the lower lip and lowers the upper lip 0.04,
    lip raisers/lowerers/funnel part the lips, press and shrugLower bring them together."""
    w = lambda n: col(track, n)  # noqa: E731
    pair = lambda n: 0.5 * (w(n + "Left") + w(n + "Right"))  # noqa: E731
    return (0.55 * w("jawOpen") - 0.535 * w("mouthClose") + 0.08 * pair("mouthLowerDown") + 0.08 * pair("mouthUpperUp")
            + 0.09 * w("mouthFunnel") - 0.06 * pair("mouthPress") - 0.05 * w("mouthShrugLower"))  # fmt: skip


def frame_at(t: float, fps: float) -> int:
    return int(np.floor(t * fps))


def test_bilabials_close_and_vowels_open() -> None:
    fps = 25.0
    phones = timeline([("M", 0.08), ("AA", 0.2), ("P", 0.03), ("AA", 0.2)])
    n = frame_at(1.2, fps)
    track = speech_motion(features(n, fps), phones, PHONEMES)
    jaw, close = col(track, "jawOpen"), col(track, "mouthClose")
    gap = lip_gap(track)
    for seg in phones.segments:
        i = frame_at(0.5 * (seg.start + seg.end), fps)
        if seg.viseme == "PP":
            assert jaw[i] < 0.1 and gap[i] <= 0.0, (seg, jaw[i], gap[i])
            assert close[i] >= 0.9 * jaw[i] > 0  # closed by mouthClose against the jaw, not just a shut jaw
            assert col(track, "mouthPressLeft")[i] > 0.2
            for name in ("mouthFunnel", "mouthLowerDownLeft", "mouthUpperUpLeft"):
                assert col(track, name)[i] < 1e-6
        elif seg.viseme == "aa":
            assert jaw[i] > 0.3 and gap[i] > 0.15, (seg, jaw[i])


def test_short_bilabial_closes_at_any_fps() -> None:
    for fps in (24.0, 25.0, 29.97, 60.0):
        phones = timeline([("AA", 0.15), ("P", 0.03), ("AA", 0.15)])
        track = speech_motion(features(frame_at(1.0, fps), fps), phones, PHONEMES)
        p = next(s for s in phones.segments if s.phone == "P")
        i = frame_at(0.5 * (p.start + p.end), fps)
        assert lip_gap(track)[i] <= 0.0 and col(track, "jawOpen")[i] < 0.1, fps


def test_rounded_and_spread_vowels() -> None:
    fps = 25.0
    phones = timeline([("UW", 0.25), ("S", 0.1), ("IY", 0.25)])
    track = speech_motion(features(frame_at(1.2, fps), fps), phones, PHONEMES)
    uw, iy = (frame_at(0.5 * (s.start + s.end), fps) for s in phones.segments if s.phone in ("UW", "IY"))
    assert col(track, "mouthPucker")[uw] > 0.5 > col(track, "mouthPucker")[iy]
    assert col(track, "mouthStretchLeft")[iy] > 0.2 > col(track, "mouthStretchLeft")[uw]


@pytest.mark.parametrize("fps", [24.0, 25.0, 30.0, 60.0])
@pytest.mark.parametrize("config", [PHONEMES, ACOUSTIC, MotionConfig(), MotionConfig(path="learned")])
def test_output_contract(fps: float, config: MotionConfig) -> None:
    n = frame_at(1.5, fps)
    rng = np.random.default_rng(0)
    rms = -30 + 15 * rng.random(n)
    rms[:3] = np.nan  # bad input values must not leak out
    f = features(n, fps, rms=rms)
    track = speech_motion(f, timeline([("M", 0.1), ("AA", 0.3), ("S", 0.1), ("UW", 0.3)]), config)
    assert track.names == BLENDSHAPE_NAMES and track.fps == fps
    assert track.weights.shape == (n, len(BLENDSHAPE_NAMES)) and track.weights.dtype == np.float32
    assert np.isfinite(track.weights).all() and track.weights.min() >= 0 and track.weights.max() <= 1
    others = [i for i, name in enumerate(BLENDSHAPE_NAMES) if name not in MOUTH_SHAPES]
    assert not track.weights[:, others].any()
    assert track.weights.any()


def test_empty_and_tiny_inputs() -> None:
    for n in (0, 1, 2, 3):
        for config in (PHONEMES, ACOUSTIC):
            track = speech_motion(features(n, 25.0), PhoneTimeline((), 0.0, "none"), config)
            assert track.weights.shape == (n, len(BLENDSHAPE_NAMES)) and np.isfinite(track.weights).all()


def test_silence_is_neutral_and_relaxes_smoothly() -> None:
    fps = 50.0
    n = 100
    silent = speech_motion(features(n, fps, speech=np.zeros(n, bool)), timeline([]), PHONEMES)
    assert not silent.weights.any()
    assert not speech_motion(features(n, fps, speech=np.zeros(n, bool)), None, ACOUSTIC).weights.any()
    # Speech stops at frame 50 in the middle of a vowel: the jaw decays (no snap) and reaches ~0.
    speech = np.arange(n) < 50
    phones = PhoneTimeline((PhoneSegment("AA", 0.0, 1.2, "aa"),), 0.9, "test")
    f = features(n, fps, speech=speech, rms=np.full(n, -20.0))  # loudness steady: only the speech mask changes
    jaw = col(speech_motion(f, phones, PHONEMES), "jawOpen")
    assert jaw[49] > 0.3
    assert 0.05 < jaw[51] < jaw[50] < jaw[49]  # 20 ms later: still well open
    assert jaw[50 + int(0.4 * fps)] < 0.01  # 5 time constants later: relaxed


def test_louder_opens_wider() -> None:
    fps = 25.0
    n = 75
    phones = PhoneTimeline(
        (PhoneSegment("AA", 0.0, 1.0, "aa"), PhoneSegment("AA", 1.0, 2.0, "aa"), PhoneSegment("AA", 2.0, 3.0, "aa")),
        0.9, "test",
    )  # fmt: skip
    rms = np.repeat([-30.0, -20.0, -10.0], 25)
    jaw = col(speech_motion(features(n, fps, rms=rms), phones, PHONEMES), "jawOpen")
    quiet, mid, loud = jaw[12], jaw[37], jaw[62]
    assert quiet < mid < loud
    assert loud > 1.2 * quiet


def test_auto_path_follows_confidence() -> None:
    fps = 25.0
    f = features(30, fps, f1=250.0)  # a flat 'vowel' with a closed-vowel F1: acoustic opening is small
    sure = timeline([("AA", 0.8)], confidence=0.95)
    unsure = timeline([("AA", 0.8)], confidence=0.1)
    by_auto_sure = speech_motion(f, sure).weights
    by_auto_unsure = speech_motion(f, unsure).weights
    learned = MotionConfig(path="learned")
    # auto = the learned path: the phone model with confident phones, the acoustic model otherwise.
    assert np.array_equal(by_auto_sure, speech_motion(f, sure, learned).weights)
    assert np.array_equal(by_auto_unsure, speech_motion(f, unsure, learned).weights)
    assert np.array_equal(by_auto_unsure, speech_motion(f, None, learned).weights)  # unsure phones: ignored
    assert not np.array_equal(by_auto_sure, by_auto_unsure)
    assert np.array_equal(speech_motion(f, None).weights, speech_motion(f, None, learned).weights)
    with pytest.raises(ValueError):
        speech_motion(f, sure, MotionConfig(path="visemes"))  # type: ignore[arg-type]


def test_acoustic_closure_in_energy_dip() -> None:
    """A voiced tone burst with an 80 ms, 20 dB dip in the middle: the lips close in the dip."""
    fps = 25.0
    n = 80
    rms = np.full(n, -15.0)
    rms[39:41] = -35.0  # 2 frames = 80 ms
    speech = np.zeros(n, bool)
    speech[20:60] = True
    rms[~speech] = -80.0
    f = features(n, fps, speech=speech, rms=rms)
    track = speech_motion(f, None, ACOUSTIC)
    gap, jaw = lip_gap(track), col(track, "jawOpen")
    assert gap[39:41].min() <= 0.0 and jaw[39:41].min() < 0.1
    assert jaw[30] > 0.2 and jaw[50] > 0.2  # open on both sides
    assert np.abs(track.weights[:3]).max() < 1e-3 and np.abs(track.weights[-3:]).max() < 1e-3  # relaxed in silence
    assert np.count_nonzero(gap[20:60] <= 0.0) <= 2  # no closure where there is no dip


def test_acoustic_opening_follows_f1_and_rounding_f2() -> None:
    fps = 25.0
    open_vowel = col(speech_motion(features(40, fps, f1=700.0), None, ACOUSTIC), "jawOpen")[20]
    close_vowel = col(speech_motion(features(40, fps, f1=280.0), None, ACOUSTIC), "jawOpen")[20]
    assert open_vowel > 1.5 * close_vowel > 0
    f = features(40, fps)
    spectral = f.spectral.copy()
    spectral[:, 5] = 900.0  # F2 of /u/
    rounded = SpeechFeatures(**{**f.__dict__, "spectral": spectral})
    assert col(speech_motion(rounded, None, ACOUSTIC), "mouthPucker")[20] > 0.2


def test_viseme_table_covers_all_visemes() -> None:
    visemes = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")
    assert set(visemes) <= set(VISEME_TARGETS)
    assert VISEME_TARGETS["sil"] == {}
    assert VISEME_TARGETS["aa"]["jawOpen"] > VISEME_TARGETS["oh"]["jawOpen"] > VISEME_TARGETS["ih"]["jawOpen"]


@pytest.fixture(scope="module")
def espeak_audio(tmp_path_factory: pytest.TempPathFactory) -> AudioTrack:
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not on PATH")
    path = Path(tmp_path_factory.mktemp("espeak")) / "map.wav"
    subprocess.run([exe, "-w", str(path), "Peter bought a map of Bombay"], check=True, capture_output=True)
    samples, sr = sf.read(path, dtype="float32", always_2d=True)
    return AudioTrack(np.ascontiguousarray(samples.mean(axis=1)), sr)


def test_espeak_end_to_end(espeak_audio: AudioTrack) -> None:
    from moodtalk.audio import recognize_phones, speech_features

    fps = 25.0
    f = speech_features(espeak_audio, fps)
    phones = recognize_phones(espeak_audio, "Peter bought a map of Bombay")
    for config in (PHONEMES, ACOUSTIC):
        track = speech_motion(f, phones, config)
        assert track.weights.shape == (len(f), len(BLENDSHAPE_NAMES)) and np.isfinite(track.weights).all()
        jaw = col(track, "jawOpen")
        assert jaw[f.speech].max() > 0.2  # the mouth opens while talking
        assert jaw[~f.speech].max(initial=0.0) <= jaw[f.speech].max()
    track = speech_motion(f, phones, PHONEMES)
    gap = lip_gap(track)
    bilabials = [s for s in phones.segments if s.viseme == "PP"]
    assert len(bilabials) >= 4  # P, B, M, B of the sentence
    for s in bilabials:
        assert gap[frame_at(0.5 * (s.start + s.end), fps)] <= 0.0, s
