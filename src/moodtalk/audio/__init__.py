"""Speech analysis: frame-rate acoustic features, English phones and their visemes."""

from moodtalk.audio.features import SPECTRAL_NAMES, FeatureConfig, frame_count, speech_features
from moodtalk.audio.phones import recognize_phones
from moodtalk.audio.visemes import PHONE_TO_VISEME, VISEMES, phone_to_viseme, viseme_frames, viseme_one_hot

__all__ = [
    "PHONE_TO_VISEME",
    "SPECTRAL_NAMES",
    "VISEMES",
    "FeatureConfig",
    "frame_count",
    "phone_to_viseme",
    "recognize_phones",
    "speech_features",
    "viseme_frames",
    "viseme_one_hot",
]
