"""Speed of the warp renderer (render only, prepare excluded): frames per second at 256 and 512 px.

Uses a real portrait and a real retargeted landmark track when ../shared/data and a tracked clip are
available, else a synthetic face and synthetic motion (jaw, blink, head sway). Each size is timed with the
appearance step (expression shading) on and off; "on, emotive" adds a brow-lowering + smile offset to every
frame so that the shading has strokes to draw (the worst case for its cost).

    .venv/bin/python benchmarks/bm_render.py [--frames 320] [--repeats 3] [--threads 2] [--sizes 256,512]

The compiled kernels (numba) are loaded by ``prepare``, so the timings are steady-state rendering only.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from moodtalk.render import RenderConfig, prepare, render

FACE_FRACTION = 0.45
"""Synthetic face width as a fraction of the image side."""


def synthetic_face(size: int) -> tuple[np.ndarray, np.ndarray]:
    """A textured image and plausible 478 landmarks (the canonical-ish layout of a frontal face)."""
    import cv2

    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(rng.integers(0, 255, (size, size, 3), dtype=np.uint8), (0, 0), 3)
    c = size / 2
    # Landmarks on concentric ellipses; good enough to exercise every code path at the real cost.
    from moodtalk.geometry.landmarks import (  # noqa: PLC0415
        FACE_OVAL,
        LIPS_LOWER_INNER,
        LIPS_LOWER_OUTER,
        LIPS_UPPER_INNER,
        LIPS_UPPER_OUTER,
    )

    pts = np.zeros((478, 3), np.float32)
    ang = rng.uniform(0, 2 * np.pi, 478)
    rad = np.sqrt(rng.uniform(0.0, 0.8, 478)) * FACE_FRACTION * size / 2
    pts[:, 0], pts[:, 1] = c + rad * np.cos(ang), c + 1.25 * rad * np.sin(ang)
    t = np.linspace(0, 2 * np.pi, len(FACE_OVAL), endpoint=False)
    r = FACE_FRACTION * size / 2
    pts[list(FACE_OVAL), 0], pts[list(FACE_OVAL), 1] = c + r * np.sin(t), c - 1.25 * r * np.cos(t)
    xs = np.linspace(-1, 1, 11)
    for ids, dy in ((LIPS_UPPER_OUTER, -0.06), (LIPS_UPPER_INNER, -0.01), (LIPS_LOWER_INNER, 0.01),
                    (LIPS_LOWER_OUTER, 0.07)):  # fmt: skip
        pts[list(ids), 0] = c + xs * 0.2 * size
        pts[list(ids), 1] = c + 0.15 * size + dy * size * (1 - xs**2)
    return img, pts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=320)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=RenderConfig.threads, help="frames rendered concurrently")
    ap.add_argument("--sizes", default="256,512", help="comma-separated image sides")
    ap.add_argument("--portrait", default="../shared/data/portraits/makeittalk__obama.jpg")
    ap.add_argument("--track", default="/tmp/lm/styletalk__Obama_clip1.mp4.npz")
    args = ap.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        img, lm, motion = _inputs(size, args)
        target = lm[None] + motion[: args.frames]
        for label, appearance, tgt in (
            ("appearance on", True, target),
            ("appearance off", False, target),
            ("on, emotive", True, target + _emotive_offset(lm)),
            ("off, emotive", False, target + _emotive_offset(lm)),
        ):
            rig = prepare(img, lm, RenderConfig(appearance=appearance, threads=args.threads))
            render(rig, tgt[:4])  # warm-up
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                render(rig, tgt)
                times.append(time.perf_counter() - t0)
            med = statistics.median(times)
            print(f"{size}x{size} {label:15s}: {len(tgt) / med:7.1f} fps (median of {args.repeats}, {len(tgt)} frames, "
                  f"grid {rig.meta['grid']}, {rig.meta['triangles']} triangles)")  # fmt: skip


def _emotive_offset(lm: np.ndarray) -> np.ndarray:
    """(478, 3) pixel offset of a smile with lowered brows (face-model blendshapes, upright face assumed)."""
    from moodtalk.face.model import default_model
    from moodtalk.geometry.landmarks import interocular

    model = default_model()
    names = list(model.names)
    w = {"mouthSmileLeft": 0.8, "mouthSmileRight": 0.8, "browDownLeft": 0.8, "browDownRight": 0.8, "jawOpen": 0.1}
    off = sum(v * model.basis[names.index(k)] for k, v in w.items())
    return (off * float(interocular(lm))).astype(np.float32)


def _inputs(size: int, args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Portrait (size x size), its landmarks and (T, 478, 3) landmark offsets."""
    from pathlib import Path

    import cv2

    from moodtalk.geometry.landmarks import interocular

    img = lm = None
    if Path(args.portrait).exists():
        try:
            import mediapipe as mp

            bgr = cv2.imread(args.portrait)
            img = np.ascontiguousarray(cv2.resize(bgr, (size, size), interpolation=cv2.INTER_AREA)[..., ::-1])
            with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces=1) as fm:
                res = fm.process(img)
            lm = np.array([[p.x * size, p.y * size, p.z * size] for p in res.multi_face_landmarks[0].landmark])
            lm = lm.astype(np.float32)
        except Exception:  # noqa: BLE001 - any failure falls back to the synthetic face
            img = lm = None
    if img is None or lm is None:
        img, lm = synthetic_face(size)
    if Path(args.track).exists():
        d = np.load(args.track)
        pts = d["points"][d["valid"]].astype(np.float32)
        reps = -(-args.frames // len(pts))
        pts = np.concatenate([pts] * reps)[: args.frames]
        return img, lm, (pts - pts[0]) * (interocular(lm) / interocular(pts[0]))
    t = np.arange(args.frames)[:, None, None] / 25.0
    motion = np.zeros((args.frames, 478, 3), np.float32)
    motion[..., 0] += (0.02 * size * np.sin(2 * np.pi * 0.3 * t))[..., 0]
    motion[:, 300:, 1] += (0.03 * size * np.abs(np.sin(2 * np.pi * 2 * t)))[..., 0]
    return img, lm, motion


if __name__ == "__main__":
    main()
