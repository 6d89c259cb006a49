"""A drawn face-like test image with hand-made 478 landmarks, and a real portrait when shared data exists."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from moodtalk.geometry.landmarks import (
    EYE_LEFT_LOWER,
    EYE_LEFT_UPPER,
    EYE_RIGHT_LOWER,
    EYE_RIGHT_UPPER,
    FACE_OVAL,
    IRIS_LEFT,
    IRIS_RIGHT,
    LIPS_LOWER_INNER,
    LIPS_LOWER_OUTER,
    LIPS_UPPER_INNER,
    LIPS_UPPER_OUTER,
)
from tests.helpers import SHARED_DATA

SIZE = 128
"""Side of the synthetic image in pixels."""
CENTRE = (64.0, 60.0)
"""Face centre (x, y)."""
FACE_RADII = (30.0, 38.0)
"""Face ellipse half width and half height."""
MOUTH_Y, MOUTH_HALF_WIDTH = 82.0, 12.0
EYE_Y, EYE_DX, EYE_HALF_WIDTH, EYE_HALF_HEIGHT = 50.0, 13.0, 6.0, 2.5
SHARED_PORTRAITS = SHARED_DATA / "portraits"


def _face_landmarks() -> np.ndarray:
    """(478, 3) landmarks of the drawn face: oval, lips (closed), eyes, irises, the rest scattered inside."""
    pts = np.full((478, 3), np.nan, np.float32)
    pts[:, 2] = 0.0
    cx, cy = CENTRE
    t = np.linspace(0, 2 * np.pi, len(FACE_OVAL), endpoint=False)
    pts[list(FACE_OVAL), 0] = cx + FACE_RADII[0] * np.sin(t)
    pts[list(FACE_OVAL), 1] = cy - FACE_RADII[1] * np.cos(t)
    xs = np.linspace(-1.0, 1.0, 11)
    bulge = 1.0 - xs**2
    for ids, dy in (
        (LIPS_UPPER_OUTER, -4.0),
        (LIPS_UPPER_INNER, -0.3),
        (LIPS_LOWER_INNER, 0.3),
        (LIPS_LOWER_OUTER, 5.0),
    ):
        pts[list(ids), 0] = cx + xs * MOUTH_HALF_WIDTH
        pts[list(ids), 1] = MOUTH_Y + dy * bulge
    xe = np.linspace(-1.0, 1.0, 9)
    for sign, up, lo, iris in (
        (-1, EYE_RIGHT_UPPER, EYE_RIGHT_LOWER, IRIS_RIGHT),
        (1, EYE_LEFT_UPPER, EYE_LEFT_LOWER, IRIS_LEFT),
    ):
        ex = cx + sign * EYE_DX
        # Outer corner first: the subject's right eye is on the image's left.
        order = xe if sign < 0 else -xe
        pts[list(up), 0] = ex + order * EYE_HALF_WIDTH
        pts[list(up), 1] = EYE_Y - EYE_HALF_HEIGHT * np.sqrt(1 - xe**2)
        pts[list(lo), 0] = ex + order * EYE_HALF_WIDTH
        pts[list(lo), 1] = EYE_Y + EYE_HALF_HEIGHT * np.sqrt(1 - xe**2)
        pts[iris[0], :2] = ex, EYE_Y
        pts[list(iris[1:]), 0] = ex + np.array([1.5, 0, -1.5, 0])
        pts[list(iris[1:]), 1] = EYE_Y + np.array([0, -1.5, 0, 1.5])
    # Remaining points: a deterministic scatter inside the face, away from eyes and mouth.
    free = np.flatnonzero(np.isnan(pts[:, 0]))
    rng = np.random.default_rng(7)
    cand = []
    while len(cand) < len(free):
        x, y = rng.uniform(-1, 1, 2)
        px, py = cx + 0.9 * FACE_RADII[0] * x, cy + 0.9 * FACE_RADII[1] * y
        if x * x + y * y > 1:
            continue
        if abs(px - cx) < MOUTH_HALF_WIDTH + 3 and abs(py - MOUTH_Y) < 8:
            continue
        if abs(abs(px - cx) - EYE_DX) < EYE_HALF_WIDTH + 2 and abs(py - EYE_Y) < EYE_HALF_HEIGHT + 2:
            continue
        cand.append((px, py))
    pts[free, :2] = np.array(cand, np.float32)
    return pts


def _face_image(pts: np.ndarray) -> np.ndarray:
    """(128, 128, 3) uint8: grey-green gradient background, skin ellipse, dark eyes and a lip band."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    img = np.stack([60 + 0.5 * xx, 90 + 0.3 * yy, 70 + 0.2 * (xx + yy)], -1).astype(np.uint8)
    cv2.ellipse(img, (64, 60), (30, 38), 0, 0, 360, (205, 160, 135), -1)
    for sign in (-1, 1):
        cv2.ellipse(img, (int(64 + sign * EYE_DX), int(EYE_Y)), (6, 3), 0, 0, 360, (240, 240, 240), -1)
        cv2.circle(img, (int(64 + sign * EYE_DX), int(EYE_Y)), 2, (40, 30, 20), -1)
        cv2.line(img, (int(64 + sign * EYE_DX) - 6, 42), (int(64 + sign * EYE_DX) + 6, 42), (80, 60, 40), 2)
    outer = np.concatenate([pts[list(LIPS_UPPER_OUTER), :2], pts[list(LIPS_LOWER_OUTER[::-1]), :2]])
    cv2.fillPoly(img, [np.round(outer).astype(np.int32)], (180, 90, 90))
    cv2.line(img, (52, 82), (76, 82), (120, 50, 50), 1)
    return img


@pytest.fixture(scope="session")
def synthetic_face() -> tuple[np.ndarray, np.ndarray]:
    """(image (128, 128, 3) uint8, landmarks (478, 3) float32 pixels)."""
    pts = _face_landmarks()
    return _face_image(pts), pts


@pytest.fixture(scope="session")
def real_face() -> tuple[np.ndarray, np.ndarray]:
    """A real portrait (256 px) tracked with MediaPipe FaceMesh; skips when shared data is absent."""
    path = SHARED_PORTRAITS / "makeittalk__obama.jpg"
    if not path.exists():
        pytest.skip("shared data not available")
    mp = pytest.importorskip("mediapipe")
    img = np.ascontiguousarray(cv2.resize(cv2.imread(str(path)), (256, 256), interpolation=cv2.INTER_AREA)[..., ::-1])
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces=1) as fm:
        res = fm.process(img)
    if not res.multi_face_landmarks:
        pytest.skip("no face found")
    lm = np.array([[p.x * 256, p.y * 256, p.z * 256] for p in res.multi_face_landmarks[0].landmark], np.float32)
    return img, lm
