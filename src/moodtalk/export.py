"""Write motion (blendshape weights + head pose over time) as CSV, JSON and a PNG plot.

CSV layout (``moodtalk`` format): a ``time`` column in seconds, one column per blendshape
with its ARKit name, then the pose columns of ``types.POSE_COLUMNS``. ``livelinkface`` format:
the column layout of Apple's Live Link Face app recordings (Timecode, BlendShapeCount, the 52
capitalised ARKit names incl. TongueOut, HeadYaw/Pitch/Roll and per-eye yaw/pitch/roll), so the
motion imports into tools that read those files.

Every file is written to a temporary name and renamed, so a failure leaves no partial file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

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
EYE_LOOK_DEGREES = 25.0
"""Eye rotation (degrees) of a full eyeLook* weight, for the per-eye angles of Live Link Face."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` through a temporary file in the same folder."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def motion_csv(blend: BlendshapeTrack, pose: np.ndarray) -> str:
    """moodtalk CSV text. ``pose`` is (T, len(POSE_COLUMNS))."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(("time",) + blend.names + POSE_COLUMNS)
    for i in range(len(blend)):
        row = [f"{i / blend.fps:.4f}"] + [f"{v:.4f}" for v in blend.weights[i]] + [f"{v:.4f}" for v in pose[i]]
        w.writerow(row)
    return out.getvalue()


def live_link_face_csv(blend: BlendshapeTrack, pose: np.ndarray) -> str:
    """Live Link Face CSV text (head angles in radians, timecode HH:MM:SS:FF.mmm)."""
    lookup = {n[0].upper() + n[1:]: i for i, n in enumerate(blend.names)}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(("Timecode", "BlendShapeCount") + LIVE_LINK_FACE_SHAPES + LIVE_LINK_FACE_POSE)
    fps = blend.fps
    for i in range(len(blend)):
        wts = blend.weights[i]
        shapes = [wts[lookup[n]] if n in lookup else 0.0 for n in LIVE_LINK_FACE_SHAPES]

        def eye(side: str, wts: np.ndarray = wts) -> list[float]:
            g = {k: wts[lookup[f"EyeLook{k}{side}"]] if f"EyeLook{k}{side}" in lookup else 0.0
                 for k in ("In", "Out", "Up", "Down")}  # fmt: skip
            sign = 1.0 if side == "Left" else -1.0  # subject's left eye looks out = towards +x
            yaw = sign * (g["Out"] - g["In"]) * np.deg2rad(EYE_LOOK_DEGREES)
            pitch = (g["Down"] - g["Up"]) * np.deg2rad(EYE_LOOK_DEGREES)
            return [yaw, pitch, 0.0]

        head = list(np.deg2rad(pose[i, :3]))
        secs = i / fps
        frame = int(round((secs - int(secs)) * fps))
        hms = f"{int(secs // 3600):02d}:{int(secs // 60) % 60:02d}:{int(secs) % 60:02d}"
        tc = f"{hms}:{frame:02d}.{int(secs * 1000) % 1000:03d}"
        w.writerow([tc, len(LIVE_LINK_FACE_SHAPES)] + [f"{v:.4f}" for v in shapes + head + eye("Left") + eye("Right")])
    return out.getvalue()


def motion_json(blend: BlendshapeTrack, pose: np.ndarray, extra: dict) -> str:
    """JSON text: fps, names, pose columns, per-frame arrays and any extra fields."""
    doc = {
        "fps": blend.fps,
        "frames": len(blend),
        "blendshape_names": list(blend.names),
        "pose_columns": list(POSE_COLUMNS),
        **extra,
        "time": [round(i / blend.fps, 4) for i in range(len(blend))],
        "blendshapes": np.round(blend.weights, 4).tolist(),
        "pose": np.round(pose, 4).tolist(),
    }
    return json.dumps(doc, indent=1)


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
