"""Typed records shared by every stage.

Stages never import each other: they exchange only these frozen dataclasses. Every array
field documents its shape and unit; ``__post_init__`` validates them so a wrong shape fails
where it is made, not three stages later.

Conventions
-----------
* Time first: ``T`` frames at ``fps`` frames per second; frame ``i`` is at ``i / fps`` s.
* Images are RGB ``uint8`` ``(H, W, 3)``.
* Landmarks follow MediaPipe FaceMesh with iris refinement: ``N_LANDMARKS = 478`` points.
  Image-space landmarks are in pixels: x right, y down, z depth (MediaPipe's relative depth,
  scaled like x, smaller = closer to the camera). This frame is right-handed.
* Canonical space (pose-free) uses the same axes, centred on the face and scaled so that the
  distance between the two eye centres is 1.0 ("IOD units").
* Head pose maps canonical to image space by a similarity transform
  ``x_img = scale * R @ x_can + t`` (Umeyama / similarity Procrustes).
* Left/Right in blendshape names are the subject's own (ARKit convention): ``eyeBlinkLeft``
  is the eye on the image's right side in a non-mirrored frontal photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

N_LANDMARKS = 478
"""MediaPipe FaceMesh points: 468 mesh points + 2 x 5 iris points (refine_landmarks=True)."""

DEFAULT_FPS = 25.0
"""Analysis and output frame rate unless the user asks for another."""

# ARKit's 52 face blendshapes (Apple ARFaceAnchor.BlendShapeLocation) without tongueOut,
# which no landmark tracker can observe. Order is the CSV column order.
BLENDSHAPE_NAMES: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft",
    "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
    "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight",
    "jawForward", "jawLeft", "jawOpen", "jawRight",
    "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft",
    "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper",
    "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)  # fmt: skip

POSE_COLUMNS: tuple[str, ...] = ("headYaw", "headPitch", "headRoll", "headX", "headY", "headScale")
"""Pose columns written after the blendshapes: yaw/pitch/roll in degrees (intrinsic Y-X-Z),
x/y position of the face centre as a fraction of image width/height, and scale as the eye
distance in pixels divided by the image width."""


def _check(cond: bool, what: str) -> None:
    if not cond:
        raise ValueError(what)


def _check_fps(fps: float) -> None:
    _check(np.isfinite(fps) and fps > 0, f"fps must be a positive number, got {fps!r}")


@dataclass(frozen=True)
class VideoInfo:
    """What a media file holds, read from its container."""

    path: Path
    """The file."""
    width: int
    """Frame width in pixels (0 when there is no video stream)."""
    height: int
    """Frame height in pixels (0 when there is no video stream)."""
    fps: float
    """Average frame rate of the video stream (0 when there is none)."""
    n_frames: int
    """Number of decoded frames (estimated from duration when the container does not say)."""
    duration: float
    """Duration in seconds."""
    has_video: bool
    """Whether a video stream is present."""
    has_audio: bool
    """Whether an audio stream is present."""


@dataclass(frozen=True)
class Frames:
    """A clip of RGB frames at a fixed rate."""

    images: np.ndarray
    """(T, H, W, 3) uint8 RGB."""
    fps: float
    """Frames per second."""

    def __post_init__(self) -> None:
        _check_fps(self.fps)
        a = self.images
        _check(a.ndim == 4 and a.shape[-1] == 3, f"Frames.images must be (T, H, W, 3), got {a.shape}")
        _check(a.dtype == np.uint8, f"Frames.images must be uint8, got {a.dtype}")

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.images.shape[2]), int(self.images.shape[1])


@dataclass(frozen=True)
class AudioTrack:
    """Mono audio samples."""

    samples: np.ndarray
    """(N,) float32 in [-1, 1]."""
    sample_rate: int
    """Samples per second."""

    def __post_init__(self) -> None:
        _check(self.sample_rate > 0, f"sample_rate must be positive, got {self.sample_rate}")
        _check(self.samples.ndim == 1, f"AudioTrack.samples must be (N,), got {self.samples.shape}")
        _check(self.samples.dtype == np.float32, f"AudioTrack.samples must be float32, got {self.samples.dtype}")

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.shape[0] / self.sample_rate


@dataclass(frozen=True)
class LandmarkTrack:
    """Tracked face landmarks per frame, in image pixels."""

    points: np.ndarray
    """(T, 478, 3) float32 pixels (x right, y down, z depth scaled like x). NaN where not tracked."""
    valid: np.ndarray
    """(T,) bool: a face was found in that frame."""
    image_size: tuple[int, int]
    """(width, height) of the frames the points refer to."""
    fps: float
    """Frames per second."""

    def __post_init__(self) -> None:
        _check_fps(self.fps)
        p = self.points
        _check(
            p.ndim == 3 and p.shape[1:] == (N_LANDMARKS, 3), f"LandmarkTrack.points must be (T, 478, 3), got {p.shape}"
        )
        _check(
            self.valid.shape == (p.shape[0],), f"LandmarkTrack.valid must be ({p.shape[0]},), got {self.valid.shape}"
        )

    def __len__(self) -> int:
        return int(self.points.shape[0])


@dataclass(frozen=True)
class PoseTrack:
    """Rigid head pose per frame: ``x_img = scale * rotation @ x_can + translation``."""

    rotation: np.ndarray
    """(T, 3, 3) float rotation matrices (det +1)."""
    translation: np.ndarray
    """(T, 3) float, pixels."""
    scale: np.ndarray
    """(T,) float, pixels per canonical unit (= eye distance in pixels)."""
    image_size: tuple[int, int]
    """(width, height) of the frames the pose refers to."""
    fps: float
    """Frames per second."""

    def __post_init__(self) -> None:
        _check_fps(self.fps)
        t = self.rotation.shape[0]
        _check(self.rotation.shape == (t, 3, 3), f"PoseTrack.rotation must be (T, 3, 3), got {self.rotation.shape}")
        _check(
            self.translation.shape == (t, 3), f"PoseTrack.translation must be ({t}, 3), got {self.translation.shape}"
        )
        _check(self.scale.shape == (t,), f"PoseTrack.scale must be ({t},), got {self.scale.shape}")

    def __len__(self) -> int:
        return int(self.rotation.shape[0])


@dataclass(frozen=True)
class BlendshapeTrack:
    """Per-frame blendshape weights with their names."""

    weights: np.ndarray
    """(T, K) float32 in [0, 1]."""
    names: tuple[str, ...]
    """K names, ARKit style (see ``BLENDSHAPE_NAMES``)."""
    fps: float
    """Frames per second."""

    def __post_init__(self) -> None:
        _check_fps(self.fps)
        w = self.weights
        _check(w.ndim == 2 and w.shape[1] == len(self.names),
               f"BlendshapeTrack.weights must be (T, {len(self.names)}), got {w.shape}")  # fmt: skip
        _check(len(set(self.names)) == len(self.names), "BlendshapeTrack.names must be unique")

    def __len__(self) -> int:
        return int(self.weights.shape[0])

    def column(self, name: str) -> np.ndarray:
        """(T,) weights of one blendshape by name."""
        if name not in self.names:
            raise KeyError(f"no blendshape named {name!r}; known: {', '.join(self.names)}")
        return self.weights[:, self.names.index(name)]


@dataclass(frozen=True)
class FaceAnalysis:
    """What the face stage measures on an image or a video."""

    landmarks: LandmarkTrack
    """Tracked (smoothed) landmarks in image pixels."""
    pose: PoseTrack
    """Head pose per frame (canonical → image)."""
    canonical_points: np.ndarray
    """(T, 478, 3) float32 pose-free landmarks in canonical IOD units."""
    identity: np.ndarray
    """(478, 3) float32 this person's neutral face in canonical units (blendshape-free part)."""
    blendshapes: BlendshapeTrack
    """Solved expression weights per frame."""
    residual: np.ndarray
    """(T,) float32 mean distance between solved and tracked canonical points, in IOD units."""
    notes: tuple[str, ...] = field(default=())
    """Warnings for the user (several faces, untracked frame ranges, ...)."""

    def __post_init__(self) -> None:
        t = len(self.landmarks)
        _check(len(self.pose) == t and len(self.blendshapes) == t, "FaceAnalysis tracks must share one length")
        _check(self.canonical_points.shape == (t, N_LANDMARKS, 3), "canonical_points must be (T, 478, 3)")
        _check(self.identity.shape == (N_LANDMARKS, 3), "identity must be (478, 3)")
        _check(self.residual.shape == (t,), "residual must be (T,)")


@dataclass(frozen=True)
class SpeechFeatures:
    """Speech descriptors sampled at the video frame rate (frame i covers [i/fps, (i+1)/fps))."""

    mel: np.ndarray
    """(T, M) float32 log-mel energies in dB."""
    rms: np.ndarray
    """(T,) float32 RMS energy in dBFS."""
    f0: np.ndarray
    """(T,) float32 fundamental frequency in Hz, NaN where unvoiced."""
    voiced: np.ndarray
    """(T,) bool: the frame has a pitch."""
    speech: np.ndarray
    """(T,) bool: voice activity (speech, voiced or not) as opposed to silence/noise."""
    spectral: np.ndarray
    """(T, S) float32 extra spectral cues, one column per name in ``spectral_names``."""
    spectral_names: tuple[str, ...]
    """S names of the ``spectral`` columns (e.g. centroid_hz, flatness, ...)."""
    fps: float
    """Frames per second."""

    def __post_init__(self) -> None:
        _check_fps(self.fps)
        t = self.rms.shape[0]
        for name in ("f0", "voiced", "speech"):
            _check(getattr(self, name).shape == (t,), f"SpeechFeatures.{name} must be ({t},)")
        _check(self.mel.ndim == 2 and self.mel.shape[0] == t, f"SpeechFeatures.mel must be ({t}, M)")
        _check(self.spectral.shape == (t, len(self.spectral_names)), "SpeechFeatures.spectral must be (T, S)")

    def __len__(self) -> int:
        return int(self.rms.shape[0])


@dataclass(frozen=True)
class PhoneSegment:
    """One recognised phone."""

    phone: str
    """ARPAbet phone without stress digits (e.g. 'AA', 'P'), or 'SIL' for silence/noise."""
    start: float
    """Start time in seconds."""
    end: float
    """End time in seconds (exclusive)."""
    viseme: str
    """Viseme class of the phone (see the audio stage's documented table)."""


@dataclass(frozen=True)
class PhoneTimeline:
    """Phones over time with the recogniser's confidence."""

    segments: tuple[PhoneSegment, ...]
    """Phones in time order, non-overlapping."""
    confidence: float
    """0..1 overall confidence of the recognition (used to choose the acoustic fallback)."""
    source: str
    """How it was made: 'pocketsphinx', 'alignment' (transcript given) or 'none'."""


@dataclass(frozen=True)
class MotionTrack:
    """Everything that moves a face: expression weights, head pose, gaze, per frame.

    Head pose here is relative to the portrait's own pose: (0, 0, 0) keeps the portrait's head.
    """

    blendshapes: BlendshapeTrack
    """(T, K) expression weights (mouth, jaw, brows, blinks, gaze via eyeLook*)."""
    head_rotation: np.ndarray
    """(T, 3) float32 yaw, pitch, roll in degrees, as in ``geometry.euler_to_matrix``."""
    head_translation: np.ndarray
    """(T, 3) float32 offset in canonical IOD units (x right, y down, z away)."""

    def __post_init__(self) -> None:
        t = len(self.blendshapes)
        _check(self.head_rotation.shape == (t, 3), f"MotionTrack.head_rotation must be ({t}, 3)")
        _check(self.head_translation.shape == (t, 3), f"MotionTrack.head_translation must be ({t}, 3)")

    @property
    def fps(self) -> float:
        return self.blendshapes.fps

    def __len__(self) -> int:
        return len(self.blendshapes)


EMOTIONS: tuple[str, ...] = ("neutral", "angry", "contempt", "disgusted", "fearful", "happy", "sad", "surprised")
"""The 8 emotion classes of MEAD (Wang et al., ECCV 2020), in this order everywhere."""


@dataclass(frozen=True)
class EmotionTrack:
    """Which emotion shows, and how strongly, per frame (continuous emotion space: the type is a
    direction, the intensity its length; Xu et al., arXiv 2409.19501)."""

    weights: np.ndarray
    """(T, 8) float32 mix of the ``EMOTIONS`` per frame; each row sums to 1."""
    intensity: np.ndarray
    """(T,) float32 intensity ≥ 0 (1 = the full prototype; up to 1.5 exaggerates)."""
    fps: float
    """Frames per second."""

    def __post_init__(self) -> None:
        _check_fps(self.fps)
        t = self.intensity.shape[0]
        _check(self.weights.shape == (t, len(EMOTIONS)), f"EmotionTrack.weights must be ({t}, {len(EMOTIONS)})")
        _check(bool(np.all(self.intensity >= 0)), "EmotionTrack.intensity must be ≥ 0")
        _check(bool(np.allclose(self.weights.sum(1), 1.0, atol=1e-3)), "EmotionTrack.weights rows must sum to 1")

    def __len__(self) -> int:
        return int(self.intensity.shape[0])
