"""Compare generated head motion and blinks with real talking clips (not a test).

For each clip of ``../shared/data/talking_video`` with cached MediaPipe landmarks (``<lm-dir>/<clip>.npz``
with keys points (T, 478, 3) pixels, valid (T,), fps), measures on the real track:

* blinks per minute (eye opening below half the clip's median opening),
* std of yaw / pitch / roll (degrees),
* head angular speed (norm of the per-frame yaw/pitch/roll change x fps): median and 95th percentile, deg/s,
* 95th percentile of the per-frame |change| of each angle (pooled), degrees.

Then drives ``behaviour`` with the clip's own audio (when it has audio) at its fps and length and
measures the same on the generated track. Real tracks include tracker jitter, so the angular
speeds are also shown after a light Gaussian smoothing (sigma 40 ms) that removes most of it.

Run: ``.venv/bin/python benchmarks/bm_behaviour.py [--lm-dir /tmp/lm] [--canonical /tmp/canon.npy] [--seeds 3]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.ndimage

from moodtalk.audio import speech_features
from moodtalk.behaviour import behaviour
from moodtalk.face.model import default_model, estimate_pose
from moodtalk.geometry import landmarks as lm
from moodtalk.geometry import matrix_to_euler
from moodtalk.types import SpeechFeatures
from moodtalk.video import probe, read_audio

VIDEO_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "talking_video"
BLINK_THRESHOLD = 0.5
"""A blink is the eye opening dipping below this fraction of the clip's median opening."""
JITTER_SIGMA_S = 0.04
"""Gaussian smoothing applied to real angles for the "smoothed" speed columns."""
STATS = ("blink/min", "yaw std", "pitch std", "roll std", "speed med", "speed p95", "dpf p95")


def eye_opening(points: np.ndarray) -> np.ndarray:
    """(T,) mean lid gap of both eyes over the eye width (middle lid points, pixels cancel)."""

    def one(upper: tuple[int, ...], lower: tuple[int, ...]) -> np.ndarray:
        gap = np.linalg.norm(points[:, list(upper[1:-1])].mean(1) - points[:, list(lower[1:-1])].mean(1), axis=-1)
        return gap / np.linalg.norm(points[:, upper[0]] - points[:, upper[-1]], axis=-1)

    return 0.5 * (one(lm.EYE_RIGHT_UPPER, lm.EYE_RIGHT_LOWER) + one(lm.EYE_LEFT_UPPER, lm.EYE_LEFT_LOWER))


def count_blinks(opening: np.ndarray) -> int:
    """Number of dips of a (T,) eye opening below ``BLINK_THRESHOLD`` x its median."""
    closed = opening < BLINK_THRESHOLD * np.median(opening)
    return int(closed[0]) + int(np.sum(closed[1:] & ~closed[:-1]))


def motion_stats(angles: np.ndarray, opening: np.ndarray, fps: float) -> dict[str, float]:
    """The ``STATS`` of a (T, 3) yaw/pitch/roll track and a (T,) eye opening."""
    step = np.diff(angles, axis=0)
    speed = np.linalg.norm(step, axis=1) * fps
    minutes = len(angles) / fps / 60.0
    return {
        "blink/min": count_blinks(opening) / minutes,
        "yaw std": float(angles[:, 0].std()),
        "pitch std": float(angles[:, 1].std()),
        "roll std": float(angles[:, 2].std()),
        "speed med": float(np.median(speed)),
        "speed p95": float(np.percentile(speed, 95)),
        "dpf p95": float(np.percentile(np.abs(step), 95)),
    }


def real_stats(npz: Path, canonical: np.ndarray) -> tuple[dict[str, float], dict[str, float], float, int]:
    """Raw stats, stats on jitter-smoothed angles, fps and frame count of one cached landmark track."""
    data = np.load(npz)
    fps = float(data["fps"])
    points = data["points"][data["valid"]].astype(np.float64)
    rotation, _, _ = estimate_pose(points, canonical)
    angles = matrix_to_euler(rotation)
    opening = eye_opening(points)
    smooth = scipy.ndimage.gaussian_filter1d(angles, JITTER_SIGMA_S * fps, axis=0, mode="nearest")
    return motion_stats(angles, opening, fps), motion_stats(smooth, opening, fps), fps, len(data["valid"])


def generated_stats(features: SpeechFeatures, seed: int) -> dict[str, float]:
    """The ``STATS`` of ``behaviour`` driven by ``features``."""
    out = behaviour(features, seed=seed)
    opening = 1.0 - out.blendshapes.column("eyeBlinkLeft").astype(np.float64)
    return motion_stats(out.head_rotation.astype(np.float64), opening, features.fps)


def row(name: str, stats: dict[str, float]) -> str:
    """One table line."""
    return f"{name:44s}" + "".join(f"{stats[k]:>10.2f}" for k in STATS)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lm-dir", type=Path, default=Path("/tmp/lm"), help="cached landmark tracks")
    parser.add_argument("--canonical", type=Path, default=Path("/tmp/canon.npy"), help="(478, 3) canonical mesh")
    parser.add_argument("--seeds", type=int, default=3, help="generated stats are averaged over this many seeds")
    args = parser.parse_args()
    if not VIDEO_DIR.is_dir() or not args.lm_dir.is_dir():
        print(f"needs {VIDEO_DIR} and {args.lm_dir}", file=sys.stderr)
        return 1
    canonical = np.load(args.canonical) if args.canonical.is_file() else default_model().canonical
    header = f"{'clip':44s}" + "".join(f"{k:>10s}" for k in STATS)
    real_raw, real_smooth, generated = [], [], []
    compute_s = media_s = 0.0
    print(header)
    for video in sorted(VIDEO_DIR.glob("*.mp4")):
        npz = args.lm_dir / f"{video.name}.npz"
        if not npz.is_file():
            continue
        raw, smooth, fps, n = real_stats(npz, canonical)
        real_raw.append(raw)
        real_smooth.append(smooth)
        print(row(f"{video.stem[:36]} real", raw))
        print(row("   real, jitter-smoothed", smooth))
        if not probe(video).has_audio:
            continue
        features = speech_features(read_audio(video, 16000), fps)
        features = _fit_length(features, n)
        t0 = time.perf_counter()
        runs = [generated_stats(features, seed) for seed in range(args.seeds)]
        compute_s += time.perf_counter() - t0
        media_s += args.seeds * n / fps
        gen = {k: float(np.mean([r[k] for r in runs])) for k in STATS}
        generated.append(gen)
        print(row(f"   generated (speech {features.speech.mean():.0%})", gen))

    print("\nranges over clips: min / median / max")
    for label, rows in (("real", real_raw), ("real jitter-smoothed", real_smooth), ("generated", generated)):
        print(f"{label} ({len(rows)} clips)")
        for q, name in ((0, "min"), (50, "median"), (100, "max")):
            print(row(f"   {name}", {k: float(np.percentile([r[k] for r in rows], q)) for k in STATS}))
    inside = {
        k: np.mean([min(r[k] for r in real_raw) <= g[k] <= max(r[k] for r in real_raw) for g in generated])
        for k in STATS
    }
    print("\ngenerated clips inside the real range: " + ", ".join(f"{k} {v:.0%}" for k, v in inside.items()))
    print(f"speed: {media_s / max(compute_s, 1e-9):.0f}x real time")
    return 0


def _fit_length(features: SpeechFeatures, n: int) -> SpeechFeatures:
    """Features cut or edge-padded to n frames (audio and video lengths differ by a frame or two)."""
    m = len(features)
    if m == n:
        return features

    def fit(a: np.ndarray) -> np.ndarray:
        return a[:n] if m >= n else np.concatenate([a, np.repeat(a[-1:], n - m, axis=0)])

    return SpeechFeatures(
        mel=fit(features.mel), rms=fit(features.rms), f0=fit(features.f0), voiced=fit(features.voiced),
        speech=fit(features.speech), spectral=fit(features.spectral), spectral_names=features.spectral_names,
        fps=features.fps,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
