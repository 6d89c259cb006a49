"""Temporal filters."""

from __future__ import annotations

import numpy as np


def one_euro_filter(
    x: np.ndarray, fps: float, min_cutoff: float = 1.0, beta: float = 0.5, d_cutoff: float = 1.0
) -> np.ndarray:
    """One-euro filter (Casiez, Roussel & Vogel, CHI 2012) along the first axis.

    A low-pass filter whose cutoff rises with speed: still landmarks lose their jitter, fast
    lips are not delayed. Missing samples (NaN) reset the filter for that channel.

    Args:
        x: (T, ...) signal; every trailing element is filtered independently.
        fps: samples per second.
        min_cutoff: cutoff in Hz when the signal is still (lower = smoother).
        beta: how much the cutoff grows with speed (higher = less lag).
        d_cutoff: cutoff in Hz of the speed estimate.

    Returns:
        (T, ...) filtered signal, same dtype.
    """
    x = np.asarray(x)
    out = np.empty_like(x)
    if len(x) == 0:
        return out

    def alpha(cutoff: np.ndarray | float) -> np.ndarray | float:
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau * fps)

    prev = x[0].astype(np.float64)
    dprev = np.zeros_like(prev)
    out[0] = x[0]
    a_d = alpha(d_cutoff)
    for i in range(1, len(x)):
        cur = x[i].astype(np.float64)
        reset = ~np.isfinite(prev)
        dx = (cur - prev) * fps
        dx = np.where(reset, 0.0, dx)
        dprev = dprev + a_d * (dx - dprev)
        a = alpha(min_cutoff + beta * np.abs(dprev))
        filtered = prev + a * (cur - prev)
        filtered = np.where(reset | ~np.isfinite(filtered), cur, filtered)
        out[i] = filtered
        prev = filtered
    return out
