"""Appearance step: expression cues and the shading of folds and furrows after the warp."""

from __future__ import annotations

import numpy as np
import pytest

from moodtalk.face.model import default_model
from moodtalk.geometry.landmarks import (
    BROW_LEFT_UPPER,
    BROW_RIGHT_UPPER,
    MOUTH_CORNER_LEFT,
    MOUTH_CORNER_RIGHT,
    NOSE_ALA_LEFT,
    NOSE_ALA_RIGHT,
    interocular,
)
from moodtalk.render import RenderConfig, prepare, render
from moodtalk.render.appearance import CUES, expression_cues

SIZE = 192
IOD = 48.0


@pytest.fixture(scope="module")
def canonical_face() -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """A plain skin-coloured face with the face model's canonical landmarks, and per-blendshape pixel offsets."""
    model = default_model()
    centre = np.array([SIZE / 2, SIZE * 0.42, 0.0], np.float32)
    pts = (model.canonical * IOD + centre).astype(np.float32)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    img = np.stack([190 + 0.05 * xx, 150 + 0.05 * yy, 130 + 0.02 * (xx + yy)], -1)
    img = np.clip(img, 0, 255).astype(np.uint8)
    offsets = {n: (model.basis[k] * IOD).astype(np.float32) for k, n in enumerate(model.names)}
    return img, pts, offsets


def _target(pts: np.ndarray, offsets: dict[str, np.ndarray], **weights: float) -> np.ndarray:
    out = pts.copy()
    for name, w in weights.items():
        out += w * offsets[name]
    return out


def _pair(img: np.ndarray, pts: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(with appearance, without) luminance of one rendered frame."""
    on = render(prepare(img, pts), target[None])[0].astype(np.float32).mean(-1)
    off = render(prepare(img, pts, RenderConfig(appearance=False)), target[None])[0].astype(np.float32).mean(-1)
    return on, off


def _window(lum: np.ndarray, centre: np.ndarray, half: int = 3) -> float:
    x, y = np.round(centre[:2]).astype(int)
    return float(lum[y - half : y + half + 1, x - half : x + half + 1].mean())


def test_cues_are_zero_and_frames_unchanged_for_the_portraits_own_landmarks(canonical_face):
    img, pts, _ = canonical_face
    rig = prepare(img, pts)
    assert np.abs(expression_cues(rig.appearance, pts[None])).max() < 1e-6
    # Also under a head translation + rotation: the cues are measured in a pose-normalised frame.
    angle = np.deg2rad(8.0)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    moved = pts.copy()
    moved[:, :2] = (pts[:, :2] - pts[:, :2].mean(0)) @ rot.T + pts[:, :2].mean(0) + [3.0, -2.0]
    assert np.abs(expression_cues(rig.appearance, moved[None])).max() < 1e-4
    on, off = _pair(img, pts, pts)
    assert np.abs(on - off).max() <= 1.0


def test_smile_darkens_the_nasolabial_fold(canonical_face):
    img, pts, offsets = canonical_face
    target = _target(pts, offsets, mouthSmileLeft=0.9, mouthSmileRight=0.9, cheekSquintLeft=0.7, cheekSquintRight=0.7)
    cues = expression_cues(prepare(img, pts).appearance, target[None])[0]
    assert cues[CUES.index("smile_r")] > 0.5 and cues[CUES.index("smile_l")] > 0.5
    assert cues[CUES.index("brow_lower")] < 0.02
    on, off = _pair(img, pts, target)
    iod = float(interocular(target))
    for ala, corner, out in ((NOSE_ALA_RIGHT, MOUTH_CORNER_RIGHT, -1.0), (NOSE_ALA_LEFT, MOUTH_CORNER_LEFT, 1.0)):
        fold = 0.5 * (target[ala] + target[corner]) + np.array([out * 0.1 * iod, 0.0, 0.0])
        assert _window(on, fold) < _window(off, fold) - 4.0
    # Far from any stroke (the image corner) nothing changes.
    assert np.abs(on[:10, :10] - off[:10, :10]).max() <= 1.0


def test_brow_lowering_darkens_the_glabella(canonical_face):
    img, pts, offsets = canonical_face
    target = _target(pts, offsets, browDownLeft=1.0, browDownRight=1.0)
    cues = expression_cues(prepare(img, pts).appearance, target[None])[0]
    assert cues[CUES.index("brow_lower")] > 0.7
    assert cues[CUES.index("inner_raise")] < 0.02 and cues[CUES.index("smile_r")] < 0.02
    on, off = _pair(img, pts, target)
    iod = float(interocular(target))
    glabella = 0.5 * (target[BROW_RIGHT_UPPER[-1]] + target[BROW_LEFT_UPPER[-1]])
    half = int(0.12 * iod)
    x, y = np.round(glabella[:2]).astype(int)
    region = np.s_[y - half : y + half + 1, x - half : x + half + 1]
    assert on[region].mean() < off[region].mean() - 1.5
    assert on[region].min() < off[region].min() - 8.0  # the creases themselves are clearly darker


def test_surprise_raises_forehead_furrows_and_no_smile_folds(canonical_face):
    img, pts, offsets = canonical_face
    target = _target(pts, offsets, browInnerUp=1.0, browOuterUpLeft=1.0, browOuterUpRight=1.0)
    cues = expression_cues(prepare(img, pts).appearance, target[None])[0]
    assert cues[CUES.index("inner_raise")] > 0.7 and cues[CUES.index("outer_raise")] > 0.7
    assert cues[CUES.index("brow_lower")] < 0.02 and cues[CUES.index("smile_r")] < 0.02
    on, off = _pair(img, pts, target)
    iod = float(interocular(target))
    mid = 0.5 * (target[BROW_RIGHT_UPPER[-1]] + target[BROW_LEFT_UPPER[-1]])
    x, y = np.round(mid[:2]).astype(int)
    column = (on - off)[y - int(0.45 * iod) : y - int(0.1 * iod), x - 4 : x + 5].mean(1)
    assert column.min() < -5.0  # dark furrow lines above the brows


def test_output_is_stable_for_identical_and_smooth_for_nearby_targets(canonical_face):
    img, pts, offsets = canonical_face
    rig = prepare(img, pts)
    target = _target(pts, offsets, mouthSmileLeft=0.7, mouthSmileRight=0.7, browDownLeft=0.6, browDownRight=0.6)
    frames = render(rig, np.stack([target] * 3)).astype(np.int16)
    assert np.array_equal(frames[0], frames[1]) and np.array_equal(frames[1], frames[2])
    # A sub-pixel change of the target changes the cues and the shading only a little (no flicker).
    nudged = target + np.float32(0.05)
    c0, c1 = expression_cues(rig.appearance, np.stack([target, nudged * np.float32(1.001)]))
    assert np.abs(c0 - c1).max() < 0.05
    a, b = render(rig, np.stack([target, nudged])).astype(np.int16)
    assert np.abs(a - b).mean() < 0.5


def test_appearance_can_be_switched_off(canonical_face):
    img, pts, offsets = canonical_face
    rig = prepare(img, pts, RenderConfig(appearance=False))
    assert rig.appearance is None
    target = _target(pts, offsets, browDownLeft=1.0, browDownRight=1.0)
    assert render(rig, target[None]).shape == (1, SIZE, SIZE, 3)


def test_nose_wrinkle_deepens_only_the_upper_fold_but_a_smile_the_whole_fold(canonical_face):
    """AU9/10 deepen the nasolabial furrow beside the nose wing; only a smile (AU12) draws it down to the chin
    (disgust drawn with full-length folds looked like a grimace)."""
    img, pts, offsets = canonical_face
    iod = IOD

    def darkening(target: np.ndarray) -> tuple[float, float]:
        on, off = _pair(img, pts, target)
        ala, corner = target[NOSE_ALA_RIGHT], target[MOUTH_CORNER_RIGHT]
        upper = ala + np.array([-0.07 * iod, 0.06 * iod, 0.0])  # fold beside the nose wing (subject's right)
        lower = corner + np.array([-0.08 * iod, 0.15 * iod, 0.0])  # fold below the mouth corner
        return _window(off, upper) - _window(on, upper), _window(off, lower) - _window(on, lower)

    sneer_up, sneer_low = darkening(_target(pts, offsets, noseSneerLeft=1.0, noseSneerRight=1.0,
                                            mouthUpperUpLeft=1.0, mouthUpperUpRight=1.0))  # fmt: skip
    smile_up, smile_low = darkening(_target(pts, offsets, mouthSmileLeft=1.0, mouthSmileRight=1.0))
    assert sneer_up > 20.0 and smile_up > 20.0  # both darken beside the nose wing
    assert smile_low > 20.0 and sneer_low < 0.2 * smile_low  # only the smile below the mouth corner


def test_a_frames_shading_does_not_depend_on_the_frames_rendered_with_it(canonical_face):
    """Shading geometry is computed for a whole batch at once: each frame must still look as if rendered alone,
    also when the face is partly outside the frame (clipped shading region)."""
    img, pts, offsets = canonical_face
    rig = prepare(img, pts)
    off_frame = pts.copy()
    off_frame[:, 0] += 0.45 * SIZE
    targets = np.stack([
        _target(pts, offsets, mouthSmileLeft=1.0, mouthSmileRight=0.6),
        pts,
        _target(pts, offsets, browInnerUp=1.0, browOuterUpLeft=1.0, browOuterUpRight=1.0),
        off_frame + _target(pts, offsets, browDownLeft=1.0, browDownRight=1.0) - pts,
    ])  # fmt: skip
    together = render(rig, targets)
    for frame, target in zip(together, targets, strict=True):
        np.testing.assert_array_equal(frame, render(rig, target[None])[0])


def test_mirrored_face_gets_mirrored_shading(canonical_face):
    """An asymmetric expression on the mirrored portrait is shaded as the mirror image (overlapping strokes of
    each side are drawn in the same order, whatever the other side does)."""
    img, pts, offsets = canonical_face
    mirror = default_model().mirror

    def flip(points: np.ndarray) -> np.ndarray:
        out = points[..., mirror, :].copy()
        out[..., 0] = SIZE - 1 - out[..., 0]
        return out

    target = _target(pts, offsets, mouthSmileLeft=0.7, mouthSmileRight=1.0, mouthUpperUpLeft=0.4,
                     mouthUpperUpRight=0.4, browDownRight=0.8, browInnerUp=0.5)  # fmt: skip
    on, off = _pair(img, pts, target)
    on_m, off_m = _pair(np.ascontiguousarray(img[:, ::-1]), flip(pts), flip(target))
    diff = np.abs((on - off)[:, ::-1] - (on_m - off_m))
    assert np.abs(on - off).max() > 20.0
    assert diff.max() < 20.0 and diff.mean() < 0.3  # rasterisation is not exactly mirror-symmetric: max ~8


def test_shading_is_measured_from_the_neutral_face_not_the_photo(canonical_face):
    """A photo taken mid-smile, talking with a neutral face: measured from the photo, the corners coming down
    read as a frown and the renderer would draw one; measured from the person's neutral face, nothing."""
    img, neutral, offsets = canonical_face
    smiling = _target(neutral, offsets, mouthSmileLeft=1.0, mouthSmileRight=1.0)
    from_photo = prepare(img, smiling)
    from_neutral = prepare(img, smiling, neutral=neutral)
    frown = [CUES.index("frown_r"), CUES.index("frown_l")]
    assert expression_cues(from_photo.appearance, neutral[None])[0, frown].min() > 0.3
    assert np.abs(expression_cues(from_neutral.appearance, neutral[None])).max() < 1e-6
    with pytest.raises(ValueError, match="neutral landmarks"):
        prepare(img, smiling, neutral=neutral[:, :2])
