"""Xu et al.'s emotion-agnostic, frame-wise intensity pseudo-labels (seed frame-wise-emotion-intensity.txt).

The paper measures how far each frame's facial keypoints are from the same speaker's neutral face. We
measure it in the expression blendshapes instead (``EXPRESSION_SHAPES``: brows, lids, cheeks, nose and the
mouth corners; not the jaw, the lips, the blinks or the gaze): keypoint distance is dominated by the
mouth opening and closing with every syllable and by blinks, which say nothing about emotion, while the
blendshape solver has already separated those from the expression.

For frame t of speaker s:  d_t = ‖max(e_t − n_s, 0)‖₂,  e_t the expression weights, n_s the speaker's
neutral expression: the per-shape median over the speaker's neutral-labelled clips when there are any,
else the per-shape ``CALM_PERCENTILE`` over all the speaker's frames (their calmest face). Only the
positive part counts: a brow lowered below neutral is a different shape (browDown), already in e_t.
Per dataset, d is divided by its ``SCALE_PERCENTILE`` and clipped to [0, 1].
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from moodtalk.emotion.space import TRANSFER_SHAPES
from moodtalk.types import BLENDSHAPE_NAMES

EXPRESSION_SHAPES: tuple[str, ...] = TRANSFER_SHAPES
"""The 21 shapes that carry expression and not speech (see ``moodtalk.emotion.space.TRANSFER_SHAPES``)."""
EXPRESSION_INDEX = np.array([BLENDSHAPE_NAMES.index(n) for n in EXPRESSION_SHAPES])
CALM_PERCENTILE = 10.0
"""A speaker without neutral-labelled clips: their neutral is this percentile of each shape's weight."""
SCALE_PERCENTILE = 95.0
"""Distances are divided by this percentile of their dataset's frames, so 1 = a strongly expressive frame."""
NEUTRAL_LABELS = frozenset({"neutral", "calm"})


def expression_distance(expression: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """(T, E) expression weights, (E,) the speaker's neutral → (T,) distance ‖max(e − n, 0)‖."""
    return np.linalg.norm(np.maximum(expression - neutral[None], 0.0), axis=1)


def speaker_neutral(expressions: list[np.ndarray], is_neutral: list[bool]) -> np.ndarray:
    """(E,) neutral expression of one speaker from their clips' (T_i, E) weights."""
    chosen = [e for e, n in zip(expressions, is_neutral, strict=True) if n]
    if chosen:
        return np.median(np.concatenate(chosen), axis=0)
    return np.percentile(np.concatenate(expressions), CALM_PERCENTILE, axis=0)


def pseudo_intensity(distances: dict[str, np.ndarray], dataset_of: dict[str, str]) -> dict[str, np.ndarray]:
    """Normalise per dataset: clip name → (T,) distance, clip name → dataset; returns clip → (T,) in [0, 1]."""
    scale: dict[str, float] = {}
    for ds in set(dataset_of.values()):
        pooled = np.concatenate([d for k, d in distances.items() if dataset_of[k] == ds])
        scale[ds] = max(float(np.percentile(pooled, SCALE_PERCENTILE)), 1e-6)
    return {k: np.clip(d / scale[dataset_of[k]], 0.0, 1.0).astype(np.float32) for k, d in distances.items()}


def label_records(paths: list[Path]) -> dict[str, dict]:
    """Compute the pseudo-intensity of every record with a video and write it into the record.

    Each record gains ``pseudo_intensity`` (T,) in [0, 1] and ``expression`` (T, E) (the expression weights
    relative to the speaker's neutral); a record whose labels did not change is not rewritten.

    Returns:
        str(path) → {'frames', 'audio_frames', 'seconds', 'pseudo_mean' (None without a video)}.
    """
    from moodtalk.datasets.prepare import write_npz_atomic

    info: dict[str, dict] = {}
    expr: dict[str, np.ndarray] = {}
    meta: dict[str, dict] = {}
    for p in paths:
        with np.load(p) as z:
            m = json.loads(str(z["meta"]))
            frames = len(z["blendshapes"]) if "blendshapes" in z.files else 0
            audio_frames = len(z["rms"]) if "rms" in z.files else 0
            if frames:
                expr[str(p)] = z["blendshapes"][:, EXPRESSION_INDEX].astype(np.float64)
        meta[str(p)] = m
        info[str(p)] = {"frames": frames, "audio_frames": audio_frames, "pseudo_mean": None,
                        "seconds": max(frames, audio_frames) / m["fps"]}  # fmt: skip
    by_speaker: dict[str, list[str]] = {}
    for k in expr:
        by_speaker.setdefault(meta[k]["clip"]["speaker"], []).append(k)
    distances: dict[str, np.ndarray] = {}
    neutral_of: dict[str, np.ndarray] = {}
    for keys in by_speaker.values():
        flags = [(meta[k]["clip"]["emotion"] or "") in NEUTRAL_LABELS for k in keys]
        n = speaker_neutral([expr[k] for k in keys], flags)
        for k in keys:
            neutral_of[k] = n
            distances[k] = expression_distance(expr[k], n)
    if not distances:
        return info
    labels = pseudo_intensity(distances, {k: meta[k]["clip"]["dataset"] for k in distances})
    for k, lab in labels.items():
        info[k]["pseudo_mean"] = float(lab.mean())
        relative = (expr[k] - neutral_of[k][None]).astype(np.float16)
        with np.load(k) as z:
            if "pseudo_intensity" in z.files and np.allclose(z["pseudo_intensity"], lab, atol=1e-4):
                continue
            arrays = {name: z[name] for name in z.files}
        arrays.update(pseudo_intensity=lab, expression=relative)
        write_npz_atomic(Path(k), arrays)
    return info
