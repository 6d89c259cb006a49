"""Settings of the speech-motion stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class MotionConfig:
    """Settings of ``speech_motion``; the defaults were tuned on real talking-face clips."""

    path: Literal["auto", "learned", "phonemes", "acoustic"] = "auto"
    """Which model drives the mouth. "learned": mouth shapes regressed by the model trained on real talking
    clips (``moodtalk.motion.learned``): from speech features and the recognised visemes when the phone
    timeline's confidence is at least ``min_phone_confidence`` (English), from the speech features alone
    otherwise (any language); lip closures are forced at recognised bilabials (confident phones) and at
    acoustic closure dips; "phonemes": viseme targets of the phone timeline with coarticulation;
    "acoustic": language-agnostic mouth opening/rounding from loudness and formant cues; "auto": the
    learned path (it beat both rule paths on real clips, see ``benchmarks/README.md``)."""
    min_phone_confidence: float = 0.6
    """Phone-timeline confidence below which the "learned" path ignores the phones (acoustic-only model, no
    closures forced at recognised bilabials)."""
    learned_model: Any = field(default=None, compare=False, repr=False)
    """``moodtalk.motion.learned.MouthModel`` for the "learned" path without usable phones; None = the
    shipped acoustic model."""
    learned_phone_model: Any = field(default=None, compare=False, repr=False)
    """``MouthModel`` with phone inputs for the "learned" path with usable phones; None = the shipped one."""
    learned_closures: Literal["both", "phones", "dips", "none"] = "both"
    """"learned" path: where lip closures are forced: at recognised bilabials, at acoustic dips, both, or
    nowhere (the regressed mouth only)."""

    anticipation_s: float = 0.05
    """Time constant of a segment's dominance *before* it (Cohen & Massaro 1993): the mouth starts moving
    towards a sound this early. Anticipatory coarticulation is longer than carry-over."""
    carryover_s: float = 0.03
    """Time constant of a segment's dominance *after* it (carry-over coarticulation)."""
    core_fraction: float = 0.8
    """Share of each segment, around its centre, over which its dominance is at full strength (a long vowel
    holds its target instead of only touching it at the centre)."""
    lead_s: float = 0.0
    """Shift of the phone-driven motion earlier in time (lips lead the acoustic phone boundaries)."""

    jaw_gain: float = 1.0
    """Overall scale of the opening shapes (jaw, lip parting, funnel) after everything else."""
    loudness_base: float = 0.8
    """Loudness factor at the utterance's median speech level: the opening shapes are scaled by
    ``loudness_base + loudness_slope * clip((rms_db - median_db) / loudness_range_db, -1, 1)``."""
    loudness_slope: float = 0.4
    """How much the opening grows per ``loudness_range_db`` above the median speech level."""
    loudness_range_db: float = 12.0
    """Loudness range (dB) mapped onto the factor's slope."""
    loudness_smooth_s: float = 0.04
    """Zero-phase smoothing of the loudness before it scales the mouth (removes pitch-period ripple)."""

    silence_release_s: float = 0.08
    """Time constant with which the mouth relaxes to neutral when speech stops (and, mirrored, opens
    before speech starts): no snapping."""

    smooth_hz: float = 6.0
    """Acoustic path: cut-off of the zero-phase low-pass filter on the mouth trajectory (the lips follow
    syllables at 3–8 Hz; the filter does not lag because it runs forwards and backwards)."""
    acoustic_open_db: float = 24.0
    """Acoustic path: loudness above the noise floor (dB) that maps to full vowel opening."""
    closure_dip_db: float = 6.0
    """Acoustic path: a loudness dip at least this deep between two voiced stretches is a lip closure."""
    closure_dip_s: tuple[float, float] = (0.04, 0.15)
    """Acoustic path: shortest and longest dip that counts as a closure (a stop closure lasts 40–150 ms)."""
