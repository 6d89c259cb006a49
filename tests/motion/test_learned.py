"""Learned speech → mouth path: shipped weights, output contract, silence, loudness."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from moodtalk.audio import speech_features
from moodtalk.motion import MOUTH_SHAPES, MotionConfig, speech_motion
from moodtalk.motion.learned import (
    MouthModel,
    default_mouth_model,
    fit_logistic,
    frame_inputs,
    load_model_file,
    phone_frame_inputs,
    predict_opening,
    predict_shapes,
)
from moodtalk.motion.targets import VISEMES
from moodtalk.types import BLENDSHAPE_NAMES, AudioTrack, PhoneSegment, PhoneTimeline

LEARNED = MotionConfig(path="learned")
SR = 16000


def vowel(seconds: float, amplitude: float, f0: float = 120.0) -> np.ndarray:
    """A vowel-like harmonic tone (formants near 700 and 1200 Hz) with a soft onset and offset."""
    t = np.arange(int(seconds * SR)) / SR
    y = np.zeros_like(t)
    for k in range(1, 30):
        f = k * f0
        env = np.exp(-(((f - 700) / 200) ** 2)) + 0.6 * np.exp(-(((f - 1200) / 250) ** 2)) + 0.05
        y += env * np.sin(2 * np.pi * f * t)
    ramp = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.03)
    return (amplitude * ramp * y / np.abs(y).max()).astype(np.float32)


def track_of(samples: np.ndarray, config: MotionConfig = LEARNED) -> np.ndarray:
    feats = speech_features(AudioTrack(samples.astype(np.float32), SR), fps=25.0)
    return speech_motion(feats, None, config).weights


def jaw(weights: np.ndarray) -> np.ndarray:
    return weights[:, BLENDSHAPE_NAMES.index("jawOpen")].astype(np.float64)


@pytest.fixture(scope="module")
def utterance() -> np.ndarray:
    """0.5 s silence, quiet vowel, short pause, loud vowel, 0.5 s silence (with a faint noise floor)."""
    rng = np.random.default_rng(0)
    parts = [np.zeros(SR // 2), vowel(0.6, 0.03), np.zeros(SR // 5), vowel(0.6, 0.5), np.zeros(SR // 2)]
    y = np.concatenate(parts)
    return (y + 1e-4 * rng.standard_normal(y.size)).astype(np.float32)


def test_shipped_model_loads() -> None:
    model = default_mouth_model()
    assert isinstance(model, MouthModel)
    assert set(model.shapes) <= set(MOUTH_SHAPES) and "jawOpen" in model.shapes
    d = model.coef.shape[0]
    assert model.mean.shape == model.scale.shape == (d,)
    assert model.pose_mean.shape == model.pose_slope.shape == (len(model.shapes),)
    assert np.isfinite(model.coef).all() and (model.scale > 0).all()
    assert model.pose_slope[model.shapes.index("jawOpen")] > 0  # a wider opening is more jaw


def test_save_load_roundtrip(tmp_path) -> None:
    model = default_mouth_model()
    path = tmp_path / "m.npz"
    model.save(str(path))
    again = load_model_file(path)
    assert again.shapes == model.shapes and again.context == model.context
    np.testing.assert_allclose(again.coef, model.coef, rtol=1e-6)


def test_output_contract(utterance: np.ndarray) -> None:
    w = track_of(utterance)
    n = int(np.ceil(utterance.size / SR * 25))
    assert w.shape == (n, len(BLENDSHAPE_NAMES)) and w.dtype == np.float32
    assert np.isfinite(w).all() and w.min() >= 0 and w.max() <= 1
    others = [i for i, name in enumerate(BLENDSHAPE_NAMES) if name not in MOUTH_SHAPES]
    assert not w[:, others].any()
    assert w.any()


def test_silence_is_closed_and_loud_opens_wider(utterance: np.ndarray) -> None:
    # The regression alone: the closure head narrows the mouth for ~0.3 s after the short pause (its
    # +-9-frame context still sees the pause), which this steady synthetic vowel does not outweigh.
    bare = replace(default_mouth_model(), closure_depth=0.0)
    j = jaw(track_of(utterance, MotionConfig(path="learned", learned_closures="none", learned_model=bare)))
    fps = 25.0
    lead_silence = j[: int(0.3 * fps)]  # the speech gate opens the mouth ~0.2 s ahead of the first sound
    quiet = j[int(0.65 * fps) : int(1.0 * fps)]
    loud = j[int(1.45 * fps) : int(1.8 * fps)]
    assert lead_silence.max() < 0.02  # relaxed, closed mouth before speech
    assert loud.mean() > quiet.mean() + 0.02  # louder vowel, wider jaw
    assert loud.mean() > 0.05


def test_all_silence_is_neutral() -> None:
    assert not track_of(np.zeros(SR, np.float32)).any()


def test_no_nan_on_odd_input() -> None:
    rng = np.random.default_rng(1)
    for y in (rng.standard_normal(SR).astype(np.float32) * 0.3, np.full(SR // 2, 0.2, np.float32)):
        w = track_of(y)
        assert np.isfinite(w).all() and w.min() >= 0 and w.max() <= 1
    for n in (0, 1, 2):  # tiny inputs
        w = track_of(np.zeros(n * SR // 25, np.float32))
        assert w.shape[1] == len(BLENDSHAPE_NAMES)


def test_predict_shapes_range(utterance: np.ndarray) -> None:
    feats = speech_features(AudioTrack(utterance, SR), fps=25.0)
    pred = predict_shapes(feats, default_mouth_model())
    assert pred.shape == (len(feats), len(default_mouth_model().shapes))
    assert np.isfinite(pred).all() and pred.min() >= 0 and pred.max() <= 1


def test_shipped_model_has_closure_head(utterance: np.ndarray) -> None:
    """The closure head only ever narrows the mouth, and does so somewhere in real-ish speech."""
    model = default_mouth_model()
    assert model.closure_coef is not None and model.closure_coef.shape == model.coef.shape
    assert model.closure_depth > 0
    feats = speech_features(AudioTrack(utterance, SR), fps=25.0)
    with_head = predict_opening(feats, model)
    without = predict_opening(feats, model, closures=False)
    assert (with_head <= without + 1e-12).all()
    assert (without - with_head).max() > 0.01


def test_closure_head_roundtrip_and_old_format(tmp_path) -> None:
    model = default_mouth_model()
    path = tmp_path / "m.npz"
    model.save(str(path))
    again = load_model_file(path)
    np.testing.assert_allclose(again.closure_coef, model.closure_coef, rtol=1e-6)
    assert again.closure_depth == pytest.approx(model.closure_depth)
    # A model file from before the closure head loads as a model without one.
    with np.load(path) as z:
        old = {k: z[k] for k in z.files if not k.startswith("closure")}
    np.savez(tmp_path / "old.npz", **old)
    bare = load_model_file(tmp_path / "old.npz")
    assert bare.closure_coef is None and bare.closure_depth == 0.0


def test_fit_logistic_recovers_probabilities() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4000, 3))
    true = np.array([2.0, -1.0, 0.0])
    y = (rng.random(4000) < 1 / (1 + np.exp(-(x @ true - 1.0)))).astype(float)
    coef, intercept = fit_logistic(x, y, alpha=1e-4)
    np.testing.assert_allclose(coef, true, atol=0.2)
    assert intercept == pytest.approx(-1.0, abs=0.2)


def phones_for(seconds: float, confidence: float = 0.9) -> PhoneTimeline:
    """sil, M (bilabial), AA, sil over ``seconds``."""
    segs = (
        PhoneSegment("SIL", 0.0, 0.5, "sil"), PhoneSegment("M", 0.5, 0.62, "PP"),
        PhoneSegment("AA", 0.62, 1.1, "aa"), PhoneSegment("SIL", 1.1, seconds, "sil"),
    )  # fmt: skip
    return PhoneTimeline(segs, confidence, "test")


def test_phone_frame_inputs_one_hot() -> None:
    x = phone_frame_inputs(phones_for(2.0), 50, 25.0)
    assert x.shape == (50, len(VISEMES))
    np.testing.assert_array_equal(x.sum(1), 1.0)
    labels = [VISEMES[i] for i in x.argmax(1)]
    # Frame i's centre (i + 0.5) / 25 s: frames 12-14 lie in M (0.5-0.62 s), 15-26 in AA.
    assert labels[11] == "sil" and labels[12:15] == ["PP"] * 3 and labels[15:27] == ["aa"] * 12
    assert labels[27] == "sil" and labels[-1] == "sil"
    assert not phone_frame_inputs(PhoneTimeline((), 0.9, "test"), 4, 25.0)[:, 1:].any()  # no segments: sil


def test_shipped_phone_model(utterance: np.ndarray) -> None:
    acoustic, model = default_mouth_model(), default_mouth_model(phones=True)
    assert model.phone_inputs and not acoustic.phone_inputs
    feats = speech_features(AudioTrack(utterance, SR), fps=25.0)
    phones = phones_for(utterance.size / SR)
    f = frame_inputs(feats, model.n_bands, phones).shape[1]
    assert f == frame_inputs(feats, model.n_bands).shape[1] + len(VISEMES)
    assert model.coef.shape == model.closure_coef.shape == ((2 * model.context + 1) * f,)
    z = predict_opening(feats, model, phones=phones)
    assert z.shape == (len(feats),) and np.isfinite(z).all()
    with pytest.raises(ValueError):
        predict_opening(feats, model)  # a phone model needs phones
    # The acoustic model ignores phones.
    np.testing.assert_array_equal(predict_opening(feats, acoustic, phones=phones), predict_opening(feats, acoustic))


def test_learned_path_uses_phone_model_when_phones_usable(utterance: np.ndarray) -> None:
    feats = speech_features(AudioTrack(utterance, SR), fps=25.0)
    sure, unsure = phones_for(utterance.size / SR), phones_for(utterance.size / SR, confidence=0.1)
    none = MotionConfig(path="learned", learned_closures="none")
    by_sure = speech_motion(feats, sure, none).weights
    by_unsure = speech_motion(feats, unsure, none).weights
    np.testing.assert_array_equal(by_unsure, speech_motion(feats, None, none).weights)
    assert not np.array_equal(by_sure, by_unsure)
    # The phone model given in the config is the one used.
    other = replace(default_mouth_model(phones=True), closure_depth=0.0)
    cfg = MotionConfig(path="learned", learned_closures="none", learned_phone_model=other)
    assert not np.array_equal(speech_motion(feats, sure, cfg).weights, by_sure)


def test_phone_model_roundtrip(tmp_path) -> None:
    acoustic, model = default_mouth_model(), default_mouth_model(phones=True)
    path = tmp_path / "m.npz"
    acoustic.save(str(path), model)
    again = load_model_file(path, phones=True)
    assert again.phone_inputs and again.context == model.context
    np.testing.assert_allclose(again.coef, model.coef, rtol=1e-6)
    assert not load_model_file(path).phone_inputs
    acoustic.save(str(path))
    with pytest.raises(KeyError):
        load_model_file(path, phones=True)
