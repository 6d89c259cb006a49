"""Named MediaPipe FaceMesh landmark indices.

Source: the 478-point FaceMesh topology of MediaPipe (``face_mesh_connections.py`` and the
canonical face model UV map, mediapipe 0.10.21). "Right"/"Left" are the subject's own sides;
in a frontal, non-mirrored image the subject's right side is on the image's left (small x).
"""

from __future__ import annotations

import numpy as np

# Lip contours, each from the subject's right mouth corner to the left one.
LIPS_UPPER_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_LOWER_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_LOWER_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
MOUTH_CORNER_RIGHT, MOUTH_CORNER_LEFT = 61, 291
LIP_INNER_UPPER_MID, LIP_INNER_LOWER_MID = 13, 14
LIP_OUTER_UPPER_MID, LIP_OUTER_LOWER_MID = 0, 17
MID_LIP_PAIRS = (LIPS_UPPER_INNER[4:7], LIPS_LOWER_INNER[4:7])
"""The three middle facing upper/lower inner-lip points, whose gap is the mouth opening."""

# Eye lids, from the outer corner to the inner corner.
EYE_RIGHT_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
EYE_RIGHT_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
EYE_LEFT_UPPER = (263, 466, 388, 387, 386, 385, 384, 398, 362)
EYE_LEFT_LOWER = (263, 249, 390, 373, 374, 380, 381, 382, 362)
EYE_RIGHT_OUTER, EYE_RIGHT_INNER = 33, 133
EYE_LEFT_OUTER, EYE_LEFT_INNER = 263, 362
EYE_LIDS = ((EYE_RIGHT_UPPER, EYE_RIGHT_LOWER), (EYE_LEFT_UPPER, EYE_LEFT_LOWER))
"""(upper, lower) lid contours of the subject's right and left eye."""
LID_GAP_PAIRS = slice(3, 6)
"""The three middle facing upper/lower lid points of each ``EYE_LIDS`` contour, whose gap is the eye opening."""

# Irises (refine_landmarks=True): centre first, then four points on the iris rim.
IRIS_RIGHT = (468, 469, 470, 471, 472)
IRIS_LEFT = (473, 474, 475, 476, 477)

# Eyebrows, from the outer end to the inner end; upper and lower edge.
BROW_RIGHT_UPPER = (70, 63, 105, 66, 107)
BROW_RIGHT_LOWER = (46, 53, 52, 65, 55)
BROW_LEFT_UPPER = (300, 293, 334, 296, 336)
BROW_LEFT_LOWER = (276, 283, 282, 295, 285)

# Face outline, clockwise from the top of the forehead.
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
CHIN = 152
FOREHEAD = 10
NOSE_TIP = 1
NOSE_ALA_RIGHT, NOSE_ALA_LEFT = 129, 358
CHEEK_RIGHT, CHEEK_LEFT = 205, 425

# Points that barely move with expression: used for head pose. Forehead, temples, nose
# bridge and the upper face outline (no lips, jaw, lids or brows).
RIGID_POINTS = (
    10, 338, 297, 332, 109, 67, 103, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1,
    127, 356, 234, 454, 93, 323, 162, 389, 21, 251, 54, 284,
    133, 362, 114, 343, 188, 412, 245, 465, 122, 351,
)  # fmt: skip


def eye_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the subject's right and left eye (mean of the two corners).

    Args:
        points: (..., 478, 3) landmarks.

    Returns:
        Two (..., 3) arrays: right eye centre, left eye centre.
    """
    right = 0.5 * (points[..., EYE_RIGHT_OUTER, :] + points[..., EYE_RIGHT_INNER, :])
    left = 0.5 * (points[..., EYE_LEFT_OUTER, :] + points[..., EYE_LEFT_INNER, :])
    return right, left


def interocular(points: np.ndarray) -> np.ndarray:
    """Distance between the eye centres (the face-size unit), (...,) from (..., 478, 3)."""
    right, left = eye_centres(points)
    return np.linalg.norm(left - right, axis=-1)


def mouth_opening(points: np.ndarray) -> np.ndarray:
    """Inner-lip gap normalised by the eye distance, (...,) from (..., 478, 3).

    Mean vertical gap over the three middle inner-lip pairs, so a lopsided mouth still counts.
    """
    upper, lower = (list(ids) for ids in MID_LIP_PAIRS)
    gap = np.linalg.norm(points[..., lower, :] - points[..., upper, :], axis=-1).mean(-1)
    return gap / interocular(points)


def eye_openings(points: np.ndarray) -> np.ndarray:
    """Lid gap over eye width of the subject's right and left eye, (..., 2) from (..., 478, 3).

    The gap is the mean image-plane distance of the three middle upper/lower lid pairs; dividing
    by the corner-to-corner width makes it independent of face size (an eye-aspect ratio).
    """
    p = np.asarray(points, np.float64)

    def one(upper: tuple[int, ...], lower: tuple[int, ...]) -> np.ndarray:
        up, lo = list(upper[LID_GAP_PAIRS]), list(lower[LID_GAP_PAIRS])
        gap = np.linalg.norm(p[..., up, :2] - p[..., lo, :2], axis=-1).mean(-1)
        return gap / np.linalg.norm(p[..., upper[0], :2] - p[..., upper[-1], :2], axis=-1)

    return np.stack([one(upper, lower) for upper, lower in EYE_LIDS], axis=-1)


def eye_opening(points: np.ndarray) -> np.ndarray:
    """Mean of both eyes' :func:`eye_openings`, (...,) from (..., 478, 3)."""
    return eye_openings(points).mean(-1)
