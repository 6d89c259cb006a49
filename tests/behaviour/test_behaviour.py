"""Behaviour stage on synthetic speech features (fast, no data files)."""

from __future__ import annotations

import numpy as np
import pytest

from moodtalk.behaviour import Behaviour, BehaviourConfig, behaviour
from moodtalk.types import BLENDSHAPE_NAMES, SpeechFeatures

SPEECH_S, PAUSE_S = 4.0, 2.0
"""Synthetic talk: 4 s phrases separated by 2 s pauses."""
REAL_DPF_P95_DEG = 0.8
"""Median over real talking clips of the 95th percentile of per-frame |Δangle| (about 0.82° after removing
tracker jitter, 1.08° raw; benchmarks/bm_behaviour.py)."""
ALLOWED = {"eyeBlinkLeft", "eyeBlinkRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight"} | {
    f"eyeLook{d}{s}" for d in ("Up", "Down", "In", "Out") for s in ("Left", "Right")
}


def synth(duration_s: float, fps: float = 25.0, seed: int = 0, talk: bool = True) -> SpeechFeatures:
    """Speech/silence alternation with syllable-rate (4 Hz) loudness and a gliding pitch."""
    n = int(round(duration_s * fps))
    t = np.arange(n) / fps
    rng = np.random.default_rng(seed)
    speech = ((t % (SPEECH_S + PAUSE_S)) < SPEECH_S) & talk
    syllable = np.sin(2 * np.pi * 4.0 * t)
    rms = np.where(speech, -25.0 + 6.0 * syllable + rng.normal(0, 1, n), -60.0).astype(np.float32)
    voiced = speech & (syllable > -0.3)
    f0 = np.where(voiced, 120.0 + 20.0 * np.sin(2 * np.pi * 0.5 * t), np.nan).astype(np.float32)
    return SpeechFeatures(
        mel=np.zeros((n, 4), np.float32), rms=rms, f0=f0, voiced=voiced, speech=speech,
        spectral=np.zeros((n, 0), np.float32), spectral_names=(), fps=fps,
    )  # fmt: skip


def blink_peaks(out: Behaviour) -> np.ndarray:
    """Frames where eyeBlinkLeft first crosses 0.5 upwards."""
    lid = out.blendshapes.column("eyeBlinkLeft")
    return np.flatnonzero((lid[1:] > 0.5) & (lid[:-1] <= 0.5)) + 1


def dpf_p95(rotation: np.ndarray) -> float:
    """95th percentile of per-frame |Δangle| pooled over yaw, pitch, roll."""
    return float(np.percentile(np.abs(np.diff(rotation, axis=0)), 95))


@pytest.fixture(scope="module")
def minute() -> SpeechFeatures:
    return synth(60.0)


def test_shapes_and_channels(minute: SpeechFeatures) -> None:
    out = behaviour(minute)
    n = len(minute)
    assert out.head_rotation.shape == (n, 3) and out.head_translation.shape == (n, 3)
    assert out.blendshapes.names == BLENDSHAPE_NAMES and out.blendshapes.fps == minute.fps
    w = out.blendshapes.weights
    assert w.dtype == np.float32 and w.min() >= 0.0 and w.max() <= 1.0
    used = {name for k, name in enumerate(BLENDSHAPE_NAMES) if np.any(w[:, k] != 0)}
    assert used <= ALLOWED
    assert {"eyeBlinkLeft", "eyeBlinkRight"} <= used
    left, right = out.blendshapes.column("eyeBlinkLeft"), out.blendshapes.column("eyeBlinkRight")
    assert np.max(np.abs(left - right)) <= 0.05
    # Both eyes look the same way: out-left goes with in-right.
    np.testing.assert_array_equal(out.blendshapes.column("eyeLookOutLeft"), out.blendshapes.column("eyeLookInRight"))
    gaze = out.blendshapes.column("eyeLookOutLeft") + out.blendshapes.column("eyeLookInLeft")
    assert 0.0 < gaze.max() < 0.4
    assert np.abs(out.head_rotation[0]).max() < 1e-6  # starts at the portrait's pose


def test_deterministic_by_seed(minute: SpeechFeatures) -> None:
    a, b, c = behaviour(minute, seed=3), behaviour(minute, seed=3), behaviour(minute, seed=4)
    np.testing.assert_array_equal(a.head_rotation, b.head_rotation)
    np.testing.assert_array_equal(a.head_translation, b.head_translation)
    np.testing.assert_array_equal(a.blendshapes.weights, b.blendshapes.weights)
    assert not np.array_equal(a.head_rotation, c.head_rotation)
    assert not np.array_equal(a.blendshapes.weights, c.blendshapes.weights)


@pytest.mark.parametrize("rate", [10.0, 15.0, 20.0])
def test_blink_rate_over_ten_minutes(rate: float) -> None:
    features = synth(600.0)
    counts = [blink_peaks(behaviour(features, BehaviourConfig(blink_rate_per_min=rate), seed=s)).size for s in range(3)]
    assert np.mean(counts) / 10.0 == pytest.approx(rate, rel=0.3)


def test_blinks_refractory_and_shape() -> None:
    features = synth(600.0)
    out = behaviour(features)
    peaks = blink_peaks(out)
    assert np.diff(peaks).min() >= 1.5 * features.fps - 1
    lid = out.blendshapes.column("eyeBlinkLeft")
    assert lid.max() == pytest.approx(1.0, abs=0.03)
    closed = lid > 0.05
    starts, ends = np.flatnonzero(closed[1:] & ~closed[:-1]) + 1, np.flatnonzero(~closed[1:] & closed[:-1]) + 1
    durations = (ends[: starts.size] - starts[: ends.size]) / features.fps
    assert 0.15 <= np.median(durations) <= 0.4


def test_blinks_rarer_in_speech_than_in_pauses() -> None:
    features = synth(600.0)
    speech_frac = features.speech.mean()
    in_speech = [features.speech[blink_peaks(behaviour(features, seed=s))].mean() for s in range(3)]
    # Per unit time, blinks in speech must be clearly rarer than in pauses.
    rate_speech = np.mean(in_speech) / speech_frac
    rate_pause = (1 - np.mean(in_speech)) / (1 - speech_frac)
    assert rate_speech < 0.6 * rate_pause


@pytest.mark.parametrize("fps", [24.0, 25.0, 30.0, 60.0])
def test_smooth_at_any_fps(fps: float) -> None:
    features = synth(60.0, fps=fps)
    out = behaviour(features)
    assert dpf_p95(out.head_rotation) < REAL_DPF_P95_DEG * 25.0 / fps
    # Angular velocity is smooth: per-frame velocity changes stay below the velocity itself (white
    # jitter would make them about 1.4-2x larger; a 340 ms nod sampled at 24 fps gives about 0.75x).
    vel = np.diff(out.head_rotation.astype(np.float64), axis=0)
    acc = np.diff(vel, axis=0)
    assert np.percentile(np.abs(acc), 95) < 0.9 * np.percentile(np.abs(vel), 95)
    assert 0.15 <= out.head_rotation[:, 0].std() <= 8.0
    assert blink_peaks(out).size >= 5
    lid = out.blendshapes.column("eyeBlinkLeft")
    assert lid.max() == pytest.approx(1.0, abs=0.03)


def test_still_pose_keeps_blinking(minute: SpeechFeatures) -> None:
    out = behaviour(minute, BehaviourConfig(pose="still"))
    assert not out.head_rotation.any() and not out.head_translation.any()
    assert blink_peaks(out).size >= 5


def test_idle_calmer_than_talking() -> None:
    features = synth(300.0)
    out = behaviour(features)
    speed = np.linalg.norm(np.diff(out.head_rotation, axis=0), axis=1) * features.fps
    t = np.arange(len(features) - 1) / features.fps
    phase = t % (SPEECH_S + PAUSE_S)
    talking = (phase > 0.5) & (phase < SPEECH_S)
    idle = phase > SPEECH_S + 0.5  # after the cross-fade
    assert np.median(speed[idle]) < 0.6 * np.median(speed[talking])
    assert np.median(speed[idle]) > 0.1  # never frozen


def test_all_silence_is_calm_but_alive() -> None:
    features = synth(60.0, talk=False)
    out = behaviour(features)
    speed = np.linalg.norm(np.diff(out.head_rotation, axis=0), axis=1) * features.fps
    assert 0.1 < np.median(speed) < 5.0
    assert blink_peaks(out).size >= 5


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_inputs(n: int) -> None:
    out = behaviour(synth(n / 25.0))
    assert len(out) == n and out.head_rotation.shape == (n, 3)
    assert np.isfinite(out.head_rotation).all() and np.isfinite(out.blendshapes.weights).all()


def test_reference_rotation_ping_pong(minute: SpeechFeatures) -> None:
    ref = np.stack([np.linspace(0, 10, 50), np.zeros(50), np.linspace(0, -5, 50)], axis=1)
    out = behaviour(minute, BehaviourConfig(reference_rotation=ref))
    rot = out.head_rotation
    np.testing.assert_allclose(rot[:50], ref, atol=1e-5)
    np.testing.assert_allclose(rot[50:99], ref[-2::-1], atol=1e-5)
    assert np.abs(np.diff(rot, axis=0)).max() < 0.25  # no jump at the turn points
    with pytest.raises(ValueError):
        behaviour(minute, BehaviourConfig(reference_rotation=np.zeros((5, 2))))


def test_an_hour_of_input_gives_a_frame_each() -> None:
    # Speed is measured in benchmarks/bm_motion.py, not here.
    features = synth(3600.0)
    out = behaviour(features)
    assert len(out) == len(features)
