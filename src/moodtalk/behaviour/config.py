"""Settings and result record of the behaviour stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from moodtalk.types import BlendshapeTrack


@dataclass(frozen=True)
class BehaviourConfig:
    """How the head, lids, eyes and brows move besides speech articulation.

    Defaults are tuned so that head-pose and blink statistics of generated tracks fall inside
    the range measured on real talking clips (``benchmarks/bm_behaviour.py``).
    """

    pose: Literal["still", "natural"] = "natural"
    """"natural": stochastic head motion tied to speech; "still": head rotation and translation
    stay exactly zero (the portrait's own pose) while blinks and gaze still move."""
    reference_rotation: np.ndarray | None = None
    """Optional (T', 3) yaw/pitch/roll in degrees (e.g. tracked from a driving video, relative to
    its first frame). When given it replaces the stochastic head rotation in any ``pose`` mode: it
    is played forwards then backwards ("ping-pong", so there is never a jump) as often as needed
    to cover the T frames; head translation is then derived from it."""
    yaw_std_deg: float = 4.0
    """Standard deviation of the slow head-yaw drift while talking, degrees."""
    pitch_std_deg: float = 2.3
    """Standard deviation of the slow head-pitch drift while talking, degrees (nods come on top)."""
    roll_std_deg: float = 2.2
    """Standard deviation of the slow head-roll drift while talking, degrees."""
    drift_time_s: float = 1.2
    """Time constant of the slow drift (each stage of its second-order low-pass), seconds."""
    sway_fraction: float = 0.6
    """Share (of the standard deviation) of a faster sway component with time constant
    ``drift_time_s / 4`` that keeps the talking head lively."""
    intensity_variation: float = 0.35
    """Log-std of a slow random gain on talking motion: calm stretches and livelier bursts, as in real talk."""
    loudness_gain: float = 0.4
    """How much louder passages enlarge talking motion: gain 1 ± this/2 over the clip's loudness range."""
    nod_deg: tuple[float, float] = (1.5, 4.0)
    """Range of nod amplitudes (pitch pulse, chin down then back), degrees."""
    nod_duration_s: float = 0.34
    """Duration of one nod pulse, seconds (raised cosine)."""
    nod_min_gap_s: float = 0.6
    """Minimum time between two nods, seconds."""
    nod_probability: float = 0.4
    """Chance that a detected stressed syllable gets a nod."""
    stress_prominence_db: float = 4.0
    """A loudness/pitch peak in speech must stand out by this much (dB-like units) to count as stressed."""
    brow_raise: float = 0.057
    """Peak browInnerUp/browOuterUp weight added on stressed syllables (0 turns brows off)."""
    idle_min_silence_s: float = 0.5
    """Silences at least this long switch to the idle mode (shorter ones are breaths inside a phrase)."""
    idle_ramp_s: float = 0.3
    """Duration of the cosine cross-fade between talking and idle motion, seconds."""
    idle_amplitude: float = 0.5
    """Spread of idle rest poses relative to the talking drift (idle heads sit calmer)."""
    idle_micro_deg: float = 0.8
    """Standard deviation of the slow micro motion kept during idle so the head never freezes, degrees."""
    idle_settle_s: tuple[float, float] = (2.0, 5.0)
    """Range of time between small "settle" movements to a new idle rest pose, seconds."""
    blink_rate_per_min: float = 15.0
    """Average blinks per minute over the clip (people blink 10–20 times a minute)."""
    blink_refractory_s: float = 1.5
    """No two blinks start closer than this, seconds."""
    blink_speech_factor: float = 0.35
    """Relative blink likelihood inside speech (blinks are suppressed mid-word)."""
    blink_pause_factor: float = 1.6
    """Relative blink likelihood in silences (1.0 = neutral)."""
    blink_boundary_factor: float = 3.0
    """Relative blink likelihood just after a phrase ends (people blink at phrase boundaries)."""
    blink_close_s: float = 0.1
    """Lid closing time, seconds."""
    blink_open_s: float = 0.18
    """Lid opening time, seconds (slower than closing)."""
    gaze_fixation_s: tuple[float, float] = (0.5, 2.0)
    """Range of fixation durations between gaze shifts, seconds."""
    gaze_std_deg: tuple[float, float] = (2.5, 1.5)
    """Horizontal and vertical spread of fixation targets, degrees."""
    gaze_deg_per_unit: float = 25.0
    """Eye rotation in degrees that corresponds to an eyeLook* weight of 1."""
    vor_gain: float = 0.3
    """Eye counter-rotation per degree of head yaw/pitch (vestibulo-ocular reflex, partial)."""
    translation_per_deg: float = 0.006
    """Head translation (IOD units) per degree of rotation (heads turn and nod about the neck)."""
    sway_iod: float = 0.015
    """Standard deviation of a slow independent torso sway in head translation, IOD units."""


@dataclass(frozen=True)
class Behaviour:
    """Non-verbal motion for T frames: head pose relative to the portrait, blinks, gaze, brow raises."""

    head_rotation: np.ndarray
    """(T, 3) float32 yaw, pitch, roll in degrees (MotionTrack conventions)."""
    head_translation: np.ndarray
    """(T, 3) float32 offset in IOD units (x right, y down, z away)."""
    blendshapes: BlendshapeTrack
    """(T, K) over ``BLENDSHAPE_NAMES``; nonzero only for eyeBlink*, eyeLook* and browInnerUp/browOuterUp*."""

    def __post_init__(self) -> None:
        t = len(self.blendshapes)
        if self.head_rotation.shape != (t, 3) or self.head_translation.shape != (t, 3):
            raise ValueError(f"Behaviour head_rotation and head_translation must be ({t}, 3)")

    def __len__(self) -> int:
        return len(self.blendshapes)
