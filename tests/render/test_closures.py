"""Blinks and lip closures: the rendered eye looks (and re-tracks) closed, closed lips meet."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

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
from moodtalk.render import RenderConfig, prepare, render
from moodtalk.render.eyes import lids_moved, paint_eyes
from moodtalk.render.mouth import INNER_POLYGON
from tests.helpers import shared_file

EYES = ((EYE_RIGHT_UPPER, EYE_RIGHT_LOWER), (EYE_LEFT_UPPER, EYE_LEFT_LOWER))


def _blink(pts: np.ndarray, share: float = 1.0) -> np.ndarray:
    """Upper lids moved ``share`` of the way down onto the lower lids."""
    out = pts.copy()
    iod = float(interocular(pts))
    for up, lo in EYES:
        up, lo = list(up[1:-1]), list(lo[1:-1])
        closed = pts[lo, :2] - np.array([0.0, 0.005 * iod], np.float32)
        out[up, :2] = (1 - share) * pts[up, :2] + share * closed
    return out


def _close_lips(pts: np.ndarray) -> np.ndarray:
    """Inner lips brought together at their midline (outer lips follow their inner edge)."""
    out = pts.copy()
    iod = float(interocular(pts))
    ui, li, uo, lo = (list(ids[1:-1]) for ids in (LIPS_UPPER_INNER, LIPS_LOWER_INNER, LIPS_UPPER_OUTER,
                                                  LIPS_LOWER_OUTER))  # fmt: skip
    mid = 0.5 * (pts[ui, :2] + pts[li, :2])
    du = mid - np.array([0.0, 0.003 * iod]) - pts[ui, :2]
    dl = mid + np.array([0.0, 0.003 * iod]) - pts[li, :2]
    for ids, d in ((ui, du), (uo, du), (li, dl), (lo, dl)):
        out[ids, :2] += d
    return out


def _eye_mask(pts: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    for up, lo in EYES:
        poly = np.concatenate([pts[list(up), :2], pts[list(lo[::-1]), :2]])
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
    return mask > 0


def _retrack(frame: np.ndarray) -> np.ndarray:
    from moodtalk.face import analyze_face  # noqa: PLC0415
    from moodtalk.types import Frames  # noqa: PLC0415

    return analyze_face([Frames(frame[None], 25.0)], static=True).landmarks.points[0]


def test_blink_hides_the_iris_and_draws_a_lash_line(synthetic_face):
    img, pts = synthetic_face
    frame = render(prepare(img, pts), _blink(pts)[None])[0].astype(np.float32)
    lum = frame.mean(-1)
    inside = _eye_mask(pts, img.shape)
    assert (img.mean(-1)[inside] < 80).sum() > 10  # the portrait shows dark iris pixels ...
    assert (lum[inside] < 80).sum() == 0  # ... the closed eye none
    # A darker line along the closed lid seam than the lid skin above it.
    x = int(round(pts[159, 0]))
    seam_y = int(round(pts[145, 1]))
    column = lum[seam_y - 6 : seam_y + 2, x]
    assert column.min() < column[:3].mean() - 30


def test_half_blink_covers_part_of_the_eye(synthetic_face):
    img, pts = synthetic_face
    rig = prepare(img, pts)
    frames = render(rig, np.stack([pts, _blink(pts, 0.5), _blink(pts, 1.0)])).astype(np.float32)
    inside = _eye_mask(pts, img.shape)
    white = [(f.mean(-1)[inside] > 200).sum() for f in frames]  # eye white left showing
    assert white[0] > white[1] > white[2]


def test_no_eyelid_drawing_at_the_portrait_position(synthetic_face):
    img, pts = synthetic_face
    on = render(prepare(img, pts), pts[None])[0]
    off = render(prepare(img, pts, RenderConfig(eyelids=False)), pts[None])[0]
    assert np.array_equal(on, off)


def test_the_batch_eyelid_check_skips_exactly_the_frames_painted_unchanged(synthetic_face):
    img, pts = synthetic_face
    rig = prepare(img, pts)
    # From the portrait's lids through the visibility threshold (a few % closure) to a full blink.
    shares = [0.0, 0.01, 0.02, 0.03, 0.035, 0.04, 0.045, 0.05, 0.08, 0.3, 1.0]
    target = np.stack([_blink(pts, s) for s in shares])[..., :2]
    moved = lids_moved(rig.eyes, target)
    for t, m in zip(target, moved, strict=True):
        frame = img.copy()
        paint_eyes(frame, img, rig.eyes, t)
        assert bool(m) == (not np.array_equal(frame, img))
    assert moved[-1] and not moved[0] and 0 < moved.sum() < len(shares)


def test_nearly_closed_target_paints_no_teeth(synthetic_face):
    img, pts = synthetic_face
    target = pts.copy()
    target[list(LIPS_LOWER_INNER[1:-1]), 1] += 0.02 * float(interocular(pts))  # a sliver, still "closed"
    frame = render(prepare(img, pts), target[None])[0].astype(np.float32)
    mouth = frame[78:87, 52:77].mean(-1)
    assert mouth.max() < 200  # no painted teeth between closed lips


@pytest.mark.real
def test_real_blink_retracks_closed(real_face):
    pytest.importorskip("mediapipe")
    img, pts = real_face
    frame = render(prepare(img, pts), _blink(pts)[None])[0]
    got = _retrack(frame)
    assert eye_opening(got) < 0.5 * eye_opening(pts)


@pytest.mark.real
def test_real_open_mouth_closes_without_cavity():
    pytest.importorskip("mediapipe")
    from moodtalk.video import read_frames  # noqa: PLC0415

    img = np.ascontiguousarray(read_frames(shared_file("talking_video/real3dportrait__May_5s.mp4"), max_size=512)
                               .images[0])  # fmt: skip
    pts = _retrack(img)
    rig = prepare(img, pts)
    assert rig.portrait_mouth_open
    target = _close_lips(pts)
    frame = render(rig, target[None])[0]
    # Where the portrait shows its cavity and teeth, the closed mouth shows neither.
    mask = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(pts[INNER_POLYGON, :2]).astype(np.int32)], 1)
    inner = mask > 0
    lum = frame.astype(np.float32).mean(-1)
    sat = frame.max(-1).astype(np.float32) - frame.min(-1)
    cavity = (lum < 60) & inner
    teeth = (lum > 150) & (sat < 60) & inner
    assert (img.astype(np.float32).mean(-1)[inner] < 60).sum() > 20  # the portrait has a visible cavity
    assert cavity.sum() + teeth.sum() <= 0.02 * inner.sum()
    assert float(mouth_opening(_retrack(frame))) < 0.05
