"""Vectorised signal helpers: smooth noise, runs of a boolean mask, cosine ramps and pulses."""

from __future__ import annotations

import numpy as np
import scipy.signal

BURN_IN_TAUS = 6.0
"""Extra samples (in time constants) generated and dropped so smooth noise starts stationary."""


def smooth_noise(rng: np.random.Generator, n: int, fps: float, tau_s: float, dims: int = 1) -> np.ndarray:
    """Unit-variance stationary noise, low-passed twice (second-order, critically damped).

    Two cascaded one-pole filters instead of one (Ornstein–Uhlenbeck) make the *velocity*
    continuous too, so motion never jitters. The variance is normalised in closed form, so the
    statistics do not depend on the frame rate.

    Args:
        rng: random generator.
        n: number of frames.
        fps: frame rate.
        tau_s: time constant of each stage, seconds.
        dims: independent channels.

    Returns:
        (n, dims) float64.
    """
    a = float(np.exp(-1.0 / max(fps * tau_s, 1e-6)))
    burn = int(np.ceil(BURN_IN_TAUS * tau_s * fps))
    white = rng.standard_normal((n + burn, dims))
    out = scipy.signal.lfilter([(1.0 - a) ** 2], [1.0, -2.0 * a, a * a], white, axis=0)[burn:]
    # Sum of the squared impulse response h[k] = (1-a)^2 (k+1) a^k.
    var = (1.0 - a) ** 4 * (1.0 + a * a) / (1.0 - a * a) ** 3
    return out / np.sqrt(var)


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) frame indices of the True runs of a (T,) bool mask."""
    padded = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[0::2], edges[1::2]


def long_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    """(T,) bool: the True runs of ``mask`` that last at least ``min_len`` frames."""
    starts, ends = runs(mask)
    keep = (ends - starts) >= min_len
    delta = np.zeros(mask.shape[0] + 1, np.int64)
    np.add.at(delta, starts[keep], 1)
    np.add.at(delta, ends[keep], -1)
    return np.cumsum(delta[:-1]) > 0


def cosine_rise(x: np.ndarray) -> np.ndarray:
    """0 → 1 raised-cosine step over x in [0, 1] (clipped outside); zero slope at both ends."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def ramp_kernel(n: int) -> np.ndarray:
    """(n + 1,) weights 1 → 0 of a cosine fade that lasts n frames (the first weight is 1)."""
    if n <= 0:
        return np.ones(1)
    return 1.0 - cosine_rise(np.arange(n + 1) / n)


def smooth_mask(mask: np.ndarray, ramp: int) -> np.ndarray:
    """(T,) float in [0, 1]: a bool mask whose switches become cosine ramps of ``ramp`` frames.

    Each ramp starts at the switch, so the idle state begins where the silence begins.
    """
    m = mask.astype(np.float64)
    if m.size == 0 or ramp <= 0:
        return m
    jumps = np.diff(m, prepend=m[0])
    # A jump at k becomes a rise spread over k .. k + ramp.
    rise = 1.0 - ramp_kernel(ramp)
    steps = scipy.signal.lfilter(np.diff(rise, prepend=0.0), [1.0], jumps)
    return np.clip(m[0] + np.cumsum(steps), 0.0, 1.0)


def place_pulses(n: int, at: np.ndarray, amplitude: np.ndarray, kernel: np.ndarray, offset: int) -> np.ndarray:
    """(n,) sum of copies of ``kernel`` scaled by ``amplitude`` with kernel index ``offset`` on frame ``at``."""
    train = np.zeros(n + kernel.size)
    np.add.at(train, at, amplitude)
    out = scipy.signal.lfilter(kernel, [1.0], train)
    return out[offset : offset + n]


def hold_and_move(knot_times: np.ndarray, values: np.ndarray, t: np.ndarray, move_s: float) -> np.ndarray:
    """Piecewise-constant targets joined by cosine moves: value ``i`` is reached ``move_s`` after knot ``i``.

    Args:
        knot_times: (N,) increasing times in seconds; the first must be <= t[0].
        values: (N, D) targets held after each knot.
        t: (T,) frame times in seconds.
        move_s: duration of each move, seconds (> 0).

    Returns:
        (T, D) float64.
    """
    i = np.clip(np.searchsorted(knot_times, t, side="right") - 1, 0, len(knot_times) - 1)
    prev = values[np.maximum(i - 1, 0)]
    w = cosine_rise((t - knot_times[i]) / max(move_s, 1e-9))[:, None]
    w[i == 0] = 1.0
    return prev + (values[i] - prev) * w


def random_knots(rng: np.random.Generator, duration_s: float, gap_s: tuple[float, float]) -> np.ndarray:
    """(N,) knot times from 0 with gaps drawn uniformly from ``gap_s``, covering ``duration_s``."""
    n = int(np.ceil(duration_s / max(gap_s[0], 1e-3))) + 2
    gaps = rng.uniform(gap_s[0], gap_s[1], n)
    return np.concatenate([[0.0], np.cumsum(gaps)[:-1]])
