"""MediaPipe FaceMesh tracking (478 points with irises); the model ships in the mediapipe wheel."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from moodtalk.geometry import one_euro_filter
from moodtalk.geometry.landmarks import interocular
from moodtalk.types import N_LANDMARKS, Frames, LandmarkTrack


@dataclass(frozen=True)
class TrackerConfig:
    """How faces are found and smoothed."""

    max_faces: int = 2
    """Faces MediaPipe looks for per frame; the largest one is kept."""
    min_detection_confidence: float = 0.5
    """Face detector threshold."""
    min_tracking_confidence: float = 0.5
    """Below this the tracker re-detects the face."""
    smooth: bool = True
    """Apply the one-euro filter to video landmarks."""
    min_cutoff_hz: float = 3.0
    """One-euro cutoff for a still face (lower removes more jitter)."""
    beta: float = 3.0
    """One-euro speed coefficient, in 1/(eye distances per second) (higher = less lag on fast lips)."""


def _face_mesh(static: bool, cfg: TrackerConfig):  # noqa: ANN202 - mediapipe has no type stubs
    os.environ.setdefault("GLOG_minloglevel", "2")
    import mediapipe as mp

    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=static,
        max_num_faces=cfg.max_faces,
        refine_landmarks=True,
        min_detection_confidence=cfg.min_detection_confidence,
        min_tracking_confidence=cfg.min_tracking_confidence,
    )


def _largest_face(result, width: int, height: int) -> tuple[np.ndarray | None, int]:  # noqa: ANN001
    """(478, 3) pixel landmarks of the largest detected face and the number of faces."""
    faces = result.multi_face_landmarks or []
    best, best_area = None, -1.0
    for face in faces:
        pts = np.array([(p.x * width, p.y * height, p.z * width) for p in face.landmark], dtype=np.float32)
        span = pts[:, :2].max(0) - pts[:, :2].min(0)
        area = float(span[0] * span[1])
        if area > best_area:
            best, best_area = pts, area
    return best, len(faces)


def track_frames(chunks: Iterable[Frames], static: bool = False, cfg: TrackerConfig = TrackerConfig()
                 ) -> tuple[LandmarkTrack, int]:  # fmt: skip
    """Track the largest face through frames given in chunks.

    Args:
        chunks: Frames chunks in time order (one chunk for a photo).
        static: treat every frame as an unrelated photo (no tracking between frames).
        cfg: tracker settings.

    Returns:
        The landmark track (NaN and ``valid=False`` where no face was found) and the largest
        number of faces seen in one frame.
    """
    points: list[np.ndarray] = []
    most_faces = 0
    size, fps = (0, 0), 25.0
    with _face_mesh(static, cfg) as mesh:
        for chunk in chunks:
            size, fps = chunk.size, chunk.fps
            for image in chunk.images:
                pts, n = _largest_face(mesh.process(image), *size)
                if pts is None and static:
                    pts, n = _search_windows(mesh, image)
                most_faces = max(most_faces, n)
                points.append(pts if pts is not None else np.full((N_LANDMARKS, 3), np.nan, np.float32))
    arr = np.stack(points) if points else np.zeros((0, N_LANDMARKS, 3), np.float32)
    valid = np.isfinite(arr[:, 0, 0])
    if cfg.smooth and not static and valid.sum() > 1:
        arr = _smooth(arr, valid, fps, cfg)
    return LandmarkTrack(points=arr, valid=valid, image_size=size, fps=fps), most_faces


WINDOW_SCALES = (1.0, 0.5)
"""Sides of the square search windows, as fractions of the photo's shorter side."""


def _search_windows(mesh, image: np.ndarray) -> tuple[np.ndarray | None, int]:  # noqa: ANN001
    """Look for a face in overlapping square windows of a photo.

    MediaPipe's detector sees the whole photo squeezed to 128×128 px, so a face that fills only a
    small part of a wide or large photo is missed. Windows (half-overlapping) give it a closer look.

    Returns:
        (478, 3) pixel landmarks of the largest face found in any window (or None), and the number
        of faces in that window.
    """
    height, width = image.shape[:2]
    best, best_n, best_area = None, 0, -1.0
    for scale in WINDOW_SCALES:
        side = int(min(height, width) * scale)
        if side < 64:
            break
        step = side // 2
        for y in range(0, max(1, height - side + step), step):
            for x in range(0, max(1, width - side + step), step):
                y0, x0 = min(y, height - side), min(x, width - side)
                window = np.ascontiguousarray(image[y0 : y0 + side, x0 : x0 + side])
                pts, n = _largest_face(mesh.process(window), side, side)
                if pts is None:
                    continue
                area = float(np.prod(pts[:, :2].max(0) - pts[:, :2].min(0)))
                if area > best_area:
                    best, best_n, best_area = pts + np.array([x0, y0, 0], np.float32), n, area
        if best is not None:
            return best, best_n
    return None, 0


def _smooth(points: np.ndarray, valid: np.ndarray, fps: float, cfg: TrackerConfig) -> np.ndarray:
    """One-euro filter in eye-distance units so its settings do not depend on resolution."""
    unit = float(np.median(interocular(points[valid])))
    smoothed = one_euro_filter(points / unit, fps, min_cutoff=cfg.min_cutoff_hz, beta=cfg.beta) * unit
    smoothed[~valid] = np.nan
    return smoothed.astype(np.float32)


def untracked_ranges(valid: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (first, last) frame ranges where ``valid`` is False."""
    ranges, start = [], None
    for i, ok in enumerate(valid):
        if not ok and start is None:
            start = i
        elif ok and start is not None:
            ranges.append((start, i - 1))
            start = None
    if start is not None:
        ranges.append((start, len(valid) - 1))
    return ranges
