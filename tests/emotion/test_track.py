"""Emotion specs → EmotionTrack: every form, synonyms, smooth keyframes and every error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodtalk.emotion import emotion_track, keyframe_track, normalize_emotion, with_intensity
from moodtalk.errors import InputError
from moodtalk.types import EMOTIONS

FPS = 25.0
T = 200  # 8 s


def _emo(track, name: str) -> np.ndarray:
    return track.weights[:, EMOTIONS.index(name)]


def test_label_and_label_with_intensity() -> None:
    tr = emotion_track("happy", T, FPS, intensity=0.7)
    assert len(tr) == T and tr.fps == FPS
    assert np.allclose(_emo(tr, "happy"), 1.0) and np.allclose(tr.intensity, 0.7)
    tr = emotion_track("Sad:0.3", T, FPS)
    assert np.allclose(_emo(tr, "sad"), 1.0) and np.allclose(tr.intensity, 0.3)


@pytest.mark.parametrize(
    ("alias", "name"),
    [("fear", "fearful"), ("disgust", "disgusted"), ("surprise", "surprised"), ("anger", "angry"),
     ("happiness", "happy"), ("joy", "happy"), ("sadness", "sad"), ("HAPPY", "happy")],
)  # fmt: skip
def test_synonyms(alias: str, name: str) -> None:
    assert normalize_emotion(alias) == name
    assert np.allclose(_emo(emotion_track(alias, 5, FPS), name), 1.0)


def test_unknown_emotion_suggests_nearest() -> None:
    with pytest.raises(InputError, match="did you mean 'happy'"):
        emotion_track("hapy", T, FPS)
    with pytest.raises(InputError, match="did you mean 'surprised'"):
        emotion_track("neutral@0 suprised@2", T, FPS)


@pytest.mark.parametrize("spec", ["happy:1.6", "happy:-0.1", "sad:1.0@0 happy:2@3", "happy:abc"])
def test_intensity_out_of_range(spec: str) -> None:
    with pytest.raises(InputError, match=r"intensity|not a number"):
        emotion_track(spec, T, FPS)
    with pytest.raises(InputError, match=r"\[0, 1.5\]"):
        emotion_track("happy", T, FPS, intensity=1.7)


def test_keyframes_smooth_transition_and_hold() -> None:
    tr = keyframe_track("neutral@0 happy:0.8@2.4 sad:1.0@6", T, FPS)
    t = np.arange(T) / FPS
    happy, sad, inten = _emo(tr, "happy"), _emo(tr, "sad"), tr.intensity
    assert inten[0] == 0 and _emo(tr, "neutral")[0] == 1
    k = int(round(2.4 * FPS))
    assert np.isclose(happy[k], 1.0) and np.isclose(inten[k], 0.8)
    assert np.allclose(sad[t >= 6], 1.0) and np.allclose(inten[t >= 6], 1.0)  # held after the last keyframe
    # Smoothstep: monotone, and the per-frame change is small near the keyframes (no kinks).
    ramp = happy[: k + 1]
    assert np.all(np.diff(ramp) >= -1e-6)
    step = np.abs(np.diff(ramp))
    assert step[0] < 0.2 * step.max() and step[-1] < 0.2 * step.max()
    mid = (t > 2.4) & (t < 6)
    assert np.all(np.diff(sad[mid]) >= -1e-6) and np.all(np.diff(happy[mid]) <= 1e-6)
    assert np.allclose(tr.weights.sum(1), 1.0, atol=1e-5)


def test_keyframes_hold_before_first() -> None:
    tr = keyframe_track("angry:0.5@1 angry:1.0@2", T, FPS)
    assert np.allclose(tr.intensity[: int(FPS)], 0.5)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("happy@2 sad@1", "time order"), ("happy@0 sad@9", "beyond the end"), ("happy@x", "not a number"),
     ("happy:0.5", None), ("happy 0.5@1", "emotion\\[:intensity\\]@seconds"), ("happy@-1", "negative")],
)  # fmt: skip
def test_keyframe_errors(spec: str, message: str | None) -> None:
    if message is None:  # a label, not keyframes: valid
        emotion_track(spec, T, FPS)
        return
    with pytest.raises(InputError, match=message):
        emotion_track(spec, T, FPS)


def test_keyframe_beyond_given_duration() -> None:
    with pytest.raises(InputError, match="beyond"):
        keyframe_track("happy@0 sad@5", T, FPS, duration=4.0)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "curve.csv"
    p.write_text(text)
    return p


def test_csv_emotion_intensity_columns(tmp_path: Path) -> None:
    p = _write(tmp_path, "time,emotion,intensity\n0,neutral,0\n2,Happiness,1.0\n4,sad,0.5\n")
    tr = emotion_track(p, T, FPS)
    k = int(FPS)  # 1 s: halfway neutral → happy, linear
    assert np.isclose(_emo(tr, "happy")[k], 0.5, atol=1e-5) and np.isclose(tr.intensity[k], 0.5, atol=1e-5)
    assert np.allclose(_emo(tr, "sad")[int(4 * FPS) :], 1.0)
    tr = emotion_track(str(p), T, FPS)  # path given as a string
    assert len(tr) == T


def test_csv_weight_columns_without_intensity(tmp_path: Path) -> None:
    p = _write(tmp_path, "time,happy,fear\n0,1,0\n3,1,3\n")
    tr = emotion_track(p, T, FPS, intensity=0.6)
    last = tr.weights[-1]
    assert np.isclose(last[EMOTIONS.index("happy")], 0.25) and np.isclose(last[EMOTIONS.index("fearful")], 0.75)
    assert np.allclose(tr.intensity, 0.6)


@pytest.mark.parametrize(
    ("text", "message"),
    [("time,emotion\n0,happy\n1,hapy\n", "unknown emotion 'hapy'"),
     ("time,emotion,intensity\n0,happy,0.5\n1,sad,x\n", "line 3, column 'intensity'"),
     ("time,emotion,intensity\n0,happy,0.5\n1,sad,2\n", r"line 3, column 'intensity': intensity 2 is outside"),
     ("time,happy,sad\n0,1,0\n1,,1\n", "line 3, column 'happy': value missing"),
     ("time,happy,sad\n0,1,-1\n", "line 2, column 'sad': weight -1 is negative"),
     ("t,emotion\n0,happy\n", "no 'time' column"),
     ("time,intensity\n0,1\n", "needs an 'emotion' column"),
     ("time,emotion\n2,happy\n1,sad\n", "time order"),
     ("time,emotion\n0,happy\n99,sad\n", "beyond the end"),
     ("time,emotion\n", "no rows"),
     ("", "empty"),
     ("time,emotion\nzero,happy\n", "line 2, column 'time'")],
)  # fmt: skip
def test_csv_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        emotion_track(_write(tmp_path, text), T, FPS)
    assert "\n" not in str(err.value) and err.value.path is not None


def test_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        emotion_track(tmp_path / "nope.csv", T, FPS)


def test_intensity_curve_replaces_and_scales() -> None:
    curve = np.linspace(0, 2, T)
    tr = emotion_track("angry", T, FPS, intensity=curve)
    assert np.allclose(tr.intensity, np.clip(curve, 0, 1.5))
    tr = with_intensity(emotion_track("angry:0.5", T, FPS), np.full(T, 0.5), mode="scale")
    assert np.allclose(tr.intensity, 0.25)
    with pytest.raises(ValueError, match="must be"):
        emotion_track("angry", T, FPS, intensity=np.ones(T - 1))
