"""Emotion from a reference face (image or video): ``emotion_from_face``.

Following EmotiveTalk (arXiv 2411.16726), only the upper face and the mouth corners of the reference are
used — never its lips, which belong to the driving speech. Those shapes, taken as offsets from a typical
neutral talking face (``EmotionSpace.rest``), are scored by the emotion hyperplanes (EmoHead); a softmax of
the decision values gives the emotion mix, and the projection of the offsets onto the mix's direction
gives the intensity (1 = the direction itself = MEAD level 3). The same shapes are also returned as raw
offsets, for copying the reference's expression directly.

Weak point: a reference measured without a neutral face of the same person carries that person's resting
face in its weights; ``rest`` removes only the average resting face of the training actors.
"""

from __future__ import annotations

import numpy as np

from moodtalk.emotion.space import TRANSFER_SHAPES, EmotionSpace, default_space, mask
from moodtalk.emotion.track import MAX_INTENSITY
from moodtalk.types import BLENDSHAPE_NAMES, DEFAULT_FPS, EmotionTrack

__all__ = ["TRANSFER_SHAPES", "emotion_from_face"]

SOFTMAX_TEMPERATURE = 0.5
"""Hyperplane decision values → emotion mix by ``softmax(decision / T)``: the SVM margins are ±1, so at
T = 0.5 a frame one margin inside one class and one outside another weighs it e⁴ ≈ 55 times more."""

SMOOTH_S = 0.4
"""Moving-average window (seconds) over a reference video's per-frame coefficients: expressions change
over hundreds of milliseconds, solver noise frame to frame."""


def _moving_average(x: np.ndarray, n: int) -> np.ndarray:
    """(T, D) centred moving average over ``n`` frames (edges use the frames available)."""
    if n <= 1 or len(x) <= 1:
        return x
    kernel = np.ones(n)
    pad = n // 2
    num = np.apply_along_axis(lambda c: np.convolve(np.pad(c, (pad, n - 1 - pad)), kernel, "valid"), 0, x)
    den = np.convolve(np.pad(np.ones(len(x)), (pad, n - 1 - pad)), kernel, "valid")
    return num / den[:, None]


def emotion_from_face(
    weights: np.ndarray,
    fps: float = DEFAULT_FPS,
    space: EmotionSpace | None = None,
    smooth_s: float = SMOOTH_S,
) -> tuple[EmotionTrack, np.ndarray]:
    """Project a reference face's expression onto the emotion space.

    Args:
        weights: (T, 51) blendshape weights of the reference measured by the face solver (T = 1 for an
            image), in ``BLENDSHAPE_NAMES`` order.
        fps: frame rate of the reference (and of the returned track).
        space: the emotion space; the shipped one by default.
        smooth_s: temporal smoothing of the decision values and offsets for a video (0 = none).

    Returns:
        ``(track, offsets)``: the EmotionTrack (T frames; mix = softmax of the hyperplane decisions,
        intensity = projection onto the mix's non-neutral direction, in [0, 1.5]), and
        (T, 51) offsets that keep only ``TRANSFER_SHAPES`` of ``weights`` (0 elsewhere).

    Raises:
        ValueError: ``weights`` is not (T, 51) or not finite.
    """
    w = np.asarray(weights, np.float64)
    if w.ndim != 2 or w.shape[1] != len(BLENDSHAPE_NAMES):
        raise ValueError(f"weights must be (T, {len(BLENDSHAPE_NAMES)}), got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weights have non-finite values")
    space = space or default_space()
    keep = mask(TRANSFER_SHAPES)
    # Offsets from a typical neutral talking face: the hyperplanes were trained on change from neutral.
    x = np.where(keep, w - space.rest, 0.0)
    scores = _moving_average(space.decision(x), int(round(smooth_s * fps)))
    z = scores / SOFTMAX_TEMPERATURE
    mix = np.exp(z - z.max(1, keepdims=True))
    mix /= mix.sum(1, keepdims=True)
    # Intensity: how far the frame lies along its own non-neutral mix direction (1 = that direction).
    share = mix[:, 1:] / np.maximum(mix[:, 1:].sum(1, keepdims=True), 1e-12)
    direction = share @ np.where(keep, space.directions[1:], 0.0)
    along = np.einsum("tk,tk->t", _moving_average(x, int(round(smooth_s * fps))), direction)
    intensity = np.clip(along / np.maximum((direction**2).sum(1), 1e-12), 0.0, MAX_INTENSITY)
    track = EmotionTrack(mix.astype(np.float32), intensity.astype(np.float32), float(fps))
    return track, np.where(keep, w, 0.0)
