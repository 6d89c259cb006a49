"""Combine neutral speech motion with an emotion: ``apply_emotion``.

Per frame ``t`` with emotion mix ``m_t`` (8,) and intensity ``i_t``:

1. **Deformation of neutral motion** (EmoGene, arXiv 2410.17262): the emotion offset is
   ``Σ_e m_te · d_e``. ``d_e`` is the posed prototype (``space.POSED_PROTOTYPES``: intensity 1 = a clear posed
   expression as in FACS prototype photographs) on the shapes it names and the measured direction of the
   ``EmotionSpace`` (MEAD level 3, about intensity 0.3–0.7: ``EmotionSpace.level3_intensity``) elsewhere;
   ``EmotionConfig.expressiveness`` blends the named shapes from the measured (0) to the posed (1) values.
2. **Hyperplane refinement** (EmoHead, arXiv 2503.19416): ``α̂ = α̃ + τ·w_z``. For each emotion ``z`` in the
   mix, ``α̃`` is the frame's speech weights plus the full (intensity 1) offset of ``z``; ``τ ≥ 0`` is the
   smallest step along the hyperplane normal ``w_z`` that brings the decision value ``w_z·α + b_z`` up to
   ``EmotionConfig.margin`` (0 when the frame is already there). Shapes that hit 0 or 1 drop out and the
   step is re-solved on the rest (a few iterations), and the step is capped at ``max_push`` times the
   direction's length. The push is weighted by ``m_tz``.
3. The refined offset is scaled by ``i_t`` — the whole offset is linear in the intensity, so the result is
   monotone in it, intensity 0 leaves the motion unchanged, and a change of the mix over time
   interpolates continuously between emotions while talking.
4. **Ownership** (EmotiveTalk, arXiv 2411.16726, lip/expression decoupling): brows, lids, cheeks, nose and
   mouth corners add. Lip-parting shapes (mouthLowerDown, mouthUpperUp, mouthStretch) add only positive
   amounts and fade out (``seal_gate``) where speech seals the lips (bilabials: small jaw with lip press or
   mouthClose), so closures still close. The emotion's jawOpen (surprise, fear, a laugh, disgust) scales
   speech's own jaw instead of adding to it (``jaw_gain``): an added drop held the mouth open in pauses and
   flattened the opening curve (median lip-sync r −0.10 under surprise, ``benchmarks/bm_lipsync_emotion.py``);
   scaled, the mouth opens wider on every syllable and still closes between words;
   lip press and chin raise (anger's AU 23, AU 17) add only while speech keeps the mouth closed; every
   other lip shape, blinks and gaze are left to their stages. The result is clipped to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from moodtalk.emotion.space import (
    CLOSED_MOUTH_SHAPES,
    EXPRESSION_SHAPES,
    OPENING_SHAPES,
    EmotionSpace,
    default_space,
    mask,
    posed_targets,
)
from moodtalk.types import BLENDSHAPE_NAMES, EMOTIONS, BlendshapeTrack, EmotionTrack, MotionTrack

_IDX = {n: i for i, n in enumerate(BLENDSHAPE_NAMES)}
_JAW, _CLOSE = _IDX["jawOpen"], _IDX["mouthClose"]
_PRESS = [_IDX["mouthPressLeft"], _IDX["mouthPressRight"]]


@dataclass(frozen=True)
class EmotionConfig:
    """How an emotion is laid over speech motion."""

    refine: bool = True
    """Apply EmoHead's hyperplane refinement after the direction offset."""
    margin: float = 0.5
    """Decision value ``w_z·α + b_z`` the refinement aims for at intensity 1 (the SVMs' margins are ±1;
    0.5 is inside the emotion's side without forcing every frame onto its most typical region)."""
    max_push: float = 0.5
    """Largest refinement step ``‖τ·w_z‖`` as a fraction of the emotion direction's length."""
    push_iterations: int = 4
    """Re-solves of τ after shapes saturate at 0 or 1."""
    expressiveness: float = 1.0
    """What intensity 1 means: 0 = MEAD's level-3 mean (the data direction + hyperplane push, which real
    actors show subtly), 1 = the clear posed expression of ``space.POSED_PROTOTYPES`` (FACS prototype
    photographs) on the shapes it names; in between, a linear blend of the two."""
    jaw_gain: float = 2.0
    """Speech's jawOpen is multiplied by ``1 + jaw_gain × the emotion's jawOpen`` (AU 25/26: surprise, fear, a
    laugh, disgust) where speech does not seal the lips; bilabial closures keep speech's jaw. 2: the largest
    gain whose lip-sync drop stays within 0.05 for every emotion (3: surprise −0.06)."""
    open_jaw: tuple[float, float] = (0.06, 0.15)
    """Speech jawOpen over which the mouth counts as going from closed (0) to open (1) (smoothstep)."""
    seal_press: tuple[float, float] = (0.1, 0.25)
    """Speech mouthPress over which the lips count as going from apart to sealed (bilabial press)."""
    seal_gate: tuple[float, float] = (0.1, 0.5)
    """``sealed`` over which lip-parting shapes and the jaw gain fade out (smoothstep): gone from half-sealed
    on, so a frame closing into a bilabial is not pulled open."""
    seal_close_ratio: tuple[float, float] = (0.5, 0.9)
    """Speech mouthClose / jawOpen over which the lips count as sealed (mouthClose cancels the jaw on
    the lips; they meet at about 0.9, see ``moodtalk.motion.targets``)."""


def _smoothstep(edges: tuple[float, float], x: np.ndarray) -> np.ndarray:
    u = np.clip((x - edges[0]) / (edges[1] - edges[0]), 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def mouth_gates(base: np.ndarray, config: EmotionConfig = EmotionConfig()) -> tuple[np.ndarray, np.ndarray]:
    """How open and how sealed speech keeps the mouth, per frame.

    Args:
        base: (T, 51) speech motion weights in ``BLENDSHAPE_NAMES`` order.

    Returns:
        ``open`` (T,) in [0, 1]: the jaw is open for speech; ``sealed`` (T,) in [0, 1]: the jaw is nearly
        closed *and* the lips are pressed or closed over it (a bilabial).
    """
    jaw = base[:, _JAW]
    opened = _smoothstep(config.open_jaw, jaw)
    press = base[:, _PRESS].mean(1)
    ratio = base[:, _CLOSE] / (jaw + 0.01)  # + 0.01: no ratio at rest, where both are 0
    lips = np.maximum(_smoothstep(config.seal_press, press), _smoothstep(config.seal_close_ratio, ratio))
    return opened, (1.0 - opened) * lips


def hyperplane_push(
    base: np.ndarray, direction: np.ndarray, normal: np.ndarray, bias: float, config: EmotionConfig = EmotionConfig()
) -> np.ndarray:
    """EmoHead's refinement step ``τ·w_z`` for one emotion at intensity 1, per frame.

    Args:
        base: (T, 51) speech weights.
        direction: (51,) the emotion's direction ``d_z``.
        normal, bias: its hyperplane ``w_z`` (51,), ``b_z``.

    Returns:
        (T, 51) step to add to ``base + d_z`` (0 where the frame already reaches ``config.margin``).
    """
    x0 = np.clip(base + direction, 0.0, 1.0)
    x = x0.copy()
    for _ in range(config.push_iterations):
        need = config.margin - (x @ normal + bias)
        if not np.any(need > 1e-9):
            break
        # Shapes already at the bound the step would cross cannot move: solve τ on the others.
        free = ((normal > 0) & (x < 1.0)) | ((normal < 0) & (x > 0.0))
        wf = normal * free
        n2 = (wf**2).sum(1)
        tau = np.where((need > 1e-9) & (n2 > 0), need / np.maximum(n2, 1e-12), 0.0)
        x = np.clip(x + tau[:, None] * wf, 0.0, 1.0)
    step = x - x0
    cap = config.max_push * float(np.linalg.norm(direction))
    norm = np.linalg.norm(step, axis=1, keepdims=True)
    return step * np.minimum(1.0, cap / np.maximum(norm, 1e-12))


def emotion_offsets(base: np.ndarray, emotion: EmotionTrack, space: EmotionSpace,
                    config: EmotionConfig = EmotionConfig()) -> np.ndarray:  # fmt: skip
    """(T, 51) raw emotion offset per frame (direction mix + hyperplane push, times intensity), before the
    ownership rules. ``base`` is the (T, 51) speech motion the push is measured from."""
    mix = emotion.weights.astype(np.float64)
    posed, given = posed_targets()
    g = float(config.expressiveness)
    offset = np.zeros((len(base), len(BLENDSHAPE_NAMES)))
    for z in range(1, len(EMOTIONS)):  # 0 = neutral: no direction, nothing to refine towards
        if not mix[:, z].any():
            continue
        # Intensity 1 = the posed prototype on the shapes it names (blended by ``expressiveness``), the
        # measured direction elsewhere; the hyperplane push starts from there.
        direction = space.directions[z].copy()
        direction[given[z]] = (1.0 - g) * direction[given[z]] + g * posed[z, given[z]]
        full = np.broadcast_to(direction, base.shape).copy()
        if config.refine and space.normals[z].any():
            full += hyperplane_push(base, direction, space.normals[z], space.biases[z], config)
        offset += mix[:, z, None] * full
    return emotion.intensity.astype(np.float64)[:, None] * offset


_ADD = mask(EXPRESSION_SHAPES) & ~mask(OPENING_SHAPES) & ~mask(CLOSED_MOUTH_SHAPES)
_PARTING = mask(OPENING_SHAPES) & ~mask(("jawOpen",))
_CLOSED = mask(CLOSED_MOUTH_SHAPES)


def combine(base: np.ndarray, offset: np.ndarray, config: EmotionConfig = EmotionConfig()) -> np.ndarray:
    """(T, 51) speech weights + emotion offset under the ownership rules (module docstring, step 4)."""
    opened, sealed = mouth_gates(base, config)
    out = base.copy()
    out[:, _ADD] += offset[:, _ADD]
    free = 1.0 - _smoothstep(config.seal_gate, sealed)
    out[:, _PARTING] += np.maximum(offset[:, _PARTING], 0.0) * free[:, None]
    out[:, _CLOSED] += np.maximum(offset[:, _CLOSED], 0.0) * (1.0 - opened)[:, None]
    out[:, _JAW] *= 1.0 + config.jaw_gain * np.maximum(offset[:, _JAW], 0.0) * free
    return np.clip(out, 0.0, 1.0)


def apply_emotion(
    motion: MotionTrack,
    emotion: EmotionTrack,
    space: EmotionSpace | None = None,
    config: EmotionConfig = EmotionConfig(),
) -> MotionTrack:
    """Lay an emotion over neutral speech motion (see the module docstring for the rules).

    Args:
        motion: (T, K) speech motion; any subset/order of ``BLENDSHAPE_NAMES`` (missing shapes count as 0
            and are not added).
        emotion: (T, 8) mix and (T,) intensity at the same frame rate and length.
        space: emotion directions and hyperplanes; the shipped one by default.
        config: combination settings.

    Returns:
        A new MotionTrack with the same names, fps and head pose; weights clipped to [0, 1].

    Raises:
        ValueError: lengths or frame rates differ.
    """
    if len(emotion) != len(motion):
        raise ValueError(f"emotion track has {len(emotion)} frames, motion has {len(motion)}")
    if not np.isclose(emotion.fps, motion.fps):
        raise ValueError(f"emotion track is at {emotion.fps} fps, motion at {motion.fps} fps")
    space = space or default_space()
    names = motion.blendshapes.names
    cols = np.array([_IDX.get(n, -1) for n in names])
    known = cols >= 0
    base = np.zeros((len(motion), len(BLENDSHAPE_NAMES)))
    base[:, cols[known]] = motion.blendshapes.weights[:, known]
    out = combine(base, emotion_offsets(base, emotion, space, config), config)
    weights = motion.blendshapes.weights.copy()
    weights[:, known] = out[:, cols[known]].astype(weights.dtype)
    return replace(motion, blendshapes=BlendshapeTrack(weights, names, motion.fps))
