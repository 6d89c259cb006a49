"""Viseme targets → a smooth mouth trajectory with dominance-function coarticulation.

Cohen & Massaro (1993), "Modeling coarticulation in synthetic visual speech": every segment ``s`` has a
target ``T_s`` and a dominance ``D_s(t) = α_s · exp(-|τ| / θ)`` that decays away from the segment, with a
longer time constant before it (anticipation) than after it (carry-over). The mouth at time ``t`` is the
dominance-weighted mean ``Σ D_s(t) T_s / Σ D_s(t)``. Here the dominance is flat over the central part of
each segment (a held vowel keeps its target) and decays from the edges of that core.
"""

from __future__ import annotations

import numpy as np

from moodtalk.motion.config import MotionConfig
from moodtalk.motion.targets import PHONE_ROWS, ROWS, VISEME_DOMINANCE, VISEMES, target_matrix
from moodtalk.types import PhoneTimeline

BLOCK_FRAMES = 512
"""Frames evaluated at once: memory is O(block × nearby segments), so any audio length works."""
REACH_TAUS = 8.0
"""Segments further than this many time constants from a frame are ignored (dominance < 3e-4 · α)."""
BACKGROUND_DOMINANCE = 1e-4
"""Dominance of an implicit neutral target everywhere, so frames far from every segment rest at 0."""
CLOSURE_VISEME = "PP"
"""Viseme whose lips must meet (P, B, M)."""


def segment_arrays(phones: PhoneTimeline) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S,) starts, (S,) ends in seconds and (S,) target rows into ``ROWS`` (a phone's own row from
    ``PHONE_ROWS`` when it has one, else its viseme's; unknown visemes → sil)."""
    segs = [s for s in phones.segments if np.isfinite(s.start) and np.isfinite(s.end) and s.end > s.start]
    starts = np.array([s.start for s in segs], dtype=np.float64)
    ends = np.array([s.end for s in segs], dtype=np.float64)
    rows = [PHONE_ROWS.get(s.phone.upper().rstrip("012"), s.viseme) if s.viseme in VISEMES else "sil" for s in segs]
    vis = np.array([ROWS.index(r) for r in rows], dtype=np.int64)
    return starts, ends, vis


def blend_visemes(phones: PhoneTimeline, n_frames: int, fps: float, config: MotionConfig) -> np.ndarray:
    """Coarticulated mouth trajectory from a phone timeline.

    Args:
        phones: time-ordered segments carrying Oculus viseme names.
        n_frames: T, frame ``i`` is sampled at its centre ``(i + 0.5) / fps``.
        fps: frames per second.
        config: coarticulation time constants and lead.

    Returns:
        (T, len(MOUTH_SHAPES)) float64 weights (not yet scaled by loudness or gated by silence).
    """
    targets = target_matrix()
    out = np.zeros((n_frames, targets.shape[1]))
    starts, ends, vis = segment_arrays(phones)
    if n_frames == 0 or starts.size == 0:
        return out
    centre = 0.5 * (starts + ends)
    half_core = 0.5 * (ends - starts) * config.core_fraction
    alpha = np.array([VISEME_DOMINANCE[ROWS[v]] for v in vis])
    seg_targets = targets[vis]  # (S, M)
    ant, carry = max(config.anticipation_s, 1e-4), max(config.carryover_s, 1e-4)
    times = (np.arange(n_frames) + 0.5) / fps + config.lead_s
    for i0 in range(0, n_frames, BLOCK_FRAMES):
        t = times[i0 : i0 + BLOCK_FRAMES]
        # Segments that can reach this block: anticipation reaches back from a later segment, carry-over forward.
        lo = np.searchsorted(ends, t[0] - REACH_TAUS * carry, side="left")
        hi = np.searchsorted(starts, t[-1] + REACH_TAUS * ant, side="right")
        if hi <= lo:
            continue
        d = t[:, None] - centre[None, lo:hi]  # (B, S) > 0: the frame is after the segment centre
        dist = np.maximum(np.abs(d) - half_core[None, lo:hi], 0.0)
        tau = np.where(d < 0, ant, carry)
        dom = alpha[None, lo:hi] * np.exp(-dist / tau)
        out[i0 : i0 + len(t)] = (dom @ seg_targets[lo:hi]) / (dom.sum(axis=1, keepdims=True) + BACKGROUND_DOMINANCE)
    return out


def closure_frames(phones: PhoneTimeline, n_frames: int, fps: float, lead_s: float = 0.0) -> np.ndarray:
    """Frames where a bilabial closes the lips: every frame whose centre lies in the middle half of a PP
    segment, and always the frame nearest its centre (so even a 30 ms /p/ closes at least one frame).

    Returns:
        (n_frames,) bool.
    """
    mask = np.zeros(n_frames, dtype=bool)
    starts, ends, vis = segment_arrays(phones)
    pp = vis == VISEMES.index(CLOSURE_VISEME)
    if n_frames == 0 or not pp.any():
        return mask
    s, e = starts[pp] - lead_s, ends[pp] - lead_s
    c, q = 0.5 * (s + e), 0.25 * (e - s)
    nearest = np.floor(c * fps).astype(np.int64)  # frame i covers [i/fps, (i+1)/fps)
    first = np.ceil((c - q) * fps - 0.5).astype(np.int64)
    last = np.floor((c + q) * fps - 0.5).astype(np.int64)
    ok = (nearest >= 0) & (nearest < n_frames)
    mask[nearest[ok]] = True
    # Middle-half frames, as a difference array (vectorised over segments).
    first, last = np.clip(first, 0, n_frames), np.clip(last + 1, 0, n_frames)
    keep = last > first
    edges = np.zeros(n_frames + 1, dtype=np.int64)
    np.add.at(edges, first[keep], 1)
    np.add.at(edges, last[keep], -1)
    mask |= np.cumsum(edges[:-1]) > 0
    return mask
