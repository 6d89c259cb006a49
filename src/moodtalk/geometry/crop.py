"""The square crop around a face that the renderer works in, and its inverse."""

from __future__ import annotations

import numpy as np

from moodtalk.geometry import landmarks as lm

CROP_EYE_DISTANCES = 4.6
"""Side of the crop in eye distances: the face, the hair above it and the neck below."""
CROP_CENTRE_BELOW_EYES = 0.75
"""The crop centre sits this many eye distances below the eye midpoint (the face's middle)."""


def face_crop(points: np.ndarray, out_size: int, image_size: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """Affine map from image pixels into a square ``out_size`` crop centred on the face.

    The crop is upright in the image (no rotation), so a tilted head stays tilted. It stays
    inside the photo: it is shifted, and if the photo is too small shrunk, rather than filled
    with invented border pixels.

    Args:
        points: (478, 3) landmarks in image pixels.
        out_size: side of the crop in pixels.
        image_size: (width, height) of the photo.
        scale: multiply the crop side (larger = more background).

    Returns:
        (2, 3) float64 affine matrix A with ``crop_xy = A @ [x, y, 1]``.
    """
    right, left = lm.eye_centres(points)
    eye_mid = 0.5 * (right + left)[:2]
    iod = float(lm.interocular(points))
    down = np.array([0.0, 1.0])
    centre = eye_mid + down * CROP_CENTRE_BELOW_EYES * iod
    width, height = image_size
    side = min(CROP_EYE_DISTANCES * iod * scale, width, height)
    centre = np.clip(centre, side / 2, np.array([width, height]) - side / 2)
    k = out_size / side
    return np.array([[k, 0.0, out_size / 2 - k * centre[0]], [0.0, k, out_size / 2 - k * centre[1]]])


def apply_affine(points: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Map (..., 3) landmarks through a (2, 3) similarity without rotation; z scales like x."""
    out = np.array(points, dtype=np.float64, copy=True)
    out[..., 0] = affine[0, 0] * points[..., 0] + affine[0, 2]
    out[..., 1] = affine[1, 1] * points[..., 1] + affine[1, 2]
    out[..., 2] = affine[0, 0] * points[..., 2]
    return out
