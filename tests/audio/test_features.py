"""speech_features on synthetic signals with known answers."""

from __future__ import annotations

import math
import resource

import numpy as np
import pytest

from moodtalk.audio import SPECTRAL_NAMES, FeatureConfig, frame_count, speech_features
from moodtalk.types import AudioTrack
from tests.audio.audio_signals import noise, tone


def _check_finite(feats) -> None:
    for name in ("mel", "rms", "spectral"):
        assert np.isfinite(getattr(feats, name)).all(), name


@pytest.mark.parametrize("freq", [110.0, 220.0, 330.0])
def test_tone_pitch_within_3_percent(freq: float) -> None:
    feats = speech_features(tone(freq, 1.0))
    assert feats.voiced[2:-2].all()
    assert np.nanmax(np.abs(feats.f0[2:-2] / freq - 1.0)) < 0.03
    _check_finite(feats)


def test_silence_has_no_speech_nor_voicing() -> None:
    feats = speech_features(AudioTrack(np.zeros(16_000 * 2, np.float32), 16_000))
    assert not feats.speech.any() and not feats.voiced.any()
    assert np.isnan(feats.f0).all()
    assert (feats.rms <= -99.0).all()
    _check_finite(feats)


def test_white_noise_is_neither_voiced_nor_speech() -> None:
    feats = speech_features(noise(3.0, rms=0.1))
    assert feats.voiced.mean() < 0.05
    assert feats.speech.mean() < 0.05
    flatness = feats.spectral[:, SPECTRAL_NAMES.index("flatness")]
    assert np.median(flatness) > 0.5
    _check_finite(feats)


def test_tone_burst_between_pauses_is_speech() -> None:
    sr = 16_000
    quiet = noise(1.0, rms=0.001).samples
    burst = tone(150.0, 0.8, amplitude=0.3).samples
    feats = speech_features(AudioTrack(np.concatenate([quiet, burst, quiet]), sr))
    t = (np.arange(len(feats)) + 0.5) / feats.fps
    assert feats.speech[(t > 1.1) & (t < 1.7)].all()
    assert not feats.speech[(t < 0.8) | (t > 2.3)].any()


@pytest.mark.parametrize("fps", [24.0, 25.0, 29.97, 30.0, 60.0, 120.0])
@pytest.mark.parametrize("seconds", [0.01, 1.0, 2.345])
def test_frame_count(fps: float, seconds: float) -> None:
    feats = speech_features(tone(200.0, seconds), fps=fps)
    assert len(feats) == math.ceil(seconds * fps - 1e-6) == frame_count(seconds, fps)
    assert feats.mel.shape == (len(feats), FeatureConfig().n_mels)
    assert feats.spectral.shape == (len(feats), len(SPECTRAL_NAMES))
    _check_finite(feats)


def test_empty_audio() -> None:
    feats = speech_features(AudioTrack(np.zeros(0, np.float32), 16_000))
    assert len(feats) == 0 and feats.mel.shape == (0, FeatureConfig().n_mels)


@pytest.mark.parametrize("sr", [8_000, 22_050, 44_100, 96_000])
def test_sample_rates_agree(sr: int) -> None:
    feats = speech_features(tone(220.0, 1.0, sr=sr))
    assert len(feats) == 25
    assert np.nanmax(np.abs(feats.f0[2:-2] / 220.0 - 1.0)) < 0.03
    assert abs(np.median(feats.rms) - 20 * np.log10(0.5 / np.sqrt(2))) < 0.5
    _check_finite(feats)


def test_clipping_is_handled() -> None:
    loud = tone(180.0, 1.0, amplitude=4.0)
    clipped = AudioTrack(np.clip(loud.samples, -1.0, 1.0), loud.sample_rate)
    for track in (loud, clipped):
        feats = speech_features(track)
        _check_finite(feats)
        assert feats.voiced[2:-2].all()
        assert np.nanmax(np.abs(feats.f0[2:-2] / 180.0 - 1.0)) < 0.03


def test_non_finite_samples_are_refused() -> None:
    samples = tone(200.0, 0.5).samples.copy()
    samples[100] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        speech_features(AudioTrack(samples, 16_000))


def test_blocks_join_seamlessly() -> None:
    """Block boundaries must not change the result."""
    rng = np.random.default_rng(1)
    samples = 0.2 * rng.standard_normal(16_000 * 5) * np.repeat(rng.random(50), 1600)
    track = AudioTrack(samples.astype(np.float32), 16_000)
    whole = speech_features(track, fps=30.0)
    blocked = speech_features(track, fps=30.0, config=FeatureConfig(block_s=1.3))
    np.testing.assert_allclose(blocked.mel, whole.mel, atol=1e-3)
    np.testing.assert_allclose(blocked.rms, whole.rms, atol=1e-4)
    np.testing.assert_array_equal(blocked.voiced, whole.voiced)


def test_ten_minutes_in_bounded_memory() -> None:
    """10 min of alternating tone and noise: fast, and the peak memory grows far less than the input would need."""
    sr = 16_000
    piece = np.concatenate([tone(140.0, 2.0, amplitude=0.3).samples, noise(1.0, rms=0.01).samples])
    samples = np.tile(piece, 200)  # 600 s
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    feats = speech_features(AudioTrack(samples, sr), fps=25.0)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert len(feats) == 15_000
    assert grown_mb < 300
    _check_finite(feats)
    t = (np.arange(len(feats)) + 0.5) / 25.0
    in_tone = (t % 3.0 > 0.2) & (t % 3.0 < 1.8)
    assert feats.voiced[in_tone].mean() > 0.95
