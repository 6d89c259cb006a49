"""Head pose: slow drift while talking, calm idle poses in silences, nods on stressed syllables."""

from __future__ import annotations

import numpy as np
import scipy.ndimage
import scipy.signal

from moodtalk.behaviour.config import BehaviourConfig
from moodtalk.behaviour.signals import (
    cosine_rise,
    hold_and_move,
    long_runs,
    place_pulses,
    ramp_kernel,
    random_knots,
    smooth_noise,
)
from moodtalk.types import SpeechFeatures

START_FADE_S = 0.5
"""Motion fades in over this long, so frame 0 shows the portrait's own pose."""
FAST_TAU_RATIO = 0.25
"""Time constant of the faster sway relative to the slow drift."""
IDLE_TAU_RATIO = 1.0
"""Idle micro motion has this time constant relative to the talking drift."""
SETTLE_MOVE_S = 1.0
"""Duration of one idle settle movement to a new rest pose, seconds."""
INTENSITY_TAU_S = 2.0
"""Time constant of the random intensity gain of talking motion, seconds."""
LOUDNESS_SMOOTH_S = 1.0
"""Loudness is averaged over about this long before it modulates the talking motion."""
SALIENCE_SMOOTH_S = 0.04
"""Small Gaussian smoothing of the stress salience (removes single-frame loudness spikes)."""
F0_DB_PER_SEMITONE = 0.7
"""Weight of pitch (semitones above the speaker's median) in the stress salience, in dB per semitone:
accents are marked by both loudness and pitch."""
TRANSLATION_SWAY_TAU_S = 3.0
"""Time constant of the torso sway seen in head translation, seconds."""
Z_PER_PITCH = 0.5
"""Depth change per degree of pitch relative to ``translation_per_deg`` (leaning in while nodding)."""


def ping_pong(reference: np.ndarray, n: int) -> np.ndarray:
    """(n, 3) frames of a (T', 3) reference played forwards, backwards, forwards ... (no jumps)."""
    ref = np.asarray(reference, dtype=np.float64)
    if ref.ndim != 2 or ref.shape[1] != 3 or ref.shape[0] == 0 or not np.isfinite(ref).all():
        raise ValueError(f"reference_rotation must be a finite (T', 3) array with T' >= 1, got shape {ref.shape}")
    m = ref.shape[0]
    if m == 1:
        return np.repeat(ref, n, axis=0)
    k = np.arange(n) % (2 * (m - 1))
    return ref[np.where(k < m, k, 2 * (m - 1) - k)]


def stress_peaks(features: SpeechFeatures, config: BehaviourConfig) -> tuple[np.ndarray, np.ndarray]:
    """Stressed syllables: local peaks of loudness plus pitch inside speech.

    Returns:
        frame indices (P,) and their prominence (P,) in dB-like units.
    """
    n, fps = len(features), features.fps
    if n < 3 or not features.speech.any():
        return np.zeros(0, np.int64), np.zeros(0)
    rms = features.rms.astype(np.float64)
    f0 = features.f0.astype(np.float64)
    voiced = np.isfinite(f0) & (f0 > 0)
    pitch = np.zeros(n)
    if voiced.any():
        semitones = 12.0 * np.log2(f0[voiced] / np.median(f0[voiced]))
        pitch[voiced] = np.clip(semitones, -6.0, 12.0)
    salience = scipy.ndimage.gaussian_filter1d(rms + F0_DB_PER_SEMITONE * pitch, SALIENCE_SMOOTH_S * fps)
    floor = salience[features.speech].min() - config.stress_prominence_db
    salience = np.where(features.speech, salience, floor)
    peaks, props = scipy.signal.find_peaks(
        salience,
        prominence=config.stress_prominence_db,
        distance=max(1, int(round(config.nod_min_gap_s * fps))),
    )
    return peaks, props["prominences"]


def idle_mask(features: SpeechFeatures, config: BehaviourConfig) -> np.ndarray:
    """(T,) bool: frames inside silences long enough for the idle mode."""
    return long_runs(~features.speech.astype(bool), max(1, int(round(config.idle_min_silence_s * features.fps))))


def _loudness_gain(features: SpeechFeatures, config: BehaviourConfig) -> np.ndarray:
    """(T,) slowly varying gain around 1: louder passages move more."""
    rms = features.rms.astype(np.float64)
    speech = features.speech.astype(bool)
    if speech.sum() < 2:
        return np.ones(len(features))
    lo, hi = np.percentile(rms[speech], [10, 90])
    level = np.clip((rms - lo) / max(hi - lo, 1e-6), 0.0, 1.0) * speech
    level = scipy.ndimage.uniform_filter1d(level, max(1, int(round(LOUDNESS_SMOOTH_S * features.fps))))
    level = scipy.ndimage.gaussian_filter1d(level, LOUDNESS_SMOOTH_S * features.fps / 4)
    return 1.0 + config.loudness_gain * (level - 0.5)


def natural_rotation(
    features: SpeechFeatures,
    config: BehaviourConfig,
    rngs: list[np.random.Generator],
    idle: np.ndarray,
    idle_weight: np.ndarray,
    peaks: np.ndarray,
    prominence: np.ndarray,
) -> np.ndarray:
    """(T, 3) yaw/pitch/roll degrees of the stochastic model (before the start fade-in).

    Talking: slow second-order drift plus a faster sway, scaled by loudness. Idle: calm rest poses
    joined by slow settle movements plus micro motion. Switching modes cross-fades with a cosine
    ramp starting from the pose the head had, and nods are added on stressed syllables.
    """
    n, fps = len(features), features.fps
    stds = np.array([config.yaw_std_deg, config.pitch_std_deg, config.roll_std_deg])
    drift_rng, idle_rng, nod_rng = rngs
    tau = config.drift_time_s
    f = float(np.clip(config.sway_fraction, 0.0, 1.0))
    talk = np.sqrt(1.0 - f * f) * smooth_noise(drift_rng, n, fps, tau, 3)
    talk += f * smooth_noise(drift_rng, n, fps, tau * FAST_TAU_RATIO, 3)
    intensity = np.exp(config.intensity_variation * smooth_noise(drift_rng, n, fps, INTENSITY_TAU_S)[:, 0])
    talk *= stds * (_loudness_gain(features, config) * intensity)[:, None]

    t = np.arange(n) / fps
    knots = random_knots(idle_rng, n / fps, config.idle_settle_s)
    rest = idle_rng.standard_normal((knots.size, 3)) * stds * config.idle_amplitude
    calm = hold_and_move(knots, rest, t, SETTLE_MOVE_S)
    calm += config.idle_micro_deg * smooth_noise(idle_rng, n, fps, tau * IDLE_TAU_RATIO, 3)

    raw = np.where(idle[:, None], calm, talk)
    # At each mode switch the new process starts where the old one was, then fades to itself.
    switch = np.flatnonzero(idle[1:] != idle[:-1]) + 1
    jump = raw[switch] - np.where(idle[switch, None], talk[switch], calm[switch])
    kernel = ramp_kernel(max(1, int(round(config.idle_ramp_s * fps))))
    for axis in range(3):
        raw[:, axis] -= place_pulses(n, switch, jump[:, axis], kernel, 0)

    lo, hi = config.nod_deg
    nodding = nod_rng.random(peaks.size) < config.nod_probability
    strength = np.clip((prominence - config.stress_prominence_db) / 10.0, 0.0, 1.0)
    amp = lo + (hi - lo) * strength * nod_rng.uniform(0.5, 1.0, peaks.size)
    width = max(3, int(round(config.nod_duration_s * fps)) | 1)
    pulse = np.hanning(width + 2)[1:-1]
    nods = place_pulses(n, peaks[nodding], amp[nodding], pulse, width // 2)
    raw[:, 1] += nods * (1.0 - idle_weight)
    return raw


def head_pose(
    features: SpeechFeatures,
    config: BehaviourConfig,
    rngs: list[np.random.Generator],
    idle: np.ndarray,
    idle_weight: np.ndarray,
    peaks: np.ndarray,
    prominence: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Head rotation (T, 3) degrees and translation (T, 3) IOD units for the configured mode."""
    n, fps = len(features), features.fps
    if config.reference_rotation is not None:
        rotation = ping_pong(config.reference_rotation, n)
    elif config.pose == "still":
        return np.zeros((n, 3)), np.zeros((n, 3))
    elif config.pose == "natural":
        rotation = natural_rotation(features, config, rngs[:3], idle, idle_weight, peaks, prominence)
        rotation *= cosine_rise(np.arange(n) / max(START_FADE_S * fps, 1.0))[:, None]
    else:
        raise ValueError(f"pose must be 'still' or 'natural', got {config.pose!r}")

    k = config.translation_per_deg
    yaw, pitch, roll = rotation.T
    # Rotation about the neck carries the face along: turning left (yaw +) moves it to image right.
    translation = np.stack([k * (yaw + roll), k * pitch, k * Z_PER_PITCH * pitch], axis=1)
    if config.reference_rotation is None:
        sway = config.sway_iod * smooth_noise(rngs[3], n, fps, TRANSLATION_SWAY_TAU_S, 3)
        translation += sway * cosine_rise(np.arange(n) / max(START_FADE_S * fps, 1.0))[:, None]
    return rotation, translation
