"""Do rendered blinks and lip closures survive re-tracking? Real portraits, face-model targets, MediaPipe check.

For each portrait (long side 512 px; two of them are first frames of talking videos, whose mouths may be
open) the face model builds target landmarks: the portrait's landmarks plus the model's displacement from
the portrait's own blendshape weights to target weights (eyes open / half closed / closed, lips as in the
portrait / closed like a bilabial ``PP`` / open). The renderer draws them, MediaPipe re-tracks the frames
(``analyze_face(static=True)``) and the script prints the re-tracked eye opening (lid gap over eye width,
as the evaluation measures it) and inner-lip gap (``mouth_opening``, eye distances) next to the targets'.
Full closures (weight 1 blink, ``PP`` lips) have their remaining landmark gap removed (the model's average
displacement does not quite close every face). Contact sheets go to ``/tmp/closures/``.

    .venv/bin/python benchmarks/bm_render_closures.py [--out /tmp/closures] [--size 512]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from moodtalk.face import analyze_face, retarget
from moodtalk.face.model import default_model
from moodtalk.geometry.landmarks import (
    EYE_LEFT_LOWER,
    EYE_LEFT_UPPER,
    EYE_RIGHT_LOWER,
    EYE_RIGHT_UPPER,
    LIPS_LOWER_INNER,
    LIPS_LOWER_OUTER,
    LIPS_UPPER_INNER,
    LIPS_UPPER_OUTER,
    eye_opening,
    interocular,
    mouth_opening,
)
from moodtalk.render import prepare, render
from moodtalk.types import Frames

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PORTRAITS = ("portraits/makeittalk__obama.jpg", "portraits/makeittalk__natalie.jpg", "portraits/hallo__4.jpg",
             "portraits/sadtalker__happy.png", "talking_video/edtalk__uncrop_Obama.mp4",
             "talking_video/real3dportrait__May_5s.mp4")  # fmt: skip
PP = {"jawOpen": 0.04, "mouthClose": 0.045, "mouthPressLeft": 0.35, "mouthPressRight": 0.35,
      "mouthRollLower": 0.15, "mouthRollUpper": 0.1}  # fmt: skip
"""Closed lips: the bilabial viseme of ``moodtalk.motion.targets``."""
MOUTH = ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthRollLower", "mouthRollUpper", "mouthPressLeft",
         "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight",
         "mouthStretchLeft", "mouthStretchRight", "mouthShrugLower", "mouthShrugUpper")  # fmt: skip
CONDITIONS = (("own", 0.0, None), ("half", 0.5, None), ("blink", 1.0, None), ("closed", 0.0, "closed"),
              ("blink+closed", 1.0, "closed"), ("open", 0.0, "open"))  # fmt: skip
"""(name, eye blink weight, lips: None = the portrait's own, 'closed' = PP, 'open' = jawOpen 0.35)."""


def load_portrait(rel: str, size: int) -> np.ndarray:
    path = DATA / rel
    if path.suffix == ".mp4":
        from moodtalk.video import read_frames  # noqa: PLC0415

        img = read_frames(path, max_size=size).images[0]
    else:
        img = cv2.imread(str(path))[..., ::-1]
        s = size / max(img.shape[:2])
        img = cv2.resize(img, (round(img.shape[1] * s), round(img.shape[0] * s)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img)


def targets(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(landmarks (478, 3) of the portrait, (len(CONDITIONS), 478, 3) target landmarks)."""
    fa = analyze_face([Frames(img[None], 25.0)], static=True)
    model = default_model()
    names = list(model.names)
    w0 = fa.blendshapes.weights[0].astype(np.float64)
    ws = []
    for _, blink, lips in CONDITIONS:
        w = w0.copy()
        if blink:
            w[names.index("eyeBlinkLeft")] = w[names.index("eyeBlinkRight")] = blink
            for n in ("eyeWideLeft", "eyeWideRight", "eyeSquintLeft", "eyeSquintRight"):
                w[names.index(n)] = 0.0
        if lips:
            for n in MOUTH:
                w[names.index(n)] = 0.0
            for n, v in (PP if lips == "closed" else {"jawOpen": 0.35}).items():
                w[names.index(n)] = v
        ws.append(w)
    pts = fa.landmarks.points[0].astype(np.float32)
    tgt = retarget(fa, np.array(ws), model=model)
    iod = float(interocular(pts))
    for k, (_, blink, lips) in enumerate(CONDITIONS):
        # The model's displacements are averages: on a portrait whose eyes or mouth open wider than the model's,
        # weight 1 leaves a gap. Full closures are meant to close, so the remaining gap is removed here.
        if blink >= 1.0:
            for up, lo in ((EYE_RIGHT_UPPER, EYE_RIGHT_LOWER), (EYE_LEFT_UPPER, EYE_LEFT_LOWER)):
                up, lo = list(up[1:-1]), list(lo[1:-1])
                tgt[k, up, :2] = tgt[k, lo, :2] - np.array([0.0, 0.005 * iod], np.float32)
        if lips == "closed":
            ui, li, uo, lo = (list(ids[1:-1]) for ids in (LIPS_UPPER_INNER, LIPS_LOWER_INNER, LIPS_UPPER_OUTER,
                                                          LIPS_LOWER_OUTER))  # fmt: skip
            mid = 0.5 * (tgt[k, ui, :2] + tgt[k, li, :2])
            du = mid - np.array([0.0, 0.003 * iod]) - tgt[k, ui, :2]
            dl = mid + np.array([0.0, 0.003 * iod]) - tgt[k, li, :2]
            tgt[k, ui, :2] += du
            tgt[k, uo, :2] += du
            tgt[k, li, :2] += dl
            tgt[k, lo, :2] += dl
    return pts, tgt


def retrack(frames: np.ndarray) -> np.ndarray:
    """(T, 478, 3) re-tracked landmarks (NaN rows where no face)."""
    out = []
    for f in frames:
        try:
            out.append(analyze_face([Frames(f[None], 25.0)], static=True).landmarks.points[0])
        except Exception:  # noqa: BLE001 - no face found: report NaN
            out.append(np.full((478, 3), np.nan, np.float32))
    return np.array(out)


def crop_sheet(img: np.ndarray, frames: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Face crops (portrait, then each condition) side by side with the eye and mouth zoomed below."""
    x0, y0 = pts[:, :2].min(0)
    x1, y1 = pts[:, :2].max(0)
    m = 0.1 * (x1 - x0)
    x0, y0, x1, y1 = (int(max(v, 0)) for v in (x0 - m, y0 - m, x1 + m, y1 + m))
    tiles = []
    for f in [img, *frames]:
        face = cv2.resize(np.ascontiguousarray(f[y0:y1, x0:x1]), (256, round(256 * (y1 - y0) / (x1 - x0))))
        ex0, ex1 = pts[[33, 263], 0].min() - 15, pts[[33, 263], 0].max() + 15
        ey = pts[[159, 386, 145, 374], 1].mean()
        eye = f[int(ey - 0.13 * (ex1 - ex0)) : int(ey + 0.13 * (ex1 - ex0)), int(ex0) : int(ex1)]
        eye = cv2.resize(np.ascontiguousarray(eye), (256, round(256 * eye.shape[0] / eye.shape[1])))
        mx0, mx1 = pts[61, 0] - 12, pts[291, 0] + 12
        my = pts[[13, 14], 1].mean()
        mouth = f[int(my - 0.3 * (mx1 - mx0)) : int(my + 0.3 * (mx1 - mx0)), int(mx0) : int(mx1)]
        mouth = cv2.resize(np.ascontiguousarray(mouth), (256, round(256 * mouth.shape[0] / mouth.shape[1])))
        tiles.append(np.concatenate([face, eye, mouth]))
    h = max(t.shape[0] for t in tiles)
    return np.concatenate([np.pad(t, ((0, h - t.shape[0]), (0, 2), (0, 0))) for t in tiles], 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/closures")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for rel in PORTRAITS:
        if not (DATA / rel).exists():
            print(f"skip {rel}: absent")
            continue
        img = load_portrait(rel, args.size)
        pts, tgt = targets(img)
        rig = prepare(img, pts)
        t0 = time.perf_counter()
        frames = render(rig, tgt)
        ms = 1000 * (time.perf_counter() - t0) / len(tgt)
        got = retrack(frames)
        name = Path(rel).stem
        sheet = crop_sheet(img, frames, pts)
        cv2.imwrite(str(out / f"{name}{args.tag}.png"), sheet[..., ::-1])
        print(f"\n{name}  portrait gap {float(mouth_opening(pts)):.3f}  eye {float(eye_opening(pts[None])[0]):.3f}  "
              f"open-mouth rig {rig.portrait_mouth_open}  {ms:.1f} ms/frame")  # fmt: skip
        print(f"  {'condition':14s} {'eye tgt':>8s} {'eye got':>8s} {'lips tgt':>9s} {'lips got':>9s}")
        for (cond, _, _), t, g in zip(CONDITIONS, tgt, got, strict=True):
            e_t, e_g = float(eye_opening(t[None])[0]), float(eye_opening(g[None])[0])
            l_t, l_g = float(mouth_opening(t)), float(mouth_opening(g))
            rows.append((name, cond, e_t, e_g, l_t, l_g))
            print(f"  {cond:14s} {e_t:8.3f} {e_g:8.3f} {l_t:9.3f} {l_g:9.3f}")
    r = np.array([row[2:] for row in rows], np.float64)
    cond = np.array([row[1] for row in rows])
    print("\nmeans over portraits (eye: lid gap / eye width; lips: inner gap / eye distance)")
    for c, _, _ in CONDITIONS:
        m = np.nanmean(r[cond == c], 0)
        print(f"  {c:14s} eye tgt {m[0]:.3f} got {m[1]:.3f}   lips tgt {m[2]:.3f} got {m[3]:.3f}")


if __name__ == "__main__":
    main()
