"""apply_emotion: emotion over neutral speech, lips left to speech, and transfer from a reference face."""

from __future__ import annotations

import numpy as np
import pytest

from moodtalk.emotion import EmotionConfig, apply_emotion, emotion_from_face, emotion_track, keyframe_track
from moodtalk.emotion.space import default_space, posed_targets
from moodtalk.emotion.transfer import TRANSFER_SHAPES
from moodtalk.types import BLENDSHAPE_NAMES, EMOTIONS, BlendshapeTrack, MotionTrack
from tests.helpers import shared_file

FPS = 25.0
T = 120
IDX = {n: i for i, n in enumerate(BLENDSHAPE_NAMES)}
BILABIAL = np.arange(5, T, 12)  # frames where speech seals the lips


def speech_motion(seed: int = 0) -> MotionTrack:
    """Synthetic neutral speech: a jaw oscillating like syllables, a bilabial every 12 frames, blinks."""
    rng = np.random.default_rng(seed)
    w = np.zeros((T, len(BLENDSHAPE_NAMES)), np.float32)
    jaw = 0.15 + 0.15 * np.sin(np.arange(T) / 2.0) + 0.02 * rng.standard_normal(T)
    w[:, IDX["jawOpen"]] = np.clip(jaw, 0, 1)
    w[:, IDX["mouthLowerDownLeft"]] = w[:, IDX["mouthLowerDownRight"]] = 0.3 * w[:, IDX["jawOpen"]]
    w[:, IDX["mouthStretchLeft"]] = w[:, IDX["mouthStretchRight"]] = 0.1
    # Bilabial: tiny jaw drop cancelled by mouthClose plus lip press (moodtalk.motion.targets "PP").
    for col, value in (("jawOpen", 0.04), ("mouthClose", 0.045), ("mouthPressLeft", 0.35),
                       ("mouthPressRight", 0.35), ("mouthLowerDownLeft", 0.0), ("mouthLowerDownRight", 0.0),
                       ("mouthStretchLeft", 0.0), ("mouthStretchRight", 0.0)):  # fmt: skip
        w[BILABIAL, IDX[col]] = value
    w[30:33, IDX["eyeBlinkLeft"]] = w[30:33, IDX["eyeBlinkRight"]] = 0.9
    w[:, IDX["eyeLookInLeft"]] = 0.2
    zeros = np.zeros((T, 3), np.float32)
    return MotionTrack(BlendshapeTrack(w, BLENDSHAPE_NAMES, FPS), zeros + 1.0, zeros)


def weights(motion: MotionTrack, name: str) -> np.ndarray:
    return motion.blendshapes.column(name)


def test_happy_smiles_and_angry_frowns() -> None:
    m = speech_motion()
    happy = apply_emotion(m, emotion_track("happy", T, FPS))
    angry = apply_emotion(m, emotion_track("angry", T, FPS))
    for side in ("Left", "Right"):
        assert weights(happy, f"mouthSmile{side}").mean() > 0.3
        assert weights(angry, f"browDown{side}").mean() > 0.3
        assert weights(happy, f"browDown{side}").mean() < 0.1
    assert np.array_equal(happy.head_rotation, m.head_rotation)


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_bilabials_stay_closed_under_every_emotion(emotion: str) -> None:
    m = speech_motion()
    out = apply_emotion(m, emotion_track(emotion, T, FPS, intensity=1.5)).blendshapes.weights
    base = m.blendshapes.weights
    for col in ("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthStretchLeft",
                "mouthClose", "mouthPucker", "mouthFunnel"):  # fmt: skip
        assert np.allclose(out[BILABIAL, IDX[col]], base[BILABIAL, IDX[col]], atol=1e-6), col
    # Lip shapes that speech owns never change anywhere.
    for col in ("mouthClose", "mouthPucker", "mouthFunnel", "mouthRollLower", "jawLeft"):
        assert np.allclose(out[:, IDX[col]], base[:, IDX[col]])


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_blinks_and_gaze_untouched(emotion: str) -> None:
    m = speech_motion()
    out = apply_emotion(m, emotion_track(emotion, T, FPS)).blendshapes.weights
    for col in ("eyeBlinkLeft", "eyeBlinkRight", "eyeLookInLeft", "eyeLookUpRight"):
        assert np.array_equal(out[:, IDX[col]], m.blendshapes.weights[:, IDX[col]])


def test_intensity_zero_is_identity() -> None:
    m = speech_motion()
    for e in EMOTIONS:
        out = apply_emotion(m, emotion_track(e, T, FPS, intensity=0.0))
        assert np.array_equal(out.blendshapes.weights, m.blendshapes.weights)


@pytest.mark.parametrize("emotion", [e for e in EMOTIONS if e != "neutral"])
def test_monotone_in_intensity(emotion: str) -> None:
    m = speech_motion()
    space = default_space()
    # The intensity-1 offset: the posed prototype where it names a shape (it may flip a subtle data sign,
    # e.g. disgust's inner brow), the measured direction elsewhere.
    posed, given = posed_targets()
    z = EMOTIONS.index(emotion)
    d = np.where(given[z], posed[z], space.directions[z])
    outs = [apply_emotion(m, emotion_track(emotion, T, FPS, intensity=i)).blendshapes.weights
            for i in (0.0, 0.25, 0.5, 1.0, 1.5)]  # fmt: skip
    up, down = d > 0.05, d < -0.05
    for a, b in zip(outs, outs[1:], strict=False):
        assert np.all(b[:, up] >= a[:, up] - 1e-6)
        assert np.all(b[:, down] <= a[:, down] + 1e-6)
    change = [np.abs(o - outs[0]).sum() for o in outs]
    assert np.all(np.diff(change) > 0)


def test_refinement_reaches_the_target_side() -> None:
    m = speech_motion()
    space = default_space()
    for e in range(1, len(EMOTIONS)):
        out = apply_emotion(m, emotion_track(EMOTIONS[e], T, FPS)).blendshapes.weights
        scores = space.decision(out)
        open_frames = np.setdiff1d(np.arange(T), BILABIAL)
        assert np.median(scores[open_frames, e]) > 0, EMOTIONS[e]
    plain = apply_emotion(m, emotion_track("contempt", T, FPS), config=EmotionConfig(refine=False))
    refined = apply_emotion(m, emotion_track("contempt", T, FPS))
    c = EMOTIONS.index("contempt")
    assert (
        space.decision(refined.blendshapes.weights)[:, c].mean()
        >= space.decision(plain.blendshapes.weights)[:, c].mean()
    )


def test_transition_between_emotions_is_continuous() -> None:
    m = speech_motion()
    track = keyframe_track("happy@0 sad@4", T, FPS)
    out = apply_emotion(m, track).blendshapes.weights
    smile = out[:, IDX["mouthSmileLeft"]]
    frown = out[:, IDX["mouthFrownLeft"]]
    assert smile[0] > 0.3 and smile[-1] < 0.1 and frown[-1] > 0.3
    assert np.abs(np.diff(smile)).max() < 0.05  # no jumps between frames


def test_mismatched_lengths_fail() -> None:
    with pytest.raises(ValueError, match="frames"):
        apply_emotion(speech_motion(), emotion_track("happy", T - 1, FPS))


def test_partial_motion_names() -> None:
    m = speech_motion()
    names = ("jawOpen", "mouthSmileLeft", "browDownLeft")
    part = MotionTrack(BlendshapeTrack(m.blendshapes.weights[:, [IDX[n] for n in names]], names, FPS),
                       m.head_rotation, m.head_translation)  # fmt: skip
    out = apply_emotion(part, emotion_track("happy", T, FPS))
    assert out.blendshapes.names == names and weights(out, "mouthSmileLeft").mean() > 0.3


def test_transfer_from_a_reference_face() -> None:
    space = default_space()
    for e in range(1, len(EMOTIONS)):
        ref = np.clip(space.rest + space.directions[e], 0, 1)[None]  # an image showing emotion e
        ref[0, IDX["jawOpen"]] = 0.8  # its lips must not matter
        track, offsets = emotion_from_face(ref)
        assert len(track) == 1
        assert int(track.weights[0].argmax()) == e, EMOTIONS[e]
        assert 0.3 < track.intensity[0] <= 1.5
        assert offsets[0, IDX["jawOpen"]] == 0 and offsets[0, IDX["eyeBlinkLeft"]] == 0
        keep = [IDX[n] for n in TRANSFER_SHAPES]
        assert np.allclose(offsets[0, keep], ref[0, keep])
    neutral, _ = emotion_from_face(space.rest[None])
    assert neutral.weights[0].argmax() == 0


@pytest.mark.real
def test_transfer_reads_emotion_from_real_video() -> None:
    from moodtalk.face import analyze_face
    from moodtalk.video import iter_frames

    path = shared_file("emotion_video/dreamtalk__W009_front_happy_level3_001.mp4")
    a = analyze_face(iter_frames(path, fps=FPS))
    track, _ = emotion_from_face(a.blendshapes.weights, FPS)
    assert EMOTIONS[int(track.weights.mean(0).argmax())] == "happy"


def test_intensity_one_is_the_posed_prototype() -> None:
    """Intensity 1 reaches the posed FACS values (not MEAD's subtle level 3); a surprised face opens its jaw
    wider on every syllable, yet a bilabial still closes and a pause stays at rest."""
    from moodtalk.emotion.space import POSED_PROTOTYPES

    m = speech_motion()
    w = m.blendshapes.weights.copy()
    w[60:70] = 0.0  # a pause: mouth at rest
    w[64, IDX["jawOpen"]], w[64, IDX["mouthClose"]] = 0.04, 0.045  # a bilabial inside it
    w[64, IDX["mouthPressLeft"]] = w[64, IDX["mouthPressRight"]] = 0.35
    m = MotionTrack(BlendshapeTrack(w, BLENDSHAPE_NAMES, FPS), m.head_rotation, m.head_translation)
    surprised = apply_emotion(m, emotion_track("surprised", T, FPS)).blendshapes.weights
    talking = np.setdiff1d(np.arange(60), BILABIAL)
    gain = 1.0 + EmotionConfig().jaw_gain * POSED_PROTOTYPES["surprised"]["jawOpen"]
    np.testing.assert_allclose(surprised[talking, IDX["jawOpen"]],
                               np.minimum(w[talking, IDX["jawOpen"]] * gain, 1.0), rtol=0.02)  # fmt: skip
    assert surprised[64, IDX["jawOpen"]] == pytest.approx(0.04)
    assert surprised[61, IDX["jawOpen"]] == 0.0
    assert surprised[61, IDX["eyeWideLeft"]] >= 0.8 and surprised[61, IDX["browOuterUpRight"]] >= 0.8
    happy = apply_emotion(m, emotion_track("happy", T, FPS)).blendshapes.weights
    assert happy[:, IDX["mouthSmileLeft"]].min() >= 0.9
    half = apply_emotion(m, emotion_track("happy", T, FPS, intensity=0.5)).blendshapes.weights
    assert np.all(half[:, IDX["mouthSmileLeft"]] < happy[:, IDX["mouthSmileLeft"]] + 1e-6)


def test_disgust_bares_the_upper_teeth_without_a_smile_and_still_seals() -> None:
    """Disgust at intensity 1 raises the upper lip fully with the corners pulled down (a raised lip over
    lifted corners reads as a smile), and the raise fades out where speech seals the lips."""
    m = speech_motion()
    w = apply_emotion(m, emotion_track("disgusted", T, FPS)).blendshapes.weights
    talking = np.setdiff1d(np.arange(T), BILABIAL)
    assert w[talking, IDX["mouthUpperUpLeft"]].min() >= 0.9
    assert w[:, IDX["mouthFrownRight"]].min() >= 0.9 and w[:, IDX["mouthSmileRight"]].max() <= 0.05
    assert w[BILABIAL, IDX["mouthUpperUpLeft"]].max() <= 0.05
