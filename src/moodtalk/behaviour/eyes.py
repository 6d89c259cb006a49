"""Blinks (Poisson-like with a refractory period, shaped by speech), gaze shifts and brow raises."""

from __future__ import annotations

import numpy as np
import scipy.ndimage

from moodtalk.behaviour.config import BehaviourConfig
from moodtalk.behaviour.signals import cosine_rise, hold_and_move, place_pulses, random_knots, runs
from moodtalk.types import SpeechFeatures

BOUNDARY_WINDOW_S = 0.6
"""Blinks are most likely within this long after a phrase ends."""
MAX_DUTY = 0.8
"""Cap on rate x refractory period, so the dead-time correction of the base rate stays finite."""
BISECTION_STEPS = 40
"""Iterations when solving for the blink base rate (relative precision 2^-40)."""
BLINK_ASYMMETRY = 0.03
"""One eye closes up to this much less than the other (a tiny natural asymmetry)."""
SACCADE_S = 0.05
"""Duration of a gaze shift (saccades last 30–80 ms)."""
GAZE_CLIP_SIGMAS = 2.5
"""Fixation targets are clipped to this many standard deviations (no extreme looks away)."""
BROW_PROBABILITY = 0.25
"""Chance that a stressed syllable also raises the brows."""
BROW_DURATION_S = 0.5
"""Duration of one brow raise, seconds."""


def blink_hazard(features: SpeechFeatures, config: BehaviourConfig) -> np.ndarray:
    """(T,) relative blink likelihood with mean 1: low in speech, higher in pauses, highest at phrase ends."""
    n = len(features)
    speech = features.speech.astype(bool)
    hazard = np.where(speech, config.blink_speech_factor, config.blink_pause_factor).astype(np.float64)
    _, ends = runs(speech)
    window = max(1, int(round(BOUNDARY_WINDOW_S * features.fps)))
    boundary = np.zeros(n + window + 1)
    np.add.at(boundary, ends, 1.0)
    np.add.at(boundary, ends + window, -1.0)
    near_end = np.cumsum(boundary)[:n] > 0
    hazard = np.where(near_end & ~speech, np.maximum(hazard, config.blink_boundary_factor), hazard)
    mean = hazard.mean() if n else 1.0
    return hazard / mean if mean > 0 else np.ones(n)


def blink_peaks(features: SpeechFeatures, config: BehaviourConfig, rng: np.random.Generator) -> np.ndarray:
    """(B,) frame indices where a blink is fully closed.

    Time-rescaled Poisson process on the cumulative hazard ``base * hazard(t)``, with a dead time after
    each blink. Locally a Poisson rate h with dead time d gives h / (1 + h d) events per second, so
    ``base`` is solved (bisection) for that to average ``blink_rate_per_min`` over the clip.
    """
    n, fps = len(features), features.fps
    dead = max(config.blink_refractory_s, 0.0)
    rate = max(config.blink_rate_per_min, 0.0) / 60.0
    if dead > 0:
        rate = min(rate, MAX_DUTY / dead)
    if n == 0 or rate <= 0:
        return np.zeros(0, np.int64)
    hazard = blink_hazard(features, config)
    dead_frames = max(1, int(round(dead * fps)))
    # The dead time after a blink covers the hazard of the following d seconds, not only the local one.
    ahead = scipy.ndimage.uniform_filter1d(hazard, dead_frames, origin=-(dead_frames // 2), mode="nearest")
    lo, hi = 0.0, rate

    def achieved(base: float) -> float:
        return float(np.mean(base * hazard / (1.0 + base * ahead * dead)))

    while achieved(hi) < rate and hi < 1e6:
        hi *= 2.0
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if achieved(mid) < rate else (lo, mid)
    cumulative = np.cumsum(hazard * (0.5 * (lo + hi)) / fps)
    peaks: list[int] = []
    # Start as if the last blink happened a random time ago: no burst of blinks at frame 0.
    nxt = int(rng.integers(0, dead_frames))
    while nxt < n:
        level = cumulative[nxt - 1] if nxt > 0 else 0.0
        k = int(np.searchsorted(cumulative, level + rng.exponential()))
        if k >= n:
            break
        peaks.append(k)
        nxt = k + dead_frames
    return np.asarray(peaks, np.int64)


def blink_profile(fps: float, close_s: float, open_s: float) -> tuple[np.ndarray, int]:
    """Lid closure (K,) sampled at frames around a peak at index ``offset`` (value 1.0 there).

    Closing follows a cosine over ``close_s``, opening a slower cosine over ``open_s``; the peak sits on
    a frame so every blink reaches full closure at any frame rate.
    """
    before = max(1, int(np.ceil(close_s * fps)))
    after = max(1, int(np.ceil(open_s * fps)))
    tau = np.arange(-before, after + 1) / fps
    closing = cosine_rise((tau + close_s) / max(close_s, 1e-9))
    opening = 1.0 - cosine_rise(tau / max(open_s, 1e-9))
    return np.where(tau <= 0, closing, opening), before


def blinks(features: SpeechFeatures, config: BehaviourConfig, rng: np.random.Generator) -> np.ndarray:
    """(T, 2) eyeBlinkLeft, eyeBlinkRight weights in [0, 1]."""
    n = len(features)
    peaks = blink_peaks(features, config, rng)
    profile, offset = blink_profile(features.fps, config.blink_close_s, config.blink_open_s)
    weaker = 1.0 - rng.uniform(0.0, BLINK_ASYMMETRY, peaks.size)
    right_weaker = rng.random(peaks.size) < 0.5
    left = place_pulses(n, peaks, np.where(right_weaker, 1.0, weaker), profile, offset)
    right = place_pulses(n, peaks, np.where(right_weaker, weaker, 1.0), profile, offset)
    return np.clip(np.stack([left, right], axis=1), 0.0, 1.0)


def gaze(
    features: SpeechFeatures, config: BehaviourConfig, rng: np.random.Generator, rotation: np.ndarray
) -> np.ndarray:
    """(T, 2) gaze direction in degrees (horizontal + = subject's left, vertical + = up) relative to the head.

    Fixations of random length joined by fast saccades, plus a partial counter-rotation to head yaw/pitch.
    """
    n, fps = len(features), features.fps
    t = np.arange(n) / fps
    knots = random_knots(rng, n / fps, config.gaze_fixation_s)
    std = np.asarray(config.gaze_std_deg, np.float64)
    targets = np.clip(rng.standard_normal((knots.size, 2)), -GAZE_CLIP_SIGMAS, GAZE_CLIP_SIGMAS) * std
    targets[0] = 0.0  # start looking where the portrait looks
    direction = hold_and_move(knots, targets, t, SACCADE_S)
    # Yaw + turns the head to the subject's left: the eyes counter-rotate to their right; chin down: eyes up.
    direction[:, 0] -= config.vor_gain * rotation[:, 0]
    direction[:, 1] += config.vor_gain * rotation[:, 1]
    return direction


def brow_raises(n: int, fps: float, config: BehaviourConfig, rng: np.random.Generator, peaks: np.ndarray) -> np.ndarray:
    """(T,) brow raise weight in [0, 1] on a random quarter of the stressed syllables."""
    if config.brow_raise <= 0 or peaks.size == 0:
        return np.zeros(n)
    chosen = rng.random(peaks.size) < BROW_PROBABILITY
    amp = config.brow_raise * rng.uniform(0.5, 1.0, peaks.size)
    width = max(3, int(round(BROW_DURATION_S * fps)) | 1)
    pulse = np.hanning(width + 2)[1:-1]
    return np.clip(place_pulses(n, peaks[chosen], amp[chosen], pulse, width // 2), 0.0, 1.0)
