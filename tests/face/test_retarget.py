"""Retargeting weights onto a photographed face: the upper face of an identity frame untouched, blinks close
any eye, an open-mouthed photo still closes its lips."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from moodtalk.face import analyze_face, retarget
from moodtalk.face.model import default_model, from_canonical
from moodtalk.geometry.landmarks import (
    EYE_LEFT_UPPER,
    EYE_RIGHT_UPPER,
    LIPS_LOWER_INNER,
    LIPS_UPPER_INNER,
    NOSE_TIP,
    eye_openings,
    mouth_opening,
)
from moodtalk.types import BLENDSHAPE_NAMES, Frames


@pytest.fixture(scope="module")
def face(astronaut: np.ndarray):
    return analyze_face([Frames(astronaut[None], 25.0)], static=True)


def _wide_eyed(face):
    """The same analysis with the photo's upper lids 4 px higher than the model explains (made-up eyes)."""
    pts = face.landmarks.points.copy()
    for upper in (EYE_RIGHT_UPPER, EYE_LEFT_UPPER):
        pts[0, list(upper[1:-1]), 1] -= 4.0
    return dataclasses.replace(face, landmarks=dataclasses.replace(face.landmarks, points=pts))


def _weights(**named: float) -> np.ndarray:
    """(1, K) weights of a neutral face with the named shapes set, as the motion stages make them."""
    w = np.zeros((1, len(BLENDSHAPE_NAMES)), np.float32)
    for name, value in named.items():
        w[0, BLENDSHAPE_NAMES.index(name)] = value
    return w


def test_own_expression_gives_the_photo_back_above_the_mouth(face) -> None:
    pts = retarget(face, face.blendshapes.weights[:1])
    upper = face.landmarks.points[0, :, 1] < face.landmarks.points[0, NOSE_TIP, 1]
    np.testing.assert_allclose(pts[0, upper, :2], face.landmarks.points[0, upper, :2], atol=1e-3)


def test_open_mouthed_photo_closes_at_rest(face) -> None:
    """A photo taken mid-word: its neutral face absorbed the open jaw; neutral weights must shut the lips."""
    model = default_model()
    jaw = 0.4 * model.basis[model.names.index("jawOpen")]
    identity = face.identity + jaw
    moved = from_canonical((identity + (face.canonical_points[0] - face.identity))[None], face.pose.rotation[:1],
                           face.pose.scale[:1], face.pose.translation[:1])  # fmt: skip
    photo = dataclasses.replace(face.landmarks, points=moved.astype(np.float32))
    open_face = dataclasses.replace(
        face,
        identity=identity.astype(np.float32),
        landmarks=photo,
        canonical_points=(face.canonical_points + jaw).astype(np.float32),
    )
    assert mouth_opening(moved.astype(np.float64))[0] > 0.1
    rest = retarget(open_face, np.zeros((1, len(BLENDSHAPE_NAMES)), np.float32))
    assert mouth_opening(rest.astype(np.float64))[0] < 0.04


@pytest.mark.parametrize("wide", [False, True])
def test_full_blink_closes_the_eyes(face, wide: bool) -> None:
    f = _wide_eyed(face) if wide else face
    open_ = eye_openings(retarget(f, _weights(eyeBlinkLeft=0.0, eyeBlinkRight=0.0)))[0]
    half = eye_openings(retarget(f, _weights(eyeBlinkLeft=0.5, eyeBlinkRight=0.5)))[0]
    shut = eye_openings(retarget(f, _weights(eyeBlinkLeft=1.0, eyeBlinkRight=1.0)))[0]
    assert np.all(shut < 0.05 * open_)
    assert np.all((half > 0.3 * open_) & (half < 0.7 * open_))


def test_wide_eyes_are_not_shrunk(face) -> None:
    base = eye_openings(retarget(face, _weights(eyeWideLeft=0.0, eyeWideRight=0.0)))[0]
    wide = eye_openings(retarget(face, _weights(eyeWideLeft=1.0, eyeWideRight=1.0)))[0]
    assert np.all(wide > base)


def test_closing_shapes_do_not_push_the_lips_through_each_other(face) -> None:
    up, lo = list(LIPS_UPPER_INNER[4:7]), list(LIPS_LOWER_INNER[4:7])
    pts = retarget(face, _weights(mouthClose=1.0, mouthPressLeft=1.0, mouthPressRight=1.0, mouthRollLower=1.0))
    gap_px = float(np.mean(pts[0, lo, 1] - pts[0, up, 1]))
    assert gap_px > -0.5
