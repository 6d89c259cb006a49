"""The emotion space: prototypes, the shipped npz, hyperplanes, and a rebuild on real clips."""

from __future__ import annotations

import numpy as np
import pytest

from moodtalk.emotion.space import (
    AU_PROTOTYPES,
    DIRECTION_SHAPES,
    HYPERPLANE_SHAPES,
    UNTOUCHED_SHAPES,
    balanced_sample,
    default_space,
    load_space,
    mask,
    matched_offset,
    prototype_directions,
    save_space,
)
from moodtalk.types import BLENDSHAPE_NAMES, EMOTIONS
from tests.helpers import SHARED_DATA

IDX = {n: i for i, n in enumerate(BLENDSHAPE_NAMES)}


def test_prototypes_follow_facs() -> None:
    p = prototype_directions()
    assert p.shape == (8, 51) and set(AU_PROTOTYPES) == set(EMOTIONS)
    assert np.allclose(np.linalg.norm(p[1:], axis=1), 1.0) and not p[0].any()
    happy, sad = p[EMOTIONS.index("happy")], p[EMOTIONS.index("sad")]
    assert happy[IDX["mouthSmileLeft"]] > 0 and happy[IDX["cheekSquintRight"]] > 0
    assert sad[IDX["browInnerUp"]] > 0 and sad[IDX["mouthFrownLeft"]] > 0
    contempt = p[EMOTIONS.index("contempt")]  # unilateral: R12A + R14A
    assert contempt[IDX["mouthSmileRight"]] > 0 and contempt[IDX["mouthSmileLeft"]] == 0


def test_shipped_space_shapes_and_dims() -> None:
    s = default_space()
    assert s.directions.shape == (8, 51) and s.normals.shape == (8, 51) and s.biases.shape == (8,)
    assert s.rest.shape == (51,) and s.prototypes.shape == (8, 51)
    assert not s.directions[0].any()
    assert not s.directions[:, ~mask(DIRECTION_SHAPES)].any()
    assert not s.normals[:, ~mask(HYPERPLANE_SHAPES)].any()
    assert not s.directions[:, mask(UNTOUCHED_SHAPES)].any()  # blinks and gaze are never an emotion's
    assert np.all(s.strength[1:] > 0.5)
    assert 0.125 < s.cv_accuracy <= 1.0  # better than chance across actors


def test_direction_is_on_its_own_side_of_its_hyperplane() -> None:
    s = default_space()
    scores = s.decision(s.directions)  # row e: direction e scored by every hyperplane
    for e in range(1, len(EMOTIONS)):
        assert scores[e, e] > 0, EMOTIONS[e]


def test_save_load_round_trip(tmp_path) -> None:  # noqa: ANN001
    s = default_space()
    save_space(s, tmp_path / "s.npz")
    t = load_space(tmp_path / "s.npz")
    assert np.allclose(t.directions, s.directions) and t.hyperplane_shapes == s.hyperplane_shapes


def test_balanced_sample_is_equal_per_opening_bin() -> None:
    rng = np.random.default_rng(0)
    jaw = np.concatenate([rng.uniform(0, 0.1, 900), rng.uniform(0.4, 0.5, 100)])  # mostly closed
    idx = balanced_sample(jaw, np.zeros(len(jaw), int), per_bin=50, rng=rng)
    assert len(idx) % 50 == 0 and len(idx) < 250  # 50 from each non-empty bin, empty bins skipped
    assert (jaw[idx] > 0.3).sum() == 50  # the 10 % open frames get a full bin's share


def test_matched_offset_ignores_louder_speech() -> None:
    rng = np.random.default_rng(1)
    neutral = np.zeros((300, 51))
    neutral[:, IDX["jawOpen"]] = rng.uniform(0, 0.3, 300)
    neutral[:, IDX["mouthLowerDownLeft"]] = neutral[:, IDX["jawOpen"]]  # follows the jaw
    emo = np.zeros((300, 51))
    emo[:, IDX["jawOpen"]] = rng.uniform(0.1, 0.4, 300)  # louder: wider open
    emo[:, IDX["mouthLowerDownLeft"]] = emo[:, IDX["jawOpen"]]
    emo[:, IDX["browDownLeft"]] = 0.5
    off = matched_offset(emo, neutral)
    assert np.isclose(off[IDX["browDownLeft"]], 0.5)
    assert abs(off[IDX["mouthLowerDownLeft"]]) < 0.03  # plain means would say ≈ 0.1


@pytest.mark.real
def test_rebuild_on_real_clips(tmp_path) -> None:  # noqa: ANN001
    """Analyse the two MEAD actors' neutral, happy and angry clips and rebuild a small space."""
    from moodtalk.emotion.space import build_space
    from moodtalk.face import analyze_face
    from moodtalk.video import iter_frames

    folder = SHARED_DATA / "emotion_video"
    if not folder.is_dir():
        pytest.skip(f"real test material {folder} is absent")
    clips = []
    for actor in ("M030", "W009"):
        neutral = analyze_face(iter_frames(folder / f"dreamtalk__{actor}_front_neutral_level1_001.mp4", fps=25.0))
        clips.append((actor, "neutral", neutral.blendshapes.weights))
        for emo in ("happy", "angry"):
            path = folder / f"dreamtalk__{actor}_front_{emo}_level3_001.mp4"
            a = analyze_face(iter_frames(path, fps=25.0), neutral=neutral.identity)
            clips.append((actor, emo, a.blendshapes.weights))
    space, report = build_space(clips)
    happy, angry = space.data_means[EMOTIONS.index("happy")], space.data_means[EMOTIONS.index("angry")]
    assert happy[IDX["mouthSmileLeft"]] + happy[IDX["mouthSmileRight"]] > 0.4
    assert angry[IDX["browDownLeft"]] + angry[IDX["browDownRight"]] > 0.4
    assert report["loao_argmax_acc"] > 0.5  # 3 classes, held-out actor
