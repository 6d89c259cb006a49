"""Emotion stage: emotion specs → ``EmotionTrack``; ``EmotionTrack`` + neutral speech motion → emotional motion.

Public entry point: :func:`apply_emotion` (EmoGene-style deformation of neutral motion along emotion
directions, refined with EmoHead's hyperplanes, lips left to speech). Emotion tracks come from
:func:`emotion_track` (label, keyframes, CSV curve, intensity curve) or from a reference face
(:func:`emotion_from_face`). The space itself (directions, hyperplanes) is ``space.default_space()``.
"""

from moodtalk.emotion.apply import EmotionConfig, apply_emotion
from moodtalk.emotion.prosody import emotion_from_speech, intensity_from_speech
from moodtalk.emotion.space import EmotionSpace, default_space
from moodtalk.emotion.text import emotion_from_text
from moodtalk.emotion.track import (
    EMOTION_SYNONYMS,
    MAX_INTENSITY,
    constant_track,
    csv_track,
    emotion_track,
    keyframe_track,
    normalize_emotion,
    with_intensity,
)
from moodtalk.emotion.transfer import emotion_from_face

__all__ = [
    "EMOTION_SYNONYMS",
    "MAX_INTENSITY",
    "EmotionConfig",
    "EmotionSpace",
    "apply_emotion",
    "constant_track",
    "csv_track",
    "default_space",
    "emotion_from_face",
    "emotion_from_speech",
    "emotion_from_text",
    "emotion_track",
    "intensity_from_speech",
    "keyframe_track",
    "normalize_emotion",
    "with_intensity",
]
