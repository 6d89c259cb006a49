"""Pure evaluation measures for generated talking-head videos.

Every function is deterministic, uses no learned model and states its definition and source in its
docstring. Conventions: time first (``T`` frames), images RGB ``uint8``, landmarks as in
``moodtalk.types`` (MediaPipe 478 points, pixels, or canonical IOD units).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.stats import rankdata
from skimage.metrics import structural_similarity

from moodtalk.geometry.landmarks import (
    LIPS_LOWER_INNER,
    LIPS_LOWER_OUTER,
    LIPS_UPPER_INNER,
    LIPS_UPPER_OUTER,
    RIGID_POINTS,
    interocular,
)
from moodtalk.geometry.rigid import similarity_procrustes

__all__ = [
    "BLINK_FRACTION",
    "BLINK_MAX_FRAMES",
    "BLINK_MIN_FRAMES",
    "EVENT_MERGE_FRAMES",
    "MOUTH_POINTS",
    "PEAK_UINT8",
    "DriftResult",
    "angular_jitter",
    "angular_speed",
    "best_lag_correlation",
    "blink_rate",
    "closure_events",
    "face_lmd",
    "identity_drift",
    "landmark_distance",
    "match_events",
    "mouth_lmd",
    "pearson",
    "psnr",
    "spearman",
    "ssim",
]

PEAK_UINT8 = 255.0
"""Peak signal value of 8-bit images (PSNR)."""
SSIM_MIN_SIDE = 7
"""scikit-image's default SSIM window is 7x7: a region must be at least this large on each side."""
MOUTH_POINTS: tuple[int, ...] = tuple(
    sorted(set(LIPS_UPPER_OUTER + LIPS_LOWER_OUTER + LIPS_UPPER_INNER + LIPS_LOWER_INNER))
)
"""The 40 MediaPipe lip-contour points (outer and inner, upper and lower) used by M-LMD."""
MIN_OVERLAP = 3
"""Fewest common samples for which a lagged Pearson correlation is computed."""
EVENT_MERGE_FRAMES = 2
"""Closure candidates at most this many frames apart belong to one event."""
BLINK_FRACTION = 0.5
"""A blink is a dip of the eye opening below this fraction of the clip's median opening ..."""
BLINK_MIN_FRAMES = 1
"""... lasting at least this many frames ..."""
BLINK_MAX_FRAMES = 15
"""... and at most this many (longer dips are closed eyes / looking down, not blinks)."""
JITTER_PERCENTILE = 95.0
"""Percentile of the frame-to-frame angle change reported as jitter."""

Region = np.ndarray | tuple[int, int, int, int] | None
"""A face region: None (whole image), an (H, W) bool mask, or a bbox (x0, y0, x1, y1) in pixels, end exclusive."""


# --------------------------------------------------------------------------- images


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {a.dtype} and {b.dtype}")
    if a.ndim not in (2, 3):
        raise ValueError(f"images must be (H, W) or (H, W, C), got {a.shape}")
    return a, b


def _bbox_slices(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> tuple[slice, slice]:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    h, w = shape[:2]
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"bbox {box} is empty inside a {w}x{h} image")
    return slice(y0, y1), slice(x0, x1)


def _mask(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    m = np.asarray(mask, dtype=bool)
    if m.shape != shape[:2]:
        raise ValueError(f"mask must be (H, W) = {shape[:2]}, got {m.shape}")
    if not m.any():
        raise ValueError("mask selects no pixel")
    return m


def psnr(a: np.ndarray, b: np.ndarray, mask: Region = None) -> float:
    """Peak signal-to-noise ratio in dB between two uint8 images.

    Definition: ``PSNR = 10 log10(255² / MSE)`` with MSE the mean squared difference over the selected
    pixels and all channels (the standard definition, e.g. Wang et al. 2004, IEEE TIP 13(4), sec. I;
    the same as ``skimage.metrics.peak_signal_noise_ratio`` with ``data_range=255``). Identical
    regions give ``inf``.

    Args:
        a, b: (H, W) or (H, W, C) uint8 images of one shape.
        mask: the face region: None (whole image), (H, W) bool mask, or bbox (x0, y0, x1, y1) px.

    Returns:
        PSNR in dB (``inf`` when the regions are identical).
    """
    a, b = _pair(a, b)
    diff = a.astype(np.float64) - b.astype(np.float64)
    if isinstance(mask, tuple):
        diff = diff[_bbox_slices(mask, a.shape)]
    elif mask is not None:
        diff = diff[_mask(mask, a.shape)]
    mse = float(np.mean(diff**2))
    return float("inf") if mse == 0.0 else float(10.0 * np.log10(PEAK_UINT8**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray, mask: Region = None) -> float:
    """Structural similarity (Wang et al. 2004, IEEE TIP 13(4)) between two uint8 images.

    Computed by ``skimage.metrics.structural_similarity`` (7x7 uniform window, K1=0.01, K2=0.03,
    ``data_range=255``, ``channel_axis=-1`` for colour: the mean over channels). Region handling:

    * bbox: both images are cropped to it and the mean SSIM of the crop is returned;
    * bool mask: the full SSIM map of the whole images is averaged over the masked pixels (and channels).

    Identical images give 1.0.

    Args:
        a, b: (H, W) or (H, W, C) uint8 images of one shape.
        mask: None (whole image), (H, W) bool mask, or bbox (x0, y0, x1, y1) px (at least 7x7).

    Returns:
        Mean SSIM in [-1, 1].
    """
    a, b = _pair(a, b)
    if isinstance(mask, tuple):
        sl = _bbox_slices(mask, a.shape)
        a, b = a[sl], b[sl]
        mask = None
    if min(a.shape[:2]) < SSIM_MIN_SIDE:
        raise ValueError(f"SSIM needs a region of at least {SSIM_MIN_SIDE}x{SSIM_MIN_SIDE} px, got {a.shape[:2]}")
    channel_axis = -1 if a.ndim == 3 else None
    if mask is None:
        return float(structural_similarity(a, b, data_range=PEAK_UINT8, channel_axis=channel_axis))
    m = _mask(mask, a.shape)
    _, full = structural_similarity(a, b, data_range=PEAK_UINT8, channel_axis=channel_axis, full=True)
    return float(np.mean(full[m]))


# --------------------------------------------------------------------------- landmarks


def landmark_distance(pred: np.ndarray, real: np.ndarray, normalise_by: np.ndarray | None = None) -> float:
    """Landmark distance (LMD): mean Euclidean distance between corresponding landmarks.

    Definition (Chen et al., "Hierarchical cross-modal talking face generation with dynamic pixel-wise
    loss", CVPR 2019): ``LMD = 1/(T N) Σ_t Σ_n ||p_tn - r_tn||``. Here each frame's distances may be
    divided by a per-frame face size ``normalise_by[t]`` (e.g. the real face's eye distance) so the
    result does not depend on the image resolution. Frames with any non-finite value are skipped.

    Args:
        pred: (T, N, D) generated landmarks, D = 2 or 3.
        real: (T, N, D) real landmarks, same shape.
        normalise_by: (T,) positive face size per frame, or None (distance in the input unit).

    Returns:
        Mean distance (input unit, or face-size units when normalised); NaN when no frame is usable.
    """
    p, r = np.asarray(pred, np.float64), np.asarray(real, np.float64)
    if p.shape != r.shape or p.ndim != 3 or p.shape[-1] not in (2, 3):
        raise ValueError(f"pred and real must both be (T, N, 2|3), got {p.shape} and {r.shape}")
    d = np.linalg.norm(p - r, axis=-1).mean(-1)  # (T,)
    if normalise_by is not None:
        s = np.asarray(normalise_by, np.float64)
        if s.shape != d.shape:
            raise ValueError(f"normalise_by must be ({len(d)},), got {s.shape}")
        d = np.where(s > 0, d / np.where(s > 0, s, 1.0), np.nan)
    d = d[np.isfinite(d)]
    return float(d.mean()) if d.size else float("nan")


def mouth_lmd(pred: np.ndarray, real: np.ndarray) -> float:
    """M-LMD: landmark distance over the 40 lip points, (x, y) only, in units of the real eye distance.

    The mouth/face split of LMD follows Ji et al., "Audio-driven emotional video portraits" (CVPR 2021),
    building on Chen et al. 2019; those papers use dlib's 68 points in pixels at a fixed crop size,
    here MediaPipe's lip contours (``MOUTH_POINTS``) normalised by ``interocular(real)`` per frame, so
    values are comparable across resolutions but not with published pixel numbers.

    Args:
        pred, real: (T, 478, 3) landmarks in pixels (generated, real).
    """
    idx = np.asarray(MOUTH_POINTS)
    return landmark_distance(pred[:, idx, :2], real[:, idx, :2], interocular(np.asarray(real, np.float64)))


def face_lmd(pred: np.ndarray, real: np.ndarray) -> float:
    """F-LMD: landmark distance over all 478 points, (x, y) only, in units of the real eye distance.

    See ``mouth_lmd`` for sources and the normalisation.

    Args:
        pred, real: (T, 478, 3) landmarks in pixels (generated, real).
    """
    return landmark_distance(pred[..., :2], real[..., :2], interocular(np.asarray(real, np.float64)))


# --------------------------------------------------------------------------- correlation


def _paired(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two series as flat float64 arrays of one length (ValueError if the lengths differ)."""
    x, y = np.asarray(x, np.float64).ravel(), np.asarray(y, np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"series differ in length: {x.shape} vs {y.shape}")
    return x, y


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation of two (T,) series over the samples where both are finite (NaN if undefined)."""
    x, y = _paired(x, y)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    xc, yc = x[ok] - x[ok].mean(), y[ok] - y[ok].mean()
    den = np.sqrt((xc**2).sum() * (yc**2).sum())
    return float((xc * yc).sum() / den) if den > 0 else float("nan")


def best_lag_correlation(x: np.ndarray, y: np.ndarray, max_lag: int = 12) -> tuple[float, int]:
    """Largest Pearson correlation of ``x`` and ``y`` over integer lags in ``[-max_lag, max_lag]``.

    Sign convention: at lag ``L`` the pairs compared are ``(x[t], y[t + L])``, so **L > 0 means y
    lags x** (y is late; with x = real and y = generated mouth opening, the generated mouth moves
    ``L`` frames after the real one). Only the overlapping part (``T - |L|`` samples, at least
    ``MIN_OVERLAP``) is used, with non-finite samples dropped. The maximum is of r itself, not |r|.
    Ties go to the smallest |L| (then the negative one). Used as the lip-sync correlation in this
    project's benchmarks (cf. the offset search of SyncNet, Chung & Zisserman, ACCV 2016 workshops).

    Args:
        x, y: (T,) series of one length (e.g. per-frame mouth opening).
        max_lag: largest |lag| tried, frames.

    Returns:
        (r, lag): the best correlation and its lag; (NaN, 0) when no lag gives a defined r.
    """
    x, y = _paired(x, y)
    n = x.size
    best_r, best_lag = float("nan"), 0
    for lag in sorted(range(-max_lag, max_lag + 1), key=lambda v: (abs(v), v)):
        if n - abs(lag) < MIN_OVERLAP:
            continue
        xs, ys = (x[: n - lag], y[lag:]) if lag >= 0 else (x[-lag:], y[: n + lag])
        r = pearson(xs, ys)
        if np.isfinite(r) and (not np.isfinite(best_r) or r > best_r):
            best_r, best_lag = r, lag
    return best_r, best_lag


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation: Pearson correlation of the ranks (ties get their average rank).

    Spearman (1904), "The proof and measurement of association between two things"; same value as
    ``scipy.stats.spearmanr``. Pairs with a non-finite value are dropped. NaN when undefined.

    Args:
        x, y: (N,) values of one length.
    """
    x, y = _paired(x, y)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 2:
        return float("nan")
    return pearson(rankdata(x[ok]), rankdata(y[ok]))


# --------------------------------------------------------------------------- events


def closure_events(
    opening: np.ndarray, speech_mask: np.ndarray | None, threshold: float, merge: int = EVENT_MERGE_FRAMES
) -> np.ndarray:
    """Frame indices of lip-closure events in a mouth-opening curve.

    Definition (this project's): a candidate is a frame ``t`` inside speech (``speech_mask[t]``) whose
    opening is below ``threshold`` and is a local minimum (``<=`` both neighbours that exist; a flat
    closed plateau makes every frame a candidate). Candidates whose gap to the previous candidate is at
    most ``merge`` frames are chained into one event (single linkage), represented by its frame of
    smallest opening (the first one on a tie). Closures matter because bilabials (/p b m/) need them
    and they are the lip-sync errors viewers notice.

    Args:
        opening: (T,) mouth opening (e.g. ``mouth_opening``, IOD units); NaN frames are never candidates.
        speech_mask: (T,) bool, frames during speech; None = all frames.
        threshold: opening below which the lips count as closed.
        merge: candidates at most this many frames apart are one event.

    Returns:
        (E,) int64 sorted event frame indices.
    """
    o = np.asarray(opening, np.float64).ravel()
    mask = np.ones(o.size, bool) if speech_mask is None else np.asarray(speech_mask, bool).ravel()
    if mask.shape != o.shape:
        raise ValueError(f"speech_mask must be ({o.size},), got {mask.shape}")
    padded = np.concatenate([[np.inf], np.where(np.isfinite(o), o, np.inf), [np.inf]])
    local_min = (padded[1:-1] <= padded[:-2]) & (padded[1:-1] <= padded[2:])
    cand = np.flatnonzero(local_min & mask & np.isfinite(o) & (o < threshold))
    if cand.size == 0:
        return np.zeros(0, np.int64)
    groups = np.split(cand, np.flatnonzero(np.diff(cand) > merge) + 1)
    return np.array([g[np.argmin(o[g])] for g in groups], np.int64)


def match_events(real_idx: np.ndarray, gen_idx: np.ndarray, tolerance: int = 2) -> tuple[float, float]:
    """Recall and precision of generated events against real ones, one-to-one within a tolerance.

    Definition: events are matched one-to-one when ``|real - gen| <= tolerance`` frames (greedy in time
    order, each real event takes the earliest free generated one in its window; for equal windows on a
    line this gives a maximum matching), as in onset-detection evaluation (e.g. ``mir_eval.onset``,
    Raffel et al. 2014). ``recall = matched / len(real)``, ``precision = matched / len(gen)``; a ratio
    with an empty denominator is NaN (undefined), not 0 or 1.

    Args:
        real_idx: (E_r,) frame indices of real events.
        gen_idx: (E_g,) frame indices of generated events (same time base, lag already removed).
        tolerance: largest offset in frames that still matches.

    Returns:
        (recall, precision).
    """
    real = np.sort(np.asarray(real_idx, np.int64).ravel())
    gen = np.sort(np.asarray(gen_idx, np.int64).ravel())
    used = np.zeros(gen.size, bool)
    matched = 0
    for r in real:
        for j in np.flatnonzero(~used & (np.abs(gen - r) <= tolerance)):
            used[j] = True
            matched += 1
            break
    recall = matched / real.size if real.size else float("nan")
    precision = matched / gen.size if gen.size else float("nan")
    return float(recall), float(precision)


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of the runs of True in a (T,) bool array."""
    d = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return [(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def blink_rate(
    eye_opening: np.ndarray,
    fps: float,
    fraction: float = BLINK_FRACTION,
    min_frames: int = BLINK_MIN_FRAMES,
    max_frames: int = BLINK_MAX_FRAMES,
) -> float:
    """Blinks per minute from an eye-opening curve.

    Definition (this project's, after the eye-aspect-ratio blink detector of Soukupová & Čech 2016,
    "Real-time eye blink detection using facial landmarks", CVWW, with a relative threshold): a blink
    is a run of consecutive frames whose opening is below ``fraction`` (50 %) of the clip's median
    opening, lasting ``min_frames``..``max_frames`` (1–15) frames; longer runs are closed eyes, not
    blinks. NaN frames are not below. Rate = blinks / duration in minutes, duration = T / fps.
    Human spontaneous rate at rest is roughly 15–20 per minute (Bentivoglio et al. 1997).

    Args:
        eye_opening: (T,) eye opening (e.g. lid gap over eye width, either unit).
        fps: frames per second.

    Returns:
        Blinks per minute (NaN for an empty or all-NaN curve).
    """
    e = np.asarray(eye_opening, np.float64).ravel()
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps!r}")
    if e.size == 0 or not np.isfinite(e).any():
        return float("nan")
    below = np.isfinite(e) & (e < fraction * np.nanmedian(e))
    blinks = sum(1 for _, n in _runs(below) if min_frames <= n <= max_frames)
    return float(blinks / (e.size / fps / 60.0))


# --------------------------------------------------------------------------- head motion


def _angle_steps(angles_deg: np.ndarray) -> np.ndarray:
    """(T-1,) Euclidean norm of the frame-to-frame change of (yaw, pitch, roll), wrapped to ±180°."""
    a = np.asarray(angles_deg, np.float64)
    if a.ndim != 2 or a.shape[1] != 3:
        raise ValueError(f"angles must be (T, 3) degrees, got {a.shape}")
    d = (np.diff(a, axis=0) + 180.0) % 360.0 - 180.0
    return np.linalg.norm(d, axis=1)


def angular_jitter(angles_deg: np.ndarray, percentile: float = JITTER_PERCENTILE) -> float:
    """Head-pose jitter: the 95th percentile of the frame-to-frame change of the head angles.

    Definition (this project's): ``step_t = ||a_{t+1} - a_t||`` over (yaw, pitch, roll) in degrees
    (each difference wrapped to ±180°; for small steps this is close to the geodesic rotation angle),
    jitter = ``percentile(step, 95)`` in degrees per frame. A smooth head gives a small value at any
    speed of slow motion; tracking noise or popping raises it.

    Args:
        angles_deg: (T, 3) yaw, pitch, roll in degrees.

    Returns:
        Degrees per frame (NaN when T < 2).
    """
    s = _angle_steps(angles_deg)
    s = s[np.isfinite(s)]
    return float(np.percentile(s, percentile)) if s.size else float("nan")


def angular_speed(angles_deg: np.ndarray, fps: float) -> float:
    """Mean head angular speed in degrees per second: ``mean_t ||a_{t+1} - a_t|| * fps`` (see ``angular_jitter``).

    Args:
        angles_deg: (T, 3) yaw, pitch, roll in degrees.
        fps: frames per second.
    """
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps!r}")
    s = _angle_steps(angles_deg)
    s = s[np.isfinite(s)]
    return float(s.mean() * fps) if s.size else float("nan")


# --------------------------------------------------------------------------- identity


class DriftResult(NamedTuple):
    """Identity drift of a clip."""

    curve: np.ndarray
    """(T,) distance of each frame's face shape to the first frame's (shape units, 0 at t = 0)."""
    slope: float
    """Least-squares slope of ``curve`` against time, shape units per second (growth; ~0 = no drift)."""
    final: float
    """Mean of ``curve`` over the last second (or the last frame when shorter than 1 s)."""


def identity_drift(shapes: np.ndarray, fps: float, points: tuple[int, ...] | None = RIGID_POINTS) -> DriftResult:
    """How far the face's identity wanders from the first frame's, without a face-recognition network.

    Definition (this project's): identity is approximated by the shape of the **expression-free**
    part of the pose-free face: the ``RIGID_POINTS`` (forehead, temples, nose, upper face outline),
    which barely move with expressions, of ``FaceAnalysis.canonical_points`` (IOD units). Each frame
    is aligned to the first by similarity Procrustes (Umeyama 1991) to remove left-over pose and scale,
    and ``curve[t]`` is the mean point distance after alignment. Tracking noise gives a flat, non-zero
    curve; a generated identity that melts or morphs gives a growing one, so the summary is the
    **slope** (IOD units per second). Limits: it sees shape only (not skin, texture or hair) and
    cannot tell a different person with the same rigid geometry.

    With ``(T, D)`` input the rows are taken as embedding vectors (e.g. from a face-recognition
    network, where one is available) and ``curve[t] = ||e_t - e_0||`` with no alignment.

    Args:
        shapes: (T, N, 3) pose-free landmarks (e.g. 478 canonical points) or (T, D) embeddings.
        fps: frames per second.
        points: landmark indices used for (T, N, 3) input; None = all.

    Returns:
        DriftResult(curve, slope, final).
    """
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be positive, got {fps!r}")
    s = np.asarray(shapes, np.float64)
    if s.ndim == 2:
        curve = np.linalg.norm(s - s[0], axis=1)
    elif s.ndim == 3 and s.shape[-1] == 3:
        if points is not None:
            s = s[:, np.asarray(points)]
        rot, scale, trans = similarity_procrustes(s, np.broadcast_to(s[0], s.shape))
        aligned = scale[:, None, None] * np.einsum("tij,tnj->tni", rot, s) + trans[:, None]
        curve = np.linalg.norm(aligned - s[0], axis=-1).mean(-1)
    else:
        raise ValueError(f"shapes must be (T, N, 3) landmarks or (T, D) embeddings, got {s.shape}")
    t = np.arange(len(curve)) / fps
    ok = np.isfinite(curve)
    slope = float(np.polyfit(t[ok], curve[ok], 1)[0]) if ok.sum() >= 2 else float("nan")
    tail = curve[-max(1, int(round(fps))) :]
    return DriftResult(curve=curve, slope=slope, final=float(np.nanmean(tail)) if np.isfinite(tail).any() else np.nan)
