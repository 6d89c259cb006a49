"""Non-verbal behaviour: head pose, blinks, gaze and brow raises driven by speech timing.

``behaviour(features)`` returns a ``Behaviour`` with head rotation/translation relative to the
portrait's pose and a blendshape track that is zero except for eyeBlink*, eyeLook* and brow raises.

Model (knowledge-based, no learned weights):

* Head: second-order smooth noise (slow drift + faster sway, loudness-scaled) while talking; nods
  (pitch pulses) on stressed syllables, i.e. prominent loudness/pitch peaks in speech.
* Idle (the idle-state pose sampling of EmoGene, arXiv 2410.17262): in silences of at least
  ``idle_min_silence_s`` the head cross-fades into calm rest poses sampled from a low-amplitude
  model, joined by slow settle movements, with slow micro motion so it never freezes; no nods.
* Blinks: time-rescaled Poisson process with a refractory period, less likely mid-speech and
  most likely right after phrase ends; asymmetric lid profile (fast close, slower open).
* Gaze: fixations of 0.5–2 s joined by fast saccades, partial counter-rotation to the head.
"""

from __future__ import annotations

import numpy as np

from moodtalk.behaviour.config import Behaviour, BehaviourConfig
from moodtalk.behaviour.eyes import blinks, brow_raises, gaze
from moodtalk.behaviour.pose import head_pose, idle_mask, stress_peaks
from moodtalk.behaviour.signals import smooth_mask
from moodtalk.types import BLENDSHAPE_NAMES, BlendshapeTrack, SpeechFeatures

__all__ = ["Behaviour", "BehaviourConfig", "behaviour"]

_N_STREAMS = 7
"""Independent random streams (drift, idle, nods, sway, blinks, gaze, brows): changing how much one
component draws never changes the others."""
DEFAULT_CONFIG = BehaviourConfig()
"""The defaults (tuned on real clips, see benchmarks/bm_behaviour.py)."""
_COL = {name: i for i, name in enumerate(BLENDSHAPE_NAMES)}


def behaviour(features: SpeechFeatures, config: BehaviourConfig = DEFAULT_CONFIG, seed: int = 0) -> Behaviour:
    """Head pose, blinks, gaze and brow raises for every frame of ``features``.

    Args:
        features: speech descriptors at the video frame rate, T frames (T may be 0).
        config: model settings (``pose="still"`` keeps the head at the portrait's pose).
        seed: the same seed gives identical output.

    Returns:
        ``Behaviour`` with head_rotation (T, 3) degrees, head_translation (T, 3) IOD units and
        blendshapes (T, len(BLENDSHAPE_NAMES)) float32 at ``features.fps``.

    Raises:
        ValueError: unknown ``config.pose`` or a malformed ``config.reference_rotation``.
    """
    n, fps = len(features), float(features.fps)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(_N_STREAMS)]

    idle = idle_mask(features, config)
    idle_weight = smooth_mask(idle, int(round(config.idle_ramp_s * fps)))
    peaks, prominence = stress_peaks(features, config)
    rotation, translation = head_pose(features, config, rngs[:4], idle, idle_weight, peaks, prominence)

    weights = np.zeros((n, len(BLENDSHAPE_NAMES)), np.float32)
    lids = blinks(features, config, rngs[4])
    weights[:, _COL["eyeBlinkLeft"]] = lids[:, 0]
    weights[:, _COL["eyeBlinkRight"]] = lids[:, 1]

    look = gaze(features, config, rngs[5], rotation) / config.gaze_deg_per_unit
    left, right, up, down = (np.clip(v, 0.0, 1.0) for v in (look[:, 0], -look[:, 0], look[:, 1], -look[:, 1]))
    # Looking to the subject's left: the left eye turns out, the right eye turns in.
    for name, value in (
        ("eyeLookOutLeft", left), ("eyeLookInRight", left), ("eyeLookInLeft", right), ("eyeLookOutRight", right),
        ("eyeLookUpLeft", up), ("eyeLookUpRight", up), ("eyeLookDownLeft", down), ("eyeLookDownRight", down),
    ):  # fmt: skip
        weights[:, _COL[name]] = value

    brows = brow_raises(n, fps, config, rngs[6], peaks)
    for name in ("browInnerUp", "browOuterUpLeft", "browOuterUpRight"):
        weights[:, _COL[name]] = brows

    return Behaviour(
        head_rotation=rotation.astype(np.float32),
        head_translation=translation.astype(np.float32),
        blendshapes=BlendshapeTrack(weights=weights, names=BLENDSHAPE_NAMES, fps=fps),
    )
