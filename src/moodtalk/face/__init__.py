"""Face stage: frames → landmarks, head pose, pose-free face and blendshape weights.

Public entry point: :func:`analyze_face` (track + solve); :func:`solve_landmarks` solves landmarks
that are already tracked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from moodtalk.errors import InputError
from moodtalk.face.model import FaceModel, default_model, estimate_pose, from_canonical, to_canonical
from moodtalk.face.solver import SolverConfig, fit_identity, reconstruct, residual, solve_weights
from moodtalk.face.tracker import TrackerConfig, track_frames, untracked_ranges
from moodtalk.geometry import euler_to_matrix
from moodtalk.geometry import landmarks as lm
from moodtalk.types import BlendshapeTrack, FaceAnalysis, Frames, LandmarkTrack, PoseTrack

__all__ = ["FaceConfig", "analyze_face", "retarget", "solve_landmarks"]


@dataclass(frozen=True)
class FaceConfig:
    """Settings of the face stage."""

    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    """MediaPipe tracking and smoothing."""
    solver: SolverConfig = field(default_factory=SolverConfig)
    """Blendshape solver."""


def _fill_gaps(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Linear interpolation over frames where ``valid`` is False (held at the ends); (T, ...) → (T, ...)."""
    if valid.all():
        return values
    t = np.arange(len(values))
    flat = values.reshape(len(values), -1)
    out = np.empty_like(flat)
    for j in range(flat.shape[1]):
        out[:, j] = np.interp(t, t[valid], flat[valid, j])
    return out.reshape(values.shape)


def analyze_face(
    chunks: Iterable[Frames],
    *,
    static: bool = False,
    neutral: np.ndarray | None = None,
    config: FaceConfig = FaceConfig(),
    model: FaceModel | None = None,
    source: str | None = None,
) -> FaceAnalysis:
    """Track the largest face and solve its expression per frame.

    Args:
        chunks: Frames in time order, in chunks (a photo is one chunk of one frame).
        static: frames are unrelated photos (no tracking or smoothing between them).
        neutral: (478, 3) the person's neutral face in canonical units, when known (e.g. from
            a neutral clip of the same person); otherwise it is estimated from these frames.
        config: stage settings.
        model: face model; the packaged one by default.
        source: file name for messages.

    Returns:
        FaceAnalysis. Frames without a face are interpolated from their neighbours and listed
        in ``notes``.

    Raises:
        InputError: no face in any frame, or no frames.
    """
    track, most_faces = track_frames(chunks, static=static, cfg=config.tracker)
    notes = (f"{most_faces} faces seen; using the largest one",) if most_faces > 1 else ()
    return solve_landmarks(track, neutral=neutral, config=config, model=model, source=source, notes=notes)


def solve_landmarks(
    track: LandmarkTrack,
    *,
    neutral: np.ndarray | None = None,
    config: FaceConfig = FaceConfig(),
    model: FaceModel | None = None,
    source: str | None = None,
    notes: tuple[str, ...] = (),
) -> FaceAnalysis:
    """Head pose and expression of already tracked landmarks (the second half of :func:`analyze_face`).

    Args:
        track: landmarks in pixels, NaN where no face was found.
        neutral, config, model, source: as in :func:`analyze_face`.
        notes: messages to carry into the result.

    Raises:
        InputError: no frames, or no face in any frame.
    """
    model = model or default_model()
    if len(track) == 0:
        raise InputError(source, "has no frames")
    valid = track.valid
    if not valid.any():
        raise InputError(source, f"no face found in any of its {len(track)} frame(s)")
    notes = list(notes)
    for first, last in untracked_ranges(valid):
        fps = track.fps
        notes.append(f"no face in frames {first}-{last} ({first / fps:.2f}-{(last + 1) / fps:.2f} s); interpolated")
    pts = track.points[valid].astype(np.float64)
    rotation, scale, translation = estimate_pose(pts, model.canonical)
    canon = to_canonical(pts, rotation, scale, translation)
    if neutral is None:
        neutral, weights = fit_identity(canon, model.canonical, model.basis, model.names, config.solver)
    else:
        weights = solve_weights(canon, neutral, model.basis, config.solver)
    err = residual(canon, reconstruct(weights, neutral, model.basis))

    def full(values: np.ndarray) -> np.ndarray:
        out = np.zeros((len(track),) + values.shape[1:], dtype=np.float64)
        out[valid] = values
        return _fill_gaps(out, valid)

    rot_full = full(rotation)
    u, _, vt = np.linalg.svd(rot_full)  # re-orthonormalise interpolated rotations
    rot_full = u @ vt
    pose = PoseTrack(rotation=rot_full.astype(np.float32), translation=full(translation).astype(np.float32),
                     scale=full(scale).astype(np.float32), image_size=track.image_size, fps=track.fps)  # fmt: skip
    blend = BlendshapeTrack(np.clip(full(weights), 0, 1).astype(np.float32), model.names, track.fps)
    return FaceAnalysis(landmarks=track, pose=pose, canonical_points=full(canon).astype(np.float32),
                        identity=np.asarray(neutral, np.float32), blendshapes=blend,
                        residual=full(err).astype(np.float32), notes=tuple(notes))  # fmt: skip


def retarget(
    face: FaceAnalysis,
    weights: np.ndarray,
    head_rotation: np.ndarray | None = None,
    head_translation: np.ndarray | None = None,
    model: FaceModel | None = None,
) -> np.ndarray:
    """Landmarks of a photographed face (frame 0 of ``face``) showing other expressions and head poses.

    The face's own expression is replaced, not added to: faces are built from the person's neutral
    face (``face.identity``) plus ``weights``, posed by the photo's pose composed with the relative
    head pose, and only their change from the photo's own reconstruction is applied to its tracked
    landmarks, so details the blendshapes do not model stay exactly where they are. Two exceptions,
    where keeping the photo's difference from the model would keep the face from closing: a lip gap the
    photo's neutral face absorbed (a photo taken mid-word) is removed as jaw opening, and the lids close by
    the share the weights close the model's mean eye, whatever the photo's eye size.

    Args:
        face: analysis of the photo (its frame 0 is used).
        weights: (n, K) blendshape weights to show.
        head_rotation: (n, 3) yaw/pitch/roll degrees relative to the photo's head (default none).
        head_translation: (n, 3) offsets in eye distances relative to the photo's head (default none).
        model: face model; the packaged one by default.

    Returns:
        (n, 478, 3) float32 landmarks in the photo's pixels.
    """
    model = model or default_model()
    n = len(weights)
    r0, s0, t0 = face.pose.rotation[:1], face.pose.scale[:1], face.pose.translation[:1]
    own = from_canonical(reconstruct(face.blendshapes.weights[:1], face.identity, model.basis), r0, s0, t0)
    rel = euler_to_matrix(np.zeros((n, 3)) if head_rotation is None else head_rotation)  # (n, 3, 3)
    rot = np.einsum("ij,njk->nik", r0[0], rel)
    offset = np.zeros((n, 3)) if head_translation is None else head_translation
    shift = t0 + s0[:, None] * np.einsum("ij,nj->ni", r0[0], offset)
    weights = np.array(weights, np.float64)
    weights[:, model.names.index("jawOpen")] += _jaw_correction(weights, face, model)
    posed = from_canonical(reconstruct(weights, face.identity, model.basis), rot, np.repeat(s0, n), shift)
    photo = face.landmarks.points[:1].astype(np.float64)
    share = _open_share(weights, model) / np.maximum(_open_share(face.blendshapes.weights[:1], model), 1e-6)
    return _close_lids(photo + (posed - own), photo, share).astype(np.float32)


REST_LIP_GAP = 0.02
"""Vertical inner-lip gap (eye distances, pose-free) of a closed mouth: 0.000-0.020 in the neutral faces
fitted to the closed-mouth first frames of the evaluation's talking clips."""


def _jaw_correction(weights: np.ndarray, face: FaceAnalysis, model: FaceModel) -> np.ndarray:
    """(n,) jawOpen to add to ``weights`` (n, K) so the retargeted lips rest closed and never pass each other.

    1. From one photo the solver cannot tell an open mouth from the person's shape: the neutral face of a
       photo taken mid-word keeps its lips apart (up to 0.19 eye distances on the evaluation's first
       frames) and the speech motion's closures, which only subtract, never shut it. The vertical gap the
       retargeted face shows at zero weights, beyond ``REST_LIP_GAP``, is taken back as jaw opening.
    2. Closing shapes on a face that rests closed would push the lower lip through the upper one (the
       tracker then reads an open mouth): the jaw stops where the lips meet.

    Vertical gaps (canonical y points down), not 3-D: many closed mouths are tracked with the lower lip
    0.04 behind the upper one.
    """
    up, lo = (list(ids) for ids in lm.MID_LIP_PAIRS)
    k = model.names.index("jawOpen")
    gap_of = model.basis[:, lo, 1].mean(1) - model.basis[:, up, 1].mean(1)  # (K,) gap per unit weight
    photo = face.canonical_points[0]
    rest = float(np.mean(photo[lo, 1] - photo[up, 1]) - face.blendshapes.weights[0] @ gap_of)
    absorbed = max(rest - REST_LIP_GAP, 0.0) / gap_of[k]
    gap = rest - absorbed * gap_of[k] + weights @ gap_of  # (n,)
    stop = np.maximum(min(rest, 0.0) - gap, 0.0) / gap_of[k]
    return stop - absorbed


LID_PAIRS = tuple((np.array(u[1:-1]), np.array(lo[1:-1])) for u, lo in lm.EYE_LIDS)
"""Facing upper/lower lid landmark ids of each eye, corners left out."""


def _open_share(weights: np.ndarray, model: FaceModel) -> np.ndarray:
    """(n, 2) share of each eye's lid gap (``geometry.landmarks.LID_GAP_PAIRS``) that ``weights`` (n, K) leave
    open on the model's mean face."""
    out = []
    for upper, lower in lm.EYE_LIDS:
        up, lo = list(upper[lm.LID_GAP_PAIRS]), list(lower[lm.LID_GAP_PAIRS])
        p = len(up)
        face = reconstruct(weights, model.canonical[up + lo], model.basis[:, up + lo])  # (n, 2p, 3)
        gap = np.linalg.norm(face[:, :p, :2] - face[:, p:, :2], axis=-1).mean(-1)
        rest = np.linalg.norm(model.canonical[up, :2] - model.canonical[lo, :2], axis=-1).mean()
        out.append(np.clip(gap / rest, 0.0, None))
    return np.stack(out, -1)


def _close_lids(target: np.ndarray, photo: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Retargeted lid gaps shrunk to the share of the photo's own gap that the expression leaves open.

    The blendshapes close the model's mean eye; added to a photo whose eyes open wider than that (large or
    made-up eyes), a full blink leaves a third of the eye open. Here each eye's upper lid is placed so that
    every lid gap is at most ``share`` times the photo's own gap (``share``: the target weights' open
    share of the mean eye over the photo's own weights' one). Gaps are only ever shrunk: the photo's own
    expression (share 1) and wider eyes are unchanged.

    Args:
        target: (n, 478, 3) retargeted landmarks, pixels.
        photo: (1, 478, 3) the photo's tracked landmarks.
        share: (n, 2) open share per frame and eye (subject's right, left).

    Returns:
        (n, 478, 3) ``target`` with its upper lids moved (a new array).
    """
    out = target.copy()
    for e, (up, lo) in enumerate(LID_PAIRS):
        gap = target[:, up] - target[:, lo]  # (n, P, 3)
        size = np.linalg.norm(gap[..., :2], axis=-1)
        allowed = share[:, e, None] * np.linalg.norm(photo[:, up, :2] - photo[:, lo, :2], axis=-1)
        scale = np.minimum(1.0, allowed / np.maximum(size, 1e-6))
        out[:, up] = target[:, lo] + gap * scale[..., None]
    return out
