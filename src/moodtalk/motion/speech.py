"""``speech_motion``: speech features (+ phones) → per-frame mouth and jaw blendshapes."""

from __future__ import annotations

import numpy as np

from moodtalk.motion.acoustic import acoustic_mouth, closure_dips
from moodtalk.motion.coarticulation import blend_visemes, closure_frames
from moodtalk.motion.config import MotionConfig
from moodtalk.motion.learned import default_mouth_model, predict_shapes
from moodtalk.motion.signal import loudness_factor, speech_gate
from moodtalk.motion.targets import MOUTH_INDEX, MOUTH_SHAPES, OPENING_SHAPES, VISEMES, shape_mask, target_matrix
from moodtalk.types import BLENDSHAPE_NAMES, BlendshapeTrack, PhoneTimeline, SpeechFeatures

DEFAULT_CONFIG = MotionConfig()
"""Settings used when none are given."""
SILENT_GATE = 0.05
"""Speech-gate value below which a frame counts as silence (no closure pose is forced there)."""


PATHS = ("auto", "learned", "phonemes", "acoustic")
"""Values of ``MotionConfig.path``."""


def phones_usable(phones: PhoneTimeline | None, config: MotionConfig) -> bool:
    """Whether the phone timeline is confident enough to drive visemes or force closures."""
    return phones is not None and len(phones.segments) > 0 and phones.confidence >= config.min_phone_confidence


def choose_path(phones: PhoneTimeline | None, config: MotionConfig) -> str:
    """The path a config resolves to: "learned", "phonemes" or "acoustic".

    "auto" takes the learned path, which uses the phone model (acoustic + viseme inputs) when confident
    phones are given and the acoustic-only model otherwise. On 24 real clips (``benchmarks/bm_lipsync.py``,
    leave-one-speaker-out) the learned model with phones reaches median r 0.51 (closure recall 1.00),
    without phones r 0.47 (recall 1.00; no phone recognition, any language, ~2000x real time), the
    phoneme path r 0.47 (recall 0.60), the acoustic rules r 0.38."""
    if config.path != "auto":
        if config.path == "phonemes" and phones is None:
            return "acoustic"  # nothing to drive the phoneme path
        return config.path
    return "learned"


def learned_mouth(
    features: SpeechFeatures, phones: PhoneTimeline | None, config: MotionConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Learned path: (T, len(MOUTH_SHAPES)) regressed weights and (T,) bool frames to close the lips at.

    The phone model (``config.learned_phone_model`` or the shipped one) when the phones are usable
    (``phones_usable``), else the acoustic model (``config.learned_model`` or the shipped one)."""
    n = len(features)
    use_phones = phones_usable(phones, config)
    model = config.learned_phone_model if use_phones else config.learned_model
    if model is None:
        model = default_mouth_model(phones=use_phones)
    pred = predict_shapes(features, model, phones=phones)  # an acoustic model ignores them
    mouth = np.zeros((n, len(MOUTH_SHAPES)))
    for k, name in enumerate(model.shapes):
        if name in MOUTH_SHAPES:
            mouth[:, MOUTH_SHAPES.index(name)] = pred[:, k]
    closed = np.zeros(n, dtype=bool)
    if config.learned_closures in ("both", "phones") and phones_usable(phones, config):
        assert phones is not None
        closed |= closure_frames(phones, n, features.fps, config.lead_s)
    if config.learned_closures in ("both", "dips"):
        closed |= closure_dips(features, config)
    return mouth, closed


def speech_motion(
    features: SpeechFeatures, phones: PhoneTimeline | None, config: MotionConfig = DEFAULT_CONFIG
) -> BlendshapeTrack:
    """Mouth and jaw motion of neutral speech.

    Args:
        features: speech descriptors at the output frame rate (T frames).
        phones: recognised or aligned phones with viseme names, or None (acoustic path).
        config: which path, coarticulation, loudness and smoothing settings.

    Returns:
        (T, 51) float32 weights in [0, 1] over ``BLENDSHAPE_NAMES`` at ``features.fps``; only the mouth
        shapes (``MOUTH_SHAPES``) are ever nonzero, and all of them are 0 in silence.

    Raises:
        ValueError: ``config.path`` is not one of "auto", "learned", "phonemes", "acoustic".
    """
    if config.path not in PATHS:
        raise ValueError(f"MotionConfig.path must be one of {', '.join(PATHS)}, got {config.path!r}")
    fps = float(features.fps)
    n = len(features)
    speech = np.asarray(features.speech, dtype=bool)
    closure_target = target_matrix()[VISEMES.index("PP")]
    opening = shape_mask(OPENING_SHAPES)

    path = choose_path(phones, config)
    if path == "learned":
        mouth, closed = learned_mouth(features, phones, config)
    elif path == "phonemes":
        assert phones is not None
        mouth = blend_visemes(phones, n, fps, config)
        # Jaw follows loudness: a shouted vowel opens wider than a murmured one (PP stays closed: its
        # mouthClose scales with its jawOpen).
        gain = loudness_factor(
            features.rms, speech, fps, config.loudness_base, config.loudness_slope,
            config.loudness_range_db, config.loudness_smooth_s,
        )  # fmt: skip
        mouth[:, opening] *= gain[:, None]
        closed = closure_frames(phones, n, fps, config.lead_s)
    else:
        mouth, closed = acoustic_mouth(features, config)
    mouth[:, opening] *= config.jaw_gain
    gate = speech_gate(speech, config.silence_release_s, fps)
    mouth *= gate[:, None]
    # Hard override: the lips meet at every closure centre, whatever the neighbours pulled towards
    # (outside speech the relaxed mouth is already closed, and silence stays exactly neutral).
    mouth[closed & (gate > SILENT_GATE)] = closure_target
    mouth = np.clip(np.nan_to_num(mouth, nan=0.0, posinf=0.0, neginf=0.0), 0.0, 1.0)
    weights = np.zeros((n, len(BLENDSHAPE_NAMES)), dtype=np.float32)
    weights[:, MOUTH_INDEX] = mouth
    return BlendshapeTrack(weights=weights, names=BLENDSHAPE_NAMES, fps=fps)
