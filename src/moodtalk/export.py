"""Write motion (blendshape weights + head pose over time) as CSV, JSON and a PNG plot.

CSV layout (``moodtalk`` format): a ``time`` column in seconds, one column per blendshape
with its ARKit name, then the pose columns of ``types.POSE_COLUMNS``. ``livelinkface`` format:
the column layout of Apple's Live Link Face app recordings (Timecode, BlendShapeCount, the 52
capitalised ARKit names incl. TongueOut, HeadYaw/Pitch/Roll and per-eye yaw/pitch/roll), so the
motion imports into tools that read those files.

Every file is written to a temporary name and renamed, so a failure leaves no partial file.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from moodtalk.types import EMOTIONS, POSE_COLUMNS, BlendshapeTrack, EmotionTrack

LIVE_LINK_FACE_SHAPES = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft",
    "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight",
    "EyeSquintRight", "EyeWideRight", "JawForward", "JawRight", "JawLeft", "JawOpen", "MouthClose", "MouthFunnel",
    "MouthPucker", "MouthRight", "MouthLeft", "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft",
    "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft", "MouthStretchRight",
    "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper", "MouthPressLeft", "MouthPressRight",
    "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft", "MouthUpperUpRight", "BrowDownLeft",
    "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft",
    "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)  # fmt: skip
LIVE_LINK_FACE_POSE = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
                       "RightEyeYaw", "RightEyePitch", "RightEyeRoll")  # fmt: skip
ROW_BLOCK = 4096
"""Frames formatted at a time when writing: memory stays bounded for hours of motion."""
EYE_LOOK_DEGREES = 25.0
"""Eye rotation (degrees) of a full eyeLook* weight, for the per-eye angles of Live Link Face."""


def write_atomic(path: Path, content: bytes | Callable[[TextIO], None]) -> None:
    """Write bytes, or text through ``content(file)``, to ``path`` via a temporary file in the same folder."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as f:
                f.write(content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                content(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _rows(values: np.ndarray) -> Iterator[str]:
    """'v1,v2,...' lines of a (T, D) array with 4 decimals, a block at a time (bounded memory)."""
    for start in range(0, len(values), ROW_BLOCK):
        block = np.round(np.asarray(values[start : start + ROW_BLOCK], dtype=np.float64), 4)
        for row in block:
            yield ",".join(f"{v:.4f}" for v in row)


def write_motion_csv(f: TextIO, blend: BlendshapeTrack, pose: np.ndarray) -> None:
    """moodtalk CSV layout. ``pose`` is (T, len(POSE_COLUMNS))."""
    f.write(",".join(("time",) + blend.names + POSE_COLUMNS) + "\n")
    time = (np.arange(len(blend)) / blend.fps)[:, None]
    for start in range(0, len(blend), ROW_BLOCK):
        stop = start + ROW_BLOCK
        rows = np.column_stack([time[start:stop], blend.weights[start:stop], pose[start:stop]])
        for line in _rows(rows):
            f.write(line + "\n")


def _timecode(i: int, fps: float) -> str:
    """Live Link Face timecode HH:MM:SS:FF.mmm of frame i."""
    secs = i / fps
    frame = int(round((secs - int(secs)) * fps))
    hms = f"{int(secs // 3600):02d}:{int(secs // 60) % 60:02d}:{int(secs) % 60:02d}"
    return f"{hms}:{frame:02d}.{int(secs * 1000) % 1000:03d}"


def write_live_link_face_csv(f: TextIO, blend: BlendshapeTrack, pose: np.ndarray) -> None:
    """Live Link Face CSV layout (head and eye angles in radians)."""
    lookup = {n[0].upper() + n[1:]: i for i, n in enumerate(blend.names)}

    def column(name: str) -> np.ndarray:
        return blend.weights[:, lookup[name]] if name in lookup else np.zeros(len(blend), np.float32)

    shapes = np.column_stack([column(n) for n in LIVE_LINK_FACE_SHAPES])  # (T, 52)
    rad = np.deg2rad(EYE_LOOK_DEGREES)
    eyes = []
    for side, sign in (("Left", 1.0), ("Right", -1.0)):  # the subject's left eye looks out towards +x
        yaw = sign * (column(f"EyeLookOut{side}") - column(f"EyeLookIn{side}")) * rad
        pitch = (column(f"EyeLookDown{side}") - column(f"EyeLookUp{side}")) * rad
        eyes += [yaw, pitch, np.zeros(len(blend))]
    angles = np.column_stack([np.deg2rad(pose[:, :3])] + eyes)  # (T, 9)
    f.write(",".join(("Timecode", "BlendShapeCount") + LIVE_LINK_FACE_SHAPES + LIVE_LINK_FACE_POSE) + "\n")
    for i, line in enumerate(_rows(np.column_stack([shapes, angles]))):
        f.write(f"{_timecode(i, blend.fps)},{len(LIVE_LINK_FACE_SHAPES)},{line}\n")


def write_motion_json(f: TextIO, blend: BlendshapeTrack, pose: np.ndarray, extra: dict) -> None:
    """JSON: fps, names, pose columns, any extra fields, then per-frame arrays written row by row."""
    head = {"fps": blend.fps, "frames": len(blend), "blendshape_names": list(blend.names),
            "pose_columns": list(POSE_COLUMNS), **extra}  # fmt: skip
    f.write(json.dumps(head, indent=1)[:-2] + ",\n")  # reopen the object to append the arrays
    f.write(' "time": [' + ",".join(f"{i / blend.fps:.4f}" for i in range(len(blend))) + "],\n")
    for key, values, last in (("blendshapes", blend.weights, False), ("pose", pose, True)):
        f.write(f' "{key}": [\n')
        for i, line in enumerate(_rows(values)):
            f.write(("," if i else "") + f"[{line}]\n")
        f.write("]" + ("\n" if last else ",\n"))
    f.write("}\n")


PLOT_GROUPS = (
    ("mouth", ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker")),
    ("emotion", ("mouthSmileLeft", "mouthFrownLeft", "browInnerUp", "browDownLeft", "cheekSquintLeft")),
    ("eyes", ("eyeBlinkLeft", "eyeBlinkRight", "eyeWideLeft", "eyeLookOutLeft")),
)


def motion_png(blend: BlendshapeTrack, pose: np.ndarray, title: str, audio: np.ndarray | None = None,
               sample_rate: int = 16000, emotion: EmotionTrack | None = None) -> bytes:  # fmt: skip
    """PNG bytes of the main curves over time (optionally under the waveform, with the emotion curves)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = len(PLOT_GROUPS) + 1 + (audio is not None) + (emotion is not None)
    fig, axes = plt.subplots(rows, 1, figsize=(12, 2.0 * rows), sharex=True)
    t = np.arange(len(blend)) / blend.fps
    ax_i = 0
    if audio is not None:
        ta = np.arange(len(audio)) / sample_rate
        step = max(1, len(audio) // 20000)
        axes[0].plot(ta[::step], audio[::step], color="0.4", lw=0.5)
        axes[0].set_ylabel("audio")
        ax_i = 1
    if emotion is not None:
        ax = axes[ax_i]
        te = np.arange(len(emotion)) / emotion.fps
        for j, name in enumerate(EMOTIONS):
            share = emotion.weights[:, j] * emotion.intensity
            if name != "neutral" and share.max() > 0.01:
                ax.plot(te, share, label=name, lw=1.2)
        ax.plot(te, emotion.intensity, color="k", ls="--", lw=0.8, label="intensity")
        ax.set_ylim(-0.02, 1.52)
        ax.set_ylabel("emotion")
        ax.legend(loc="upper right", fontsize=7, ncol=5)
        ax_i += 1
    for label, names in PLOT_GROUPS:
        ax = axes[ax_i]
        for n in names:
            if n in blend.names:
                ax.plot(t, blend.column(n), label=n, lw=1)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel(label)
        ax.legend(loc="upper right", fontsize=7, ncol=len(names))
        ax_i += 1
    ax = axes[ax_i]
    for j, n in enumerate(POSE_COLUMNS[:3]):
        ax.plot(t, pose[:, j], label=f"{n} (deg)", lw=1)
    ax.set_ylabel("head")
    ax.legend(loc="upper right", fontsize=7, ncol=3)
    ax.set_xlabel("time (s)")
    fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
