"""Where does the FER classifier see each emotion on real faces? An occlusion map per class (not a test).

On the MEAD level-3 front clips of actors M030 and W009 (every 4th frame, crops made as ``FerClassifier``
makes them from ``bm_fer_real``'s landmarks), a 16 × 16 patch of the 64 × 64 input is set to mid-grey at
each of 13 × 13 positions; the map is the mean drop of the target class's probability. Printed per class:
frame accuracy on these frames, the mean target probability and the histogram of predicted classes; the
maps, over the mean face, go to ``--out`` (one row per class: mean crop, map; red = evidence for the class).

Run: ``.venv/bin/python benchmarks/bm_fer_occlusion.py`` (about 1 minute; run ``bm_fer_real.py`` first or
it tracks the clips itself).
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np

from bm_fer_real import DATA, FPS, ROOT, Clip, landmarks_of
from moodtalk.metrics.fer import FER_CLASSES, FerClassifier, fer_crops
from moodtalk.video import read_frames

CLASSES = (("surprised", "surprise"), ("fear", "fear"), ("disgusted", "disgust"), ("angry", "angry"),
           ("happy", "happy"), ("sad", "sad"))  # fmt: skip
"""MEAD file-name emotion → FER class."""
PATCH, STRIDE, STEP = 16, 4, 4
"""Occluder side and stride in input pixels; every STEP-th frame is used."""


def occlusion_map(fer: FerClassifier, crops: np.ndarray, k: int) -> np.ndarray:
    """(n, n) mean drop of class ``k``'s probability with the patch at each position, from (T, 64, 64) crops."""
    base = fer.predict_crops(crops)[:, k]
    n = (crops.shape[1] - PATCH) // STRIDE + 1
    heat = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            hidden = crops.copy()
            hidden[:, i * STRIDE : i * STRIDE + PATCH, j * STRIDE : j * STRIDE + PATCH] = 0.0
            heat[i, j] = float((base - fer.predict_crops(hidden)[:, k]).mean())
    return heat


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "runs" / "fer_occlusion.png"))
    args = ap.parse_args(argv)
    fer = FerClassifier()
    rows = []
    for emotion, fer_class in CLASSES:
        crops = []
        for actor in ("M030", "W009"):
            path = DATA / f"dreamtalk__{actor}_front_{emotion}_level3_001.mp4"
            images = read_frames(path, FPS).images
            points = landmarks_of(Clip(path, emotion), images)
            crops.append(fer_crops(images, points)[::STEP])
        crops = np.concatenate(crops)
        crops = crops[np.isfinite(crops).all((1, 2))]
        k = FER_CLASSES.index(fer_class)
        probs = fer.predict_crops(crops)
        hist = np.bincount(probs.argmax(1), minlength=len(FER_CLASSES))
        predicted = ", ".join(f"{c} {h}" for c, h in zip(FER_CLASSES, hist, strict=True) if h)
        print(f"{fer_class:9s} {len(crops)} frames: accuracy {np.mean(probs.argmax(1) == k):.0%}, "
              f"mean p {probs[:, k].mean():.2f}, predicted {predicted}")  # fmt: skip
        heat = cv2.resize(occlusion_map(fer, crops, k), (64, 64), interpolation=cv2.INTER_CUBIC)
        face = ((crops.mean(0) + 1.0) * 127.5).astype(np.uint8)
        level = np.clip(128 + heat / (np.abs(heat).max() + 1e-6) * 127, 0, 255).astype(np.uint8)
        overlay = cv2.addWeighted(cv2.cvtColor(face, cv2.COLOR_GRAY2BGR), 0.5,
                                  cv2.applyColorMap(level, cv2.COLORMAP_JET), 0.5, 0)  # fmt: skip
        tile = cv2.resize(np.concatenate([cv2.cvtColor(face, cv2.COLOR_GRAY2BGR), overlay], 1), None, fx=3, fy=3,
                          interpolation=cv2.INTER_NEAREST)  # fmt: skip
        cv2.putText(tile, fer_class, (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
        rows.append(tile)
    cv2.imwrite(args.out, np.concatenate(rows, 0))
    print(f"maps: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
