"""Self-reenactment of one real talking clip: lip sync, fidelity and behaviour, generated vs real.

Protocol (``../shared/DESIGN.md``, "Evaluation protocol"): the clip's first frame is the portrait, the
clip's own audio drives the pipeline (``speech_to_motion`` with its default mouth model; the clip's emotion
label at intensity 1 when it has one), and the generated frames are compared with the real ones.

What is compared, exactly:

* **Frames.** The clip is read at ``fps`` (25) and downscaled so its long side is at most ``max_size`` (512);
  the portrait is its first frame at that resolution, so generated and real frames share one pixel grid.
  The portrait is measured like ``prepare_portrait`` does (one static FaceMesh pass), targets are built with
  ``pipeline.target_landmarks`` and rendered with ``moodtalk.render``; no crop, so no resampling differs.
* **Two generated videos.** ``natural``: the product's default motion (stochastic head pose, blinks, gaze) —
  the lip-sync, blink, jitter and identity numbers come from it. ``real pose``: the *same* face motion but
  the head pose replaced by the real clip's tracked pose relative to its first frame (rotation and
  translation; scale changes are ignored), the usual protocol of pose-controllable talking-head papers.
  Pixel metrics (PSNR/SSIM) and image-space landmark distances are only meaningful with it, since a
  generated head that turns left while the real one turns right is not a rendering error. A third row,
  ``still frame``, compares the real clip with its first frame held still: the trivial baseline that a
  generator must beat on PSNR/SSIM to add anything.
* **Landmarks.** Real and generated videos are tracked by the same face stage (``analyze_face``). Mouth
  opening (inner-lip gap / eye distance) and M-LMD/F-LMD of the ``natural`` video use the pose-free
  (canonical) points, so head pose does not enter the lip-sync numbers; ``*_image`` LMDs of the
  ``real pose`` video use pixel landmarks (normalised by the real eye distance).
* **Face region.** PSNR/SSIM are computed inside the bounding box of the real frame's 478 landmarks, grown
  by ``face_margin`` of its size on each side, on every ``pixel_stride``-th frame.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from moodtalk.errors import InputError
from moodtalk.evaluation.manifest import Entry
from moodtalk.face import analyze_face
from moodtalk.geometry import matrix_to_euler
from moodtalk.geometry.landmarks import eye_opening, mouth_opening
from moodtalk.metrics import (
    angular_jitter,
    angular_speed,
    best_lag_correlation,
    blink_rate,
    closure_events,
    face_lmd,
    identity_drift,
    match_events,
    mouth_lmd,
    pearson,
    psnr,
    ssim,
)
from moodtalk.pipeline import EmotionOptions, PortraitRig, neutral_landmarks, speech_to_motion, target_landmarks
from moodtalk.render import prepare, render
from moodtalk.types import AudioTrack, BlendshapeTrack, FaceAnalysis, Frames, MotionTrack
from moodtalk.video import read_audio, read_frames

SILENCE_DBFS = -60.0
"""Audio whose RMS level is below this is treated as silent (no speech to drive the mouth)."""
RENDER_CHUNK = 32
"""Frames rendered per call (bounded memory)."""


@dataclass(frozen=True)
class ReenactSettings:
    """Settings of the self-reenactment task (all go into the cache key and the report)."""

    fps: float = 25.0
    """Frame rate everything is resampled to."""
    max_size: int = 512
    """Frames are downscaled so their long side is at most this (the portrait is frame 0 at this size)."""
    max_seconds: float = 20.0
    """Only the first seconds of a clip are used."""
    lips: str = "auto"
    """Mouth model of ``speech_to_motion`` (resolved: 'auto' may fall back, see ``run.resolve_lips``)."""
    seed: int = 0
    """Seed of the stochastic behaviour (head pose, blinks)."""
    max_lag: int = 12
    """Largest audio-video lag searched for the mouth-opening correlation, frames (±0.48 s at 25 fps)."""
    closure_fraction: float = 0.25
    """Lip-closure threshold: this fraction of the clip's median opening during speech ..."""
    closure_floor: float = 0.04
    """... or this opening in eye distances, whichever is larger (absorbs tracker noise; as bm_lipsync)."""
    tolerance: int = 2
    """Frames of tolerance when matching closure events."""
    face_margin: float = 0.1
    """Face box grown by this fraction of its width/height on each side for PSNR/SSIM."""
    pixel_stride: int = 2
    """PSNR/SSIM on every n-th frame (SSIM dominates the cost)."""


def face_box(points: np.ndarray, width: int, height: int, margin: float) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) box of one frame's landmarks grown by ``margin``, clipped to the image; None if unusable."""
    p = np.asarray(points, np.float64)[:, :2]
    if not np.isfinite(p).all():
        return None
    (x0, y0), (x1, y1) = p.min(0), p.max(0)
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    box = (max(0, int(x0 - mx)), max(0, int(y0 - my)), min(width, int(np.ceil(x1 + mx))),
           min(height, int(np.ceil(y1 + my))))  # fmt: skip
    return box if box[2] - box[0] >= 7 and box[3] - box[1] >= 7 else None


def pixel_scores(real: np.ndarray, gen: np.ndarray, real_points: np.ndarray, s: ReenactSettings) -> dict[str, float]:
    """Mean PSNR (dB) and SSIM inside the real face box over every ``pixel_stride``-th frame."""
    height, width = real.shape[1:3]
    ps, ss = [], []
    for t in range(0, min(len(real), len(gen)), max(1, s.pixel_stride)):
        box = face_box(real_points[t], width, height, s.face_margin)
        if box is None:
            continue
        p = psnr(real[t], gen[t], box)
        ps.append(min(p, 100.0))  # identical crops give inf; cap so a mean stays finite
        ss.append(ssim(real[t], gen[t], box))
    return {"psnr": float(np.mean(ps)) if ps else float("nan"), "ssim": float(np.mean(ss)) if ss else float("nan")}


def real_pose_motion(motion: MotionTrack, real: FaceAnalysis, n: int) -> MotionTrack:
    """``motion`` with its head pose replaced by the real clip's pose relative to the real first frame.

    ``target_landmarks`` poses a frame by ``R0 @ rel`` and shifts it by ``s0 * R0 @ h``; with the real pose
    ``(R_t, s_t, t_t)`` that gives ``rel = R_0ᵀ R_t`` and ``h = R_0ᵀ (t_t - t_0) / s_0`` (scale is not copied).
    """
    r0, t0, s0 = real.pose.rotation[0], real.pose.translation[0], float(real.pose.scale[0])
    rel = np.einsum("ji,tjk->tik", r0, real.pose.rotation[:n])
    shift = np.einsum("ji,tj->ti", r0, real.pose.translation[:n] - t0) / s0
    b = motion.blendshapes
    return MotionTrack(BlendshapeTrack(b.weights[:n], b.names, b.fps), matrix_to_euler(rel).astype(np.float32),
                       shift.astype(np.float32))  # fmt: skip


def _render_all(rig: PortraitRig, render_rig: Any, motion: MotionTrack, n: int) -> np.ndarray:
    out = []
    for start in range(0, n, RENDER_CHUNK):
        stop = min(n, start + RENDER_CHUNK)
        out.append(render(render_rig, target_landmarks(rig, motion, start, stop)))
    return np.concatenate(out)


def _track_generated(images: np.ndarray, fps: float, what: str) -> FaceAnalysis:
    try:
        return analyze_face([Frames(images, fps)], source=what)
    except InputError as e:
        raise InputError(None, f"{what}: {e.problem}") from None


def _closures(opening: np.ndarray, speech: np.ndarray, s: ReenactSettings) -> np.ndarray:
    ref = opening[speech & np.isfinite(opening)]
    thr = max(s.closure_fraction * float(np.median(ref)), s.closure_floor) if ref.size else s.closure_floor
    return closure_events(opening, speech, thr)


def _dilate(mask: np.ndarray, k: int) -> np.ndarray:
    out = mask.copy()
    for d in range(1, k + 1):
        out[d:] |= mask[:-d]
        out[:-d] |= mask[d:]
    return out


def evaluate_clip(entry: Entry, s: ReenactSettings) -> dict[str, Any]:
    """Self-reenact one clip and measure it.

    Returns:
        A JSON-able dict: ``metrics`` (flat name → number), ``curves`` (real/generated mouth opening),
        ``frames``, ``seconds``, ``notes``.

    Raises:
        InputError: unreadable file, no audio or silent audio, no face in the real (or generated) video.
    """
    path = entry.path
    frames = read_frames(path, fps=s.fps, max_size=s.max_size)
    n = min(len(frames), int(round(s.max_seconds * s.fps)))
    if n < 2 * s.fps // 5:
        raise InputError(path, f"too short ({n} frames)")
    images = frames.images[:n]
    audio = read_audio(path, 16000)
    samples = audio.samples[: int(round(n / s.fps * audio.sample_rate))]
    if samples.size == 0:
        raise InputError(path, "no audio")
    level = 20 * np.log10(max(float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))), 1e-12))
    if level < SILENCE_DBFS:
        raise InputError(path, f"audio is silent ({level:.0f} dBFS)")
    audio = AudioTrack(samples, audio.sample_rate)

    real = analyze_face([Frames(images, s.fps)], source=str(path))
    portrait = analyze_face([Frames(images[:1], s.fps)], static=True, source=f"{path.name} frame 0")
    rig = PortraitRig(image=images[0], face=portrait, notes=(), photo=images[0], crop_affine=np.eye(2, 3))
    emotion = EmotionOptions(emotion=entry.emotion, intensity=1.0) if entry.emotion else None
    made = speech_to_motion(audio, s.fps, lips=s.lips, pose="natural", seed=s.seed, emotion=emotion)
    n = min(n, len(made.motion))
    images = images[:n]
    render_rig = prepare(images[0], portrait.landmarks.points[0], neutral=neutral_landmarks(rig))
    gen = _render_all(rig, render_rig, made.motion, n)
    gen_pose = _render_all(rig, render_rig, real_pose_motion(made.motion, real, n), n)
    g = _track_generated(gen, s.fps, "generated video (natural pose)")
    gp = _track_generated(gen_pose, s.fps, "generated video (real pose)")

    real_pts, real_can = real.landmarks.points[:n], real.canonical_points[:n]
    real_open, gen_open = mouth_opening(real_can), mouth_opening(g.canonical_points)
    r, lag = best_lag_correlation(real_open, gen_open, s.max_lag)
    speech = np.zeros(n, bool)
    sp = np.asarray(made.features.speech, bool)[:n]
    speech[: len(sp)] = sp
    speech = _dilate(speech, s.tolerance)
    real_ev = _closures(real_open, speech, s)
    gen_ev = _closures(gen_open, speech, s) - lag  # undo the generated delay before matching
    recall, precision = match_events(real_ev, gen_ev, s.tolerance)
    # The same on the target landmarks the renderer was asked for: tells a motion error from a renderer that
    # fails to show it (e.g. lips that never close on screen).
    target_open = mouth_opening(target_landmarks(rig, made.motion, 0, n).astype(np.float64))
    r_t, lag_t = best_lag_correlation(real_open, target_open, s.max_lag)
    recall_t, _ = match_events(real_ev, _closures(target_open, speech, s) - lag_t, s.tolerance)
    real_angles = matrix_to_euler(real.pose.rotation[:n])
    gen_angles = matrix_to_euler(g.pose.rotation)
    still = np.repeat(images[:1], n, axis=0)
    px_pose = pixel_scores(images, gen_pose, real_pts, s)
    px_nat = pixel_scores(images, gen, real_pts, s)
    px_still = pixel_scores(images, still, real_pts, s)
    drift_gen = identity_drift(g.canonical_points, s.fps)
    drift_real = identity_drift(real_can, s.fps)
    metrics = {
        "mouth_r": r,
        "mouth_lag_frames": lag,
        "mouth_lag_ms": 1000.0 * lag / s.fps,
        "mouth_r_lag0": pearson(real_open, gen_open),
        "closure_recall": recall,
        "closure_precision": precision,
        "closures_real": len(real_ev),
        "closures_generated": len(gen_ev),
        "mouth_r_targets": r_t,
        "closure_recall_targets": recall_t,
        "m_lmd": mouth_lmd(g.canonical_points, real_can),
        "f_lmd": face_lmd(g.canonical_points, real_can),
        "m_lmd_image_realpose": mouth_lmd(gp.landmarks.points, real_pts),
        "f_lmd_image_realpose": face_lmd(gp.landmarks.points, real_pts),
        "psnr_realpose": px_pose["psnr"],
        "ssim_realpose": px_pose["ssim"],
        "psnr_natural": px_nat["psnr"],
        "ssim_natural": px_nat["ssim"],
        "psnr_still_frame": px_still["psnr"],
        "ssim_still_frame": px_still["ssim"],
        "identity_drift_slope_gen": drift_gen.slope,
        "identity_drift_final_gen": drift_gen.final,
        "identity_drift_slope_real": drift_real.slope,
        "identity_drift_final_real": drift_real.final,
        "blink_rate_gen": blink_rate(eye_opening(g.canonical_points), s.fps),
        "blink_rate_real": blink_rate(eye_opening(real_can), s.fps),
        "jitter_gen": angular_jitter(gen_angles),
        "jitter_real": angular_jitter(real_angles),
        "head_speed_gen": angular_speed(gen_angles, s.fps),
        "head_speed_real": angular_speed(real_angles, s.fps),
        "mouth_open_mean_real": float(np.nanmean(real_open)),
        "mouth_open_mean_gen": float(np.nanmean(gen_open)),
    }
    return {
        "frames": n,
        "seconds": n / s.fps,
        "size": [int(images.shape[2]), int(images.shape[1])],
        "emotion": entry.emotion,
        "metrics": metrics,
        "curves": {"real_open": np.round(real_open, 4), "gen_open": np.round(gen_open, 4)},
        "notes": list(real.notes) + list(made.notes),
    }


def settings_dict(s: ReenactSettings) -> dict[str, Any]:
    """The settings as a plain dict (cache key, report)."""
    return asdict(s)
