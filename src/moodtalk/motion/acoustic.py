"""Language-agnostic mouth motion from acoustic cues only (no phones).

Used for non-English speech and when the phone recogniser is unsure. The cues are the ones the
articulation leaves in the spectrum:

* Opening: loudness relative to the utterance's speech peak, weighted by the first-formant proxy (F1
  rises with jaw opening: /a/ ≈ 700 Hz, /i/, /u/ ≈ 300 Hz; Peterson & Barney 1952).
* Rounding (funnel/pucker): low second formant (F2 of /u/, /o/ ≈ 800–1000 Hz) in voiced frames.
* Spreading (stretch): high F2 (/i/, /e/ ≈ 2000–2300 Hz).
* Closures: a short loudness dip between voiced stretches is a stop or nasal closure (the silent
  closure of /p b/ and the weak murmur of /m/), which are visible lip closures.
"""

from __future__ import annotations

import numpy as np

from moodtalk.motion.config import MotionConfig
from moodtalk.motion.signal import finite, lowpass, smooth_gauss
from moodtalk.motion.targets import MOUTH_SHAPES
from moodtalk.types import SpeechFeatures

SPEECH_PEAK_PERCENTILE = 95.0
"""Loudness percentile over speech frames taken as the utterance's full-voice level."""
F1_RANGE_HZ = (250.0, 750.0)
"""F1 proxy mapped to 0..1 opening weight (close vowels → open vowels; Peterson & Barney 1952)."""
F1_WEIGHT = 0.9
"""Share of the opening that depends on F1; the rest follows loudness alone."""
ROUND_F2_HZ = (1400.0, 900.0)
"""F2 proxy mapped to 0..1 rounding (from 1400 Hz, none, down to 900 Hz, full)."""
SPREAD_F2_HZ = (1600.0, 2100.0)
"""F2 proxy mapped to 0..1 spreading."""
UNVOICED_OPENING = 1.0
"""Opening kept by unvoiced speech frames. Measured on real clips, lowering it (0.3–0.6) hurt: the F1 and
loudness terms already keep fricatives fairly closed."""
OPEN_POSE: dict[str, float] = {"jawOpen": 0.5, "mouthLowerDownLeft": 0.2, "mouthLowerDownRight": 0.2,
                               "mouthUpperUpLeft": 0.08, "mouthUpperUpRight": 0.08}  # fmt: skip
"""Mouth at full opening (a loud open vowel; compare the 'aa' viseme target)."""
ROUND_POSE: dict[str, float] = {"mouthFunnel": 0.35, "mouthPucker": 0.45}
"""Mouth at full rounding."""
SPREAD_POSE: dict[str, float] = {"mouthStretchLeft": 0.25, "mouthStretchRight": 0.25,
                                 "mouthSmileLeft": 0.08, "mouthSmileRight": 0.08}  # fmt: skip
"""Mouth at full spreading."""
DIP_SMOOTH_S = 0.015
"""Light smoothing of the loudness before looking for closure dips."""


def _pose(values: dict[str, float]) -> np.ndarray:
    v = np.zeros(len(MOUTH_SHAPES))
    for name, w in values.items():
        v[MOUTH_SHAPES.index(name)] = w
    return v


def _column(features: SpeechFeatures, name: str, fill: float) -> np.ndarray:
    if name not in features.spectral_names:
        return np.full(len(features), fill)
    return finite(features.spectral[:, features.spectral_names.index(name)], fill)


def acoustic_mouth(features: SpeechFeatures, config: MotionConfig) -> tuple[np.ndarray, np.ndarray]:
    """Mouth trajectory from loudness, voicing and formant proxies.

    Returns:
        (T, len(MOUTH_SHAPES)) float64 weights (smoothed, not yet gated by silence) and (T,) bool frames
        where a lip closure was detected.
    """
    fps = features.fps
    n = len(features)
    speech = np.asarray(features.speech, dtype=bool)
    voiced = np.asarray(features.voiced, dtype=bool) & speech
    rms = smooth_gauss(finite(features.rms, -100.0), 0.02, fps)
    if n == 0 or not speech.any():
        return np.zeros((n, len(MOUTH_SHAPES))), np.zeros(n, dtype=bool)
    peak = float(np.percentile(rms[speech], SPEECH_PEAK_PERCENTILE))
    level = np.clip((rms - (peak - config.acoustic_open_db)) / config.acoustic_open_db, 0.0, 1.0) * speech
    f1 = _column(features, "f1_hz", F1_RANGE_HZ[0])
    f2 = _column(features, "f2_hz", 0.5 * (ROUND_F2_HZ[0] + SPREAD_F2_HZ[0]))
    f1n = np.clip((f1 - F1_RANGE_HZ[0]) / (F1_RANGE_HZ[1] - F1_RANGE_HZ[0]), 0.0, 1.0)
    opening = level * (1.0 - F1_WEIGHT + F1_WEIGHT * f1n) * np.where(voiced, 1.0, UNVOICED_OPENING)
    rounding = level * voiced * np.clip((ROUND_F2_HZ[0] - f2) / (ROUND_F2_HZ[0] - ROUND_F2_HZ[1]), 0.0, 1.0)
    spreading = level * voiced * np.clip((f2 - SPREAD_F2_HZ[0]) / (SPREAD_F2_HZ[1] - SPREAD_F2_HZ[0]), 0.0, 1.0)
    mouth = (
        np.outer(opening, _pose(OPEN_POSE))
        + np.outer(rounding, _pose(ROUND_POSE))
        + np.outer(spreading, _pose(SPREAD_POSE))
    )
    mouth = lowpass(mouth, config.smooth_hz, fps)
    return mouth, closure_dips(features, config)


def closure_dips(features: SpeechFeatures, config: MotionConfig) -> np.ndarray:
    """(T,) bool: the frame at the bottom of each short loudness dip between voiced stretches.

    A dip counts when it is at least ``closure_dip_db`` below the loudness maxima on both sides (looked for
    within the longest closure duration), its width at half depth lies in ``closure_dip_s`` (at least one
    frame), and there is a voiced speech frame within that reach on each side.
    """
    fps = features.fps
    n = len(features)
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    r = smooth_gauss(finite(features.rms, -100.0), DIP_SMOOTH_S, fps)
    voiced = np.asarray(features.voiced, dtype=bool) & np.asarray(features.speech, dtype=bool)
    speech = np.asarray(features.speech, dtype=bool)
    lo_s, hi_s = config.closure_dip_s
    reach = max(1, int(round(hi_s * fps)))
    min_width = max(1, int(round(lo_s * fps)))
    max_width = max(min_width, int(round(hi_s * fps)))
    # Local minima inside speech (plateaus count once, at their first frame).
    cand = np.flatnonzero((r[1:-1] < r[:-2]) & (r[1:-1] <= r[2:]) & speech[1:-1]) + 1
    for i in cand:
        a, b = max(0, i - reach), min(n, i + reach + 1)
        left, right = r[a:i], r[i + 1 : b]
        if left.size == 0 or right.size == 0 or not voiced[a:i].any() or not voiced[i + 1 : b].any():
            continue
        depth = min(left.max(), right.max()) - r[i]
        if depth < config.closure_dip_db:
            continue
        below = r[a:b] < r[i] + 0.5 * depth
        k = i - a
        # Width of the run of below-half-depth frames that contains the minimum.
        left_run = k - (np.flatnonzero(~below[:k])[-1] if (~below[:k]).any() else -1) - 1
        right_run = np.flatnonzero(~below[k + 1 :])[0] if (~below[k + 1 :]).any() else below.size - k - 1
        if min_width <= left_run + right_run + 1 <= max_width:
            out[i] = True
    return out
