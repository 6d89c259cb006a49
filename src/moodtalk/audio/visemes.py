"""ARPAbet phone → viseme table and frame-rate viseme tracks.

The viseme set is the 15-class set of Meta's Oculus Lipsync SDK ("Viseme Reference",
https://developer.oculus.com/documentation/unity/audio-ovrlipsync-viseme-reference/), which is
also what many lip-sync tools (e.g. Ready Player Me / Wolf3D avatars) expose as blendshapes:
sil, PP, FF, TH, DD, kk, CH, SS, nn, RR, aa, E, ih, oh, ou. That reference gives one example
phoneme per viseme; the assignment of the 39 CMU/ARPAbet phones below follows it, with the
places-of-articulation of the CMU Pronouncing Dictionary phone set for the phones it leaves out.
"""

from __future__ import annotations

import numpy as np

from moodtalk.types import PhoneTimeline

VISEMES: tuple[str, ...] = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")
"""The 15 Oculus Lipsync visemes, in the SDK's index order."""

SILENCE_VISEME = "sil"
"""Viseme of silence, noise and any phone not in the table."""

PHONE_TO_VISEME: dict[str, str] = {
    "SIL": "sil",
    # Bilabials: lips closed.
    "P": "PP", "B": "PP", "M": "PP",
    # Labiodentals: lower lip under the upper teeth.
    "F": "FF", "V": "FF",
    # Dentals: tongue tip between the teeth.
    "TH": "TH", "DH": "TH",
    # Alveolar stops.
    "T": "DD", "D": "DD",
    # Velars; HH takes no lip shape of its own and is open-relaxed like the velars.
    "K": "kk", "G": "kk", "NG": "kk", "HH": "kk",
    # Post-alveolars (rounded, protruded lips).
    "CH": "CH", "JH": "CH", "SH": "CH", "ZH": "CH",
    # Alveolar fricatives.
    "S": "SS", "Z": "SS",
    # Alveolar nasal and lateral.
    "N": "nn", "L": "nn",
    # Rhotics.
    "R": "RR", "ER": "RR",
    # Open vowels (diphthongs AW/AY start open).
    "AA": "aa", "AE": "aa", "AH": "aa", "AW": "aa", "AY": "aa",
    # Mid front vowels.
    "EH": "E", "EY": "E",
    # Close front vowels and the palatal glide.
    "IH": "ih", "IY": "ih", "Y": "ih",
    # Mid back rounded vowels.
    "AO": "oh", "OW": "oh", "OY": "oh",
    # Close back rounded vowels and the labial-velar glide.
    "UH": "ou", "UW": "ou", "W": "ou",
}  # fmt: skip
"""ARPAbet phone (no stress digit) → Oculus viseme name."""


def phone_to_viseme(phone: str) -> str:
    """Viseme of an ARPAbet phone; stress digits are ignored, unknown phones and fillers are silence."""
    return PHONE_TO_VISEME.get(phone.upper().rstrip("012"), SILENCE_VISEME)


def viseme_frames(timeline: PhoneTimeline, n_frames: int, fps: float) -> np.ndarray:
    """Viseme index per video frame.

    Frame ``i`` gets the viseme of the segment that covers its centre ``(i + 0.5) / fps``;
    frames no segment covers are silence.

    Returns:
        (n_frames,) int64 indices into ``VISEMES``.
    """
    out = np.zeros(n_frames, dtype=np.int64)  # VISEMES[0] is silence
    if not timeline.segments or n_frames <= 0:
        return out
    centres = (np.arange(n_frames) + 0.5) / fps
    starts = np.array([s.start for s in timeline.segments])
    ends = np.array([s.end for s in timeline.segments])
    index = np.array([VISEMES.index(s.viseme) if s.viseme in VISEMES else 0 for s in timeline.segments])
    # Segments are time-ordered and non-overlapping: the last start at or before a centre is the candidate.
    k = np.searchsorted(starts, centres, side="right") - 1
    inside = (k >= 0) & (centres < ends[np.clip(k, 0, None)])
    out[inside] = index[k[inside]]
    return out


def viseme_one_hot(timeline: PhoneTimeline, n_frames: int, fps: float) -> np.ndarray:
    """Viseme per video frame as one-hot rows.

    Returns:
        (n_frames, len(VISEMES)) float32, exactly one 1.0 per row.
    """
    return np.eye(len(VISEMES), dtype=np.float32)[viseme_frames(timeline, n_frames, fps)]
