"""Small zero-phase signal helpers shared by both motion paths (all vectorised, NaN-safe)."""

from __future__ import annotations

import numpy as np
import scipy.ndimage
import scipy.signal

BUTTER_ORDER = 2
"""Order of the Butterworth low-pass (run forwards and backwards: effective order 4, zero phase)."""


def finite(x: np.ndarray, fill: float) -> np.ndarray:
    """Copy of ``x`` as float64 with NaN/inf replaced by ``fill``."""
    return np.nan_to_num(np.asarray(x, dtype=np.float64), nan=fill, posinf=fill, neginf=fill)


def smooth_gauss(x: np.ndarray, sigma_s: float, fps: float) -> np.ndarray:
    """Centred Gaussian smoothing along axis 0 (zero phase); ``sigma_s`` in seconds."""
    sigma = sigma_s * fps
    if x.shape[0] < 2 or sigma < 0.3:
        return x
    return scipy.ndimage.gaussian_filter1d(x, sigma, axis=0, mode="nearest")


def lowpass(x: np.ndarray, cutoff_hz: float, fps: float) -> np.ndarray:
    """Zero-phase Butterworth low-pass along axis 0 (``filtfilt``): no lag between input and output.

    Skipped when the cut-off is at or above 0.9 × Nyquist (nothing to remove) or the clip is too short.
    """
    wn = cutoff_hz / (0.5 * fps)
    if wn >= 0.9 or x.shape[0] < 4:
        return x
    b, a = scipy.signal.butter(BUTTER_ORDER, wn)
    return scipy.signal.filtfilt(b, a, x, axis=0, padlen=min(x.shape[0] - 1, 3 * max(len(a), len(b))), padtype="even")


def speech_gate(speech: np.ndarray, release_s: float, fps: float) -> np.ndarray:
    """(T,) 1 inside speech, decaying as ``exp(-distance / release)`` on both sides of it.

    The decay after speech is the mouth relaxing to neutral; the mirrored decay before speech is the mouth
    preparing for the first sound. Both are smooth (no snapping) and never lag the speech.
    """
    speech = np.asarray(speech, dtype=bool)
    if speech.size == 0:
        return np.zeros(0)
    if not speech.any():
        return np.zeros(speech.shape)
    dist = scipy.ndimage.distance_transform_edt(~speech) / fps
    return np.exp(-dist / max(release_s, 1e-4))


def loudness_factor(
    rms_db: np.ndarray, speech: np.ndarray, fps: float, base: float, slope: float, range_db: float, smooth_s: float
) -> np.ndarray:
    """(T,) ``base + slope · clip((rms_s − median speech level) / range_db, −1, 1)``, never below 0.

    ``rms_s`` is the loudness smoothed without lag; the median is over speech frames (all frames if none).
    """
    r = smooth_gauss(finite(rms_db, -100.0), smooth_s, fps)
    if r.size == 0:
        return r
    ref = float(np.median(r[speech])) if np.any(speech) else float(np.median(r))
    return np.maximum(base + slope * np.clip((r - ref) / max(range_db, 1e-3), -1.0, 1.0), 0.0)
