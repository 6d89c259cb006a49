"""Speech motion: speech features (+ phones) → per-frame mouth and jaw blendshapes of neutral speech.

Two paths: viseme targets of the phone timeline blended with dominance-function coarticulation
(Cohen & Massaro 1993), or, language-agnostic, opening/rounding/spreading from loudness and formant
cues. Both scale the opening with loudness, relax to neutral in silence and close the lips at bilabials.
"""

from moodtalk.motion.config import MotionConfig
from moodtalk.motion.speech import speech_motion
from moodtalk.motion.targets import MOUTH_SHAPES, VISEME_TARGETS

__all__ = ["MOUTH_SHAPES", "VISEME_TARGETS", "MotionConfig", "speech_motion"]
