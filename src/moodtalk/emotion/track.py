"""Emotion specs → ``EmotionTrack``: a label, keyframes, a CSV curve, or an intensity curve.

Spec forms (``emotion_track`` picks the form):

* label: ``"happy"`` (intensity from the ``intensity`` argument) or ``"happy:0.7"``;
* keyframes: ``"neutral@0 happy:0.8@2.5 sad:1.0@6"`` — ``emotion[:intensity]@seconds``, in time order;
  between keyframes the emotion mix and the intensity follow a smoothstep (ease in/out), before the first
  and after the last they hold;
* CSV file: a ``time`` column (seconds) and either ``emotion`` (+ optional ``intensity``) or one column
  per emotion name holding mix weights (+ optional ``intensity``); rows are interpolated linearly;
* an intensity curve (``--intensity auto``): a (T,) array given by the caller replaces the intensity.

Intensity is in [0, 1.5]: 1 is a clear posed expression as in FACS prototype photographs
(``space.POSED_PROTOTYPES``; MEAD's level-3 clips are about 0.3–0.7, ``EmotionSpace.level3_intensity``), above
1 exaggerates. A neutral
keyframe without an intensity has intensity 0. Names are case-insensitive and common synonyms are accepted
(``EMOTION_SYNONYMS``); an unknown name fails with the nearest valid one.
"""

from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path

import numpy as np

from moodtalk.errors import InputError
from moodtalk.types import EMOTIONS, EmotionTrack

MAX_INTENSITY = 1.5
"""Largest intensity accepted (1 = posed prototype; beyond 1.5 the blendshapes saturate and the face breaks)."""

DEFAULT_INTENSITY = 1.0
"""Intensity of a label or keyframe that does not give one (neutral keyframes: 0)."""

EMOTION_SYNONYMS: dict[str, str] = {
    "fear": "fearful", "afraid": "fearful", "scared": "fearful",
    "disgust": "disgusted",
    "surprise": "surprised",
    "anger": "angry", "mad": "angry",
    "happiness": "happy", "joy": "happy", "joyful": "happy",
    "sadness": "sad",
    "calm": "neutral", "none": "neutral",
    "contemptuous": "contempt",
}  # fmt: skip
"""Other names for the 8 MEAD classes (lower case)."""

_KEYFRAME = re.compile(r"^(?P<name>[A-Za-z_]+)(?::(?P<intensity>[^@]*))?@(?P<time>.*)$")
_LABEL = re.compile(r"^(?P<name>[A-Za-z_]+)(?::(?P<intensity>.*))?$")
TIME_TOLERANCE_FRAMES = 1.0
"""A keyframe may lie up to one frame past the end of the audio (rounding of durations)."""


def normalize_emotion(name: str, source: str | Path | None = None) -> str:
    """The MEAD class name of ``name`` (case-insensitive, synonyms accepted).

    Raises:
        InputError: unknown name; the message suggests the nearest valid one.
    """
    key = name.strip().lower()
    if key in EMOTIONS:
        return key
    if key in EMOTION_SYNONYMS:
        return EMOTION_SYNONYMS[key]
    known = [*EMOTIONS, *EMOTION_SYNONYMS]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    hint = f"; did you mean {EMOTION_SYNONYMS.get(close[0], close[0])!r}?" if close else ""
    raise InputError(source, f"unknown emotion {name!r}{hint} (known: {', '.join(EMOTIONS)})")


def _intensity(text: str | float, what: str, source: str | Path | None = None) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InputError(source, f"{what}: intensity {text!r} is not a number") from None
    if not np.isfinite(value) or not 0.0 <= value <= MAX_INTENSITY:
        raise InputError(source, f"{what}: intensity {value:g} is outside [0, {MAX_INTENSITY:g}]")
    return value


def _one_hot(emotion: str) -> np.ndarray:
    w = np.zeros(len(EMOTIONS))
    w[EMOTIONS.index(emotion)] = 1.0
    return w


def _check_frames(n_frames: int, fps: float) -> None:
    if n_frames < 0 or not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"need n_frames >= 0 and fps > 0, got {n_frames}, {fps}")


def _track(weights: np.ndarray, intensity: np.ndarray, fps: float) -> EmotionTrack:
    weights = np.clip(weights, 0.0, None)
    weights = weights / weights.sum(1, keepdims=True)
    return EmotionTrack(weights.astype(np.float32), intensity.astype(np.float32), float(fps))


def constant_track(emotion: str, intensity: float, n_frames: int, fps: float) -> EmotionTrack:
    """(T,) frames of one emotion at one intensity."""
    _check_frames(n_frames, fps)
    emotion = normalize_emotion(emotion)
    value = _intensity(intensity, f"emotion {emotion!r}")
    return _track(np.tile(_one_hot(emotion), (n_frames, 1)), np.full(n_frames, value), fps)


def _interpolate(times: np.ndarray, weights: np.ndarray, intensity: np.ndarray, n_frames: int, fps: float,
                 smooth: bool) -> EmotionTrack:  # fmt: skip
    """Sample keyed (K,) times, (K, 8) weights, (K,) intensities at frame times i / fps; hold outside."""
    t = np.arange(n_frames) / fps
    seg = np.clip(np.searchsorted(times, t, side="right") - 1, 0, max(len(times) - 2, 0))
    if len(times) == 1:
        return _track(np.tile(weights[0], (n_frames, 1)), np.full(n_frames, intensity[0]), fps)
    t0, t1 = times[seg], times[seg + 1]
    u = np.clip((t - t0) / np.maximum(t1 - t0, 1e-12), 0.0, 1.0)
    if smooth:
        u = u * u * (3.0 - 2.0 * u)  # smoothstep: zero velocity at each keyframe (no visible kinks)
    w = weights[seg] + (weights[seg + 1] - weights[seg]) * u[:, None]
    i = intensity[seg] + (intensity[seg + 1] - intensity[seg]) * u
    return _track(w, i, fps)


def _check_times(times: list[float], labels: list[str], duration: float, fps: float,
                 source: str | Path | None) -> None:  # fmt: skip
    for k in range(1, len(times)):
        if times[k] <= times[k - 1]:
            raise InputError(source, f"{labels[k]} at {times[k]:g} s is not after {labels[k - 1]} at "
                                     f"{times[k - 1]:g} s (keyframes must be in time order)")  # fmt: skip
    for k, tk in enumerate(times):
        if tk < 0:
            raise InputError(source, f"{labels[k]}: time {tk:g} s is negative")
        if tk > duration + TIME_TOLERANCE_FRAMES / fps:
            raise InputError(source, f"{labels[k]}: time {tk:g} s is beyond the end of the audio ({duration:.2f} s)")


def keyframe_track(spec: str, n_frames: int, fps: float, duration: float | None = None,
                   default_intensity: float = DEFAULT_INTENSITY) -> EmotionTrack:  # fmt: skip
    """Parse ``"neutral@0 happy:0.8@2.5 sad:1.0@6"`` into a smoothly interpolated track.

    Args:
        spec: whitespace- or comma-separated ``emotion[:intensity]@seconds`` keyframes in time order.
        n_frames, fps: the track's length and rate.
        duration: audio duration in seconds (default ``n_frames / fps``); later keyframes are rejected.
        default_intensity: intensity of a non-neutral keyframe without one.

    Raises:
        InputError: malformed keyframe, unknown emotion, intensity outside [0, 1.5], keyframes out of
            order or beyond the audio.
    """
    _check_frames(n_frames, fps)
    duration = n_frames / fps if duration is None else duration
    items = [s for s in re.split(r"[\s,;]+", spec.strip()) if s]
    if not items:
        raise InputError(None, "empty emotion keyframes")
    times, weights, intens = [], [], []
    for item in items:
        m = _KEYFRAME.match(item)
        if m is None:
            raise InputError(None, f"keyframe {item!r} is not emotion[:intensity]@seconds (e.g. happy:0.8@2.5)")
        emotion = normalize_emotion(m["name"])
        try:
            time = float(m["time"])
        except ValueError:
            raise InputError(None, f"keyframe {item!r}: time {m['time']!r} is not a number of seconds") from None
        if m["intensity"] is None:
            value = 0.0 if emotion == "neutral" else _intensity(default_intensity, f"keyframe {item!r}")
        else:
            value = _intensity(m["intensity"], f"keyframe {item!r}")
        times.append(time)
        weights.append(_one_hot(emotion))
        intens.append(value)
    _check_times(times, [repr(s) for s in items], duration, fps, None)
    return _interpolate(np.array(times), np.array(weights), np.array(intens), n_frames, fps, smooth=True)


def csv_track(path: str | Path, n_frames: int, fps: float, duration: float | None = None,
              default_intensity: float = DEFAULT_INTENSITY) -> EmotionTrack:  # fmt: skip
    """Read an emotion curve from CSV (see the module docstring for the columns).

    Per-emotion weight columns are normalised per row (all zero = neutral); emotion names in the header
    may be synonyms. Rows are interpolated linearly between their times and held outside them.

    Raises:
        InputError: missing file, missing/unknown columns, a bad value (with its line and column), times
            out of order or beyond the audio, intensity outside [0, 1.5].
    """
    _check_frames(n_frames, fps)
    path = Path(path)
    duration = n_frames / fps if duration is None else duration
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise InputError(path, f"cannot read emotion curve ({e.strerror})") from None
    rows = list(csv.reader(text.splitlines()))
    rows = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not rows:
        raise InputError(path, "emotion curve is empty")
    header = [c.strip().lower() for c in rows[0][1]]
    if "time" not in header:
        raise InputError(path, f"line {rows[0][0]}: no 'time' column (columns: {', '.join(header)})")
    col = {name: k for k, name in enumerate(header)}
    emotion_cols: dict[int, int] = {}  # column → emotion index
    if "emotion" not in col:
        for name, k in col.items():
            if name not in ("time", "intensity"):
                emotion_cols[k] = EMOTIONS.index(normalize_emotion(name, path))
        if not emotion_cols:
            raise InputError(path, "needs an 'emotion' column or one column per emotion name")
    if len(rows) < 2:
        raise InputError(path, "emotion curve has a header but no rows")

    def cell(line: int, row: list[str], name: str, k: int) -> str:
        if k >= len(row) or not row[k].strip():
            raise InputError(path, f"line {line}, column {name!r}: value missing")
        return row[k].strip()

    def number(line: int, row: list[str], name: str, k: int) -> float:
        value = cell(line, row, name, k)
        try:
            out = float(value)
        except ValueError:
            raise InputError(path, f"line {line}, column {name!r}: {value!r} is not a number") from None
        if not np.isfinite(out):
            raise InputError(path, f"line {line}, column {name!r}: {value!r} is not a finite number")
        return out

    times, weights, intens, labels = [], [], [], []
    for line, row in rows[1:]:
        times.append(number(line, row, "time", col["time"]))
        labels.append(f"line {line}")
        if "emotion" in col:
            w = _one_hot(normalize_emotion(cell(line, row, "emotion", col["emotion"]), path))
        else:
            w = np.zeros(len(EMOTIONS))
            for k, e in emotion_cols.items():
                value = number(line, row, header[k], k)
                if value < 0:
                    raise InputError(path, f"line {line}, column {header[k]!r}: weight {value:g} is negative")
                w[e] += value
            if w.sum() == 0:
                w = _one_hot("neutral")
        if "intensity" in col:
            value = _intensity(cell(line, row, "intensity", col["intensity"]),
                               f"line {line}, column 'intensity'", path)  # fmt: skip
        else:
            value = default_intensity
        weights.append(w / w.sum())
        intens.append(value)
    _check_times(times, labels, duration, fps, path)
    return _interpolate(np.array(times), np.array(weights), np.array(intens), n_frames, fps, smooth=False)


def with_intensity(track: EmotionTrack, intensity: np.ndarray, mode: str = "replace") -> EmotionTrack:
    """The track with a per-frame intensity curve (e.g. predicted from the voice for ``--intensity auto``).

    Args:
        track: (T, 8) mix per frame.
        intensity: (T,) curve; values are clipped to [0, 1.5].
        mode: "replace" the track's intensity, or "scale" it (multiply).

    Raises:
        ValueError: wrong length or non-finite values (a caller bug, not user input).
    """
    curve = np.asarray(intensity, np.float64)
    if curve.shape != (len(track),):
        raise ValueError(f"intensity curve must be ({len(track)},), got {curve.shape}")
    if not np.all(np.isfinite(curve)):
        raise ValueError("intensity curve has non-finite values")
    if mode == "replace":
        new = curve
    elif mode == "scale":
        new = curve * track.intensity
    else:
        raise ValueError(f"mode must be 'replace' or 'scale', got {mode!r}")
    return EmotionTrack(track.weights, np.clip(new, 0.0, MAX_INTENSITY).astype(np.float32), track.fps)


def emotion_track(
    spec: str | Path,
    n_frames: int,
    fps: float,
    intensity: float | np.ndarray = DEFAULT_INTENSITY,
    duration: float | None = None,
) -> EmotionTrack:
    """Build an ``EmotionTrack`` from any spec form.

    Args:
        spec: a label (``"happy"``, ``"happy:0.7"``), keyframes (anything with ``@``), or a path to a
            ``.csv`` curve.
        n_frames, fps: the track's length and rate (the audio's frames).
        intensity: a number (used where the spec gives none), or a (T,) curve that replaces the spec's
            intensity (``--intensity auto``).
        duration: audio duration in seconds (default ``n_frames / fps``).

    Raises:
        InputError: any invalid spec (one line, naming the problem).
    """
    curve = None
    if isinstance(intensity, np.ndarray):
        curve, default = intensity, DEFAULT_INTENSITY
    else:
        default = _intensity(intensity, "--intensity")
    text = str(spec).strip()
    if isinstance(spec, Path) or text.lower().endswith(".csv"):
        path = Path(spec)
        if not path.is_file():
            raise InputError(path, "emotion curve file not found")
        track = csv_track(path, n_frames, fps, duration, default)
    elif "@" in text:
        track = keyframe_track(text, n_frames, fps, duration, default)
    else:
        m = _LABEL.match(text)
        if m is None:
            raise InputError(None, f"emotion {text!r} is not a name, name:intensity, keyframes or a .csv file")
        emotion = normalize_emotion(m["name"])
        value = default if m["intensity"] is None else _intensity(m["intensity"], f"emotion {text!r}")
        track = constant_track(emotion, value, n_frames, fps)
    return track if curve is None else with_intensity(track, curve)
