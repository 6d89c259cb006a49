"""Warp renderer: identity, translation, mouth interior, blink, shapes."""

from __future__ import annotations

import numpy as np
import pytest

from moodtalk.geometry.landmarks import (
    EYE_LEFT_LOWER,
    EYE_LEFT_UPPER,
    EYE_RIGHT_LOWER,
    EYE_RIGHT_UPPER,
    LIPS_LOWER_INNER,
    LIPS_LOWER_OUTER,
    interocular,
)
from moodtalk.render import RenderConfig, prepare, render


def _open_mouth(pts: np.ndarray, amount: float) -> np.ndarray:
    """Move the lower lip and everything below the mouth down by ``amount`` pixels (a jaw drop)."""
    out = pts.copy()
    below = pts[:, 1] > pts[13, 1] + 0.2
    below[468:] = False
    out[below, 1] += amount
    out[list(LIPS_LOWER_INNER[1:-1] + LIPS_LOWER_OUTER[1:-1]), 1] = (
        pts[list(LIPS_LOWER_INNER[1:-1] + LIPS_LOWER_OUTER[1:-1]), 1] + amount
    )
    return out


def test_shapes_dtype_and_finite(synthetic_face):
    img, pts = synthetic_face
    rig = prepare(img, pts)
    frames = render(rig, np.stack([pts, _open_mouth(pts, 6.0)]))
    assert frames.shape == (2, 128, 128, 3)
    assert frames.dtype == np.uint8
    assert np.isfinite(frames.astype(np.float32)).all()


def test_threads_and_batches_do_not_change_the_frames(synthetic_face):
    img, pts = synthetic_face
    rng = np.random.default_rng(0)
    target = np.stack([_open_mouth(pts, a) for a in np.linspace(0.0, 8.0, 7)])
    target[..., :2] += rng.normal(0.0, 0.3, (7, 1, 2)).astype(np.float32)
    one = render(prepare(img, pts, RenderConfig(threads=1, batch=7)), target)
    two = render(prepare(img, pts, RenderConfig(threads=2, batch=3)), target)
    np.testing.assert_array_equal(one, two)


def test_identity_returns_the_portrait(synthetic_face):
    img, pts = synthetic_face
    frames = render(prepare(img, pts), pts[None].repeat(3, 0))
    diff = np.abs(frames.astype(np.int16) - img[None].astype(np.int16))
    assert diff.mean() < 0.5
    assert np.percentile(diff, 99) <= 2


def test_translation_moves_the_face_and_keeps_corners(synthetic_face):
    img, pts = synthetic_face
    shift = np.array([4.0, 3.0, 0.0], np.float32)
    frame = render(prepare(img, pts), (pts + shift)[None])[0].astype(np.int16)
    # The face centre region is the portrait moved by (4, 3).
    ys, xs = slice(48, 78), slice(44, 84)
    moved = frame[ys.start + 3 : ys.stop + 3, xs.start + 4 : xs.stop + 4]
    assert np.abs(moved - img[ys, xs].astype(np.int16)).mean() < 3.0
    # ... and clearly not the unmoved portrait.
    assert np.abs(frame[ys, xs] - img[ys, xs].astype(np.int16)).mean() > 6.0
    # Image corners (background) stay still.
    for cy, cx in (
        (slice(0, 6), slice(0, 6)),
        (slice(0, 6), slice(-6, None)),
        (slice(-6, None), slice(0, 6)),
        (slice(-6, None), slice(-6, None)),
    ):
        assert np.abs(frame[cy, cx] - img[cy, cx].astype(np.int16)).mean() < 1.0


def test_open_mouth_paints_cavity_and_teeth(synthetic_face):
    img, pts = synthetic_face
    target = _open_mouth(pts, 10.0)
    frame = render(prepare(img, pts), target[None])[0].astype(np.float32)
    lum = frame.mean(-1)
    # Dark pixels inside the target inner-lip polygon ...
    centre_x = int(round(target[13, 0]))
    upper_y, lower_y = target[13, 1], target[14, 1]
    column = lum[int(upper_y) + 1 : int(lower_y), centre_x - 3 : centre_x + 4]
    assert column.min() < 60
    # ... and bright, tooth-coloured pixels just below the upper lip.
    teeth = frame[int(round(upper_y)) + 1 : int(round(upper_y)) + 3, centre_x - 3 : centre_x + 4]
    assert teeth.mean() > 150
    assert np.abs(teeth[..., 0] - teeth[..., 2]).mean() < 50  # off-white, not red lips


def test_no_mouth_painting_when_disabled(synthetic_face):
    img, pts = synthetic_face
    target = _open_mouth(pts, 10.0)[None]
    with_fill = render(prepare(img, pts), target)[0]
    without = render(prepare(img, pts, RenderConfig(mouth_interior=False)), target)[0]
    assert np.abs(with_fill.astype(np.int16) - without).max() > 50


def test_blink_covers_the_iris(synthetic_face):
    img, pts = synthetic_face
    target = pts.copy()
    for up, lo in ((EYE_RIGHT_UPPER, EYE_RIGHT_LOWER), (EYE_LEFT_UPPER, EYE_LEFT_LOWER)):
        target[list(up), :2] = pts[list(lo), :2] - np.array([0.0, 0.3], np.float32)
    frame = render(prepare(img, pts), target[None])[0].astype(np.float32)
    eye = frame[47:52, int(64 - 13) - 2 : int(64 - 13) + 3].mean(-1)
    assert eye.min() > 120  # the dark iris is gone under the lid skin


def test_bad_landmarks_are_rejected(synthetic_face):
    img, pts = synthetic_face
    rig = prepare(img, pts)
    with pytest.raises(ValueError, match="478"):
        render(rig, np.zeros((2, 10, 3), np.float32))
    bad = pts.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        render(rig, bad[None])


@pytest.mark.real
def test_real_portrait_identity_and_jaw(real_face):
    img, pts = real_face
    rig = prepare(img, pts)
    same = render(rig, pts[None])[0]
    assert np.abs(same.astype(np.int16) - img).mean() < 1.0
    iod = float(interocular(pts))
    target = _open_mouth(pts, 0.3 * iod)
    frame = render(rig, target[None])[0].astype(np.float32)
    x = int(round(target[13, 0]))
    gap = frame[int(target[13, 1]) + 2 : int(target[14, 1]) - 1, x - 2 : x + 3].mean(-1)
    assert gap.min() < 70 and gap.max() > 140  # dark cavity and bright teeth
