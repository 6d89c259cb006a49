"""Real talking clips for the lip-sync benchmark and the learned mouth model (not a test).

Lists the clips, and caches per clip what is slow to compute: the face stage's solved blendshapes and
the real mouth opening (``analyze_face`` on the frames at 25 fps), the speech features of its audio at
25 fps and the recognised English phones. Cache: ``runs/lipsync_cache/<clip>.npz`` / ``.phones.json``
(``runs/`` is git-ignored); delete it to recompute.

Two sets:

* benchmark clips: every ``talking_video`` / ``emotion_video`` row of ``manifest.csv`` whose video file
  holds a real audio track (``has_audio`` = "yes", not the silent ones);
* extra training clips: ``talking_video`` clips without audio whose recording ships as a separate wav in
  ``speech/`` (StyleTalk source videos, EDTalk's mouth source). Used for training only.

Each clip has a speaker group so that cross-validation can leave whole speakers out. Where the
speaker of two clips from one source is not known to differ, they share a group (conservative).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.ndimage

from moodtalk.audio import recognize_phones, speech_features
from moodtalk.face import analyze_face
from moodtalk.geometry.landmarks import mouth_opening
from moodtalk.types import BLENDSHAPE_NAMES, PhoneSegment, PhoneTimeline, SpeechFeatures
from moodtalk.video import iter_frames, read_audio

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT.parent / "shared" / "data"
CACHE_DIR = ROOT / "runs" / "lipsync_cache"
FPS = 25.0
CLOSE_FRACTION = 0.25
"""Closed lips: opening below this fraction of the speech-time median opening ..."""
CLOSE_ABS = 0.04
"""... or below this absolute opening (IOD units; ~2.5 mm absorbs the tracker's noise), whichever is larger."""
CLOSE_NEAR = 2
"""Frames around voice activity that count as speech for closures."""


def closed_mask(opening: np.ndarray, speech: np.ndarray, floor: float = CLOSE_ABS) -> tuple[np.ndarray, np.ndarray]:
    """The closure definition shared by ``bm_lipsync.py`` and ``scripts/train_mouth_model.py``.

    Args:
        opening: (T,) mouth opening.
        speech: (T,) bool voice activity.
        floor: absolute opening below which the lips always count as closed.

    Returns:
        ``closed`` (T,) bool: opening below ``max(CLOSE_FRACTION x median over near, floor)``; ``near`` (T,)
        bool: speech grown by ``CLOSE_NEAR`` frames.
    """
    near = scipy.ndimage.binary_dilation(speech, iterations=CLOSE_NEAR) if speech.any() else speech
    med = float(np.median(opening[near])) if near.any() else float(np.median(opening))
    return opening < max(CLOSE_FRACTION * med, floor), near


EXTRA_AUDIO = {
    "talking_video/styletalk__KristiNoem.mp4": "speech/styletalk__KristiNoem.wav",
    "talking_video/styletalk__Obama_clip1.mp4": "speech/styletalk__Obama_clip1.wav",
    "talking_video/styletalk__Obama_clip2.mp4": "speech/styletalk__Obama_clip2.wav",
    "talking_video/styletalk__Obama_clip3.mp4": "speech/styletalk__Obama_clip3.wav",
    "talking_video/styletalk__andrew_clip_1.mp4": "speech/styletalk__andrew_clip_1.wav",
    "talking_video/styletalk__andrew_clip_2.mp4": "speech/styletalk__andrew_clip_2.wav",
    "talking_video/styletalk__feifeili_clip1.mp4": "speech/styletalk__feifeili_clip1.wav",
    "talking_video/styletalk__feifeili_clip2_short.mp4": "speech/styletalk__feifeili_clip2_short.wav",
    "talking_video/styletalk__feifeili_clip3.mp4": "speech/styletalk__feifeili_clip3.wav",
    "talking_video/styletalk__reagan_clip1.mp4": "speech/styletalk__reagan_clip1.wav",
    "talking_video/edtalk__mouth_source.mp4": "speech/edtalk__mouth_source.wav",
}
"""Silent video → the wav of the same recording (manifest notes)."""


@dataclass
class Clip:
    """One real talking clip with its cached analysis."""

    name: str
    """File name (without folder)."""
    group: str
    """Speaker group for leave-one-speaker-out."""
    benchmark: bool
    """Whether the clip is in the benchmark set (audio inside the video file)."""
    opening: np.ndarray
    """(T,) real inner-lip gap / eye distance, from the pose-free tracked points."""
    weights: np.ndarray
    """(T, 51) solved blendshape weights of the real face."""
    identity: np.ndarray
    """(478, 3) the person's neutral face (canonical units) estimated by the face stage."""
    features: SpeechFeatures
    """Speech features of the clip's audio at 25 fps (T_audio frames, may differ from T by a few)."""
    phones: PhoneTimeline
    """Recognised English phones of the audio."""


def speaker_group(name: str) -> str:
    """Speaker group of a clip file name (same person, or not known to differ, share a group)."""
    stem = name.rsplit(".", 1)[0]
    low = stem.lower()
    if "obama" in low:
        return "obama"
    if "1001_dfa" in low:
        return "cremad_1001"
    if "m030" in low:
        return "mead_m030"
    for prefix in ("latentsync", "liveportrait", "video_retalking", "styletalk__andrew", "styletalk__feifeili"):
        if low.startswith(prefix):
            return prefix
    return stem


def clip_sources() -> list[tuple[Path, Path, bool]]:
    """(video, audio source, in benchmark) for every usable clip, benchmark clips first."""
    rows = list(csv.DictReader(open(DATA_DIR / "manifest.csv", newline="")))
    bench, extra = [], []
    for r in rows:
        f = r["file"]
        if not f.startswith(("talking_video/", "emotion_video/")):
            continue
        audio = r["has_audio"].strip().lower()
        if audio.startswith("yes") and "silent" not in audio:
            bench.append((DATA_DIR / f, DATA_DIR / f, True))
        elif f in EXTRA_AUDIO and (DATA_DIR / EXTRA_AUDIO[f]).exists():
            extra.append((DATA_DIR / f, DATA_DIR / EXTRA_AUDIO[f], False))
    return bench + extra


def _phones_to_json(p: PhoneTimeline) -> dict:
    return {"confidence": p.confidence, "source": p.source,
            "segments": [[s.phone, s.start, s.end, s.viseme] for s in p.segments]}  # fmt: skip


def _phones_from_json(d: dict) -> PhoneTimeline:
    segs = tuple(PhoneSegment(phone=a, start=b, end=c, viseme=v) for a, b, c, v in d["segments"])
    return PhoneTimeline(segments=segs, confidence=float(d["confidence"]), source=str(d["source"]))


def load_clip(video: Path, audio_src: Path, benchmark: bool, verbose: bool = True) -> Clip:
    """Analyse one clip (or read it from the cache)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    face_file = CACHE_DIR / f"{video.name}.npz"
    phone_file = CACHE_DIR / f"{video.name}.phones.json"
    z = np.load(face_file) if face_file.exists() else None
    if z is not None and "identity" in z:
        opening, weights, identity = z["opening"], z["weights"], z["identity"]
    else:
        if verbose:
            print(f"  analysing {video.name} ...", flush=True)
        analysis = analyze_face(iter_frames(video, fps=FPS), source=str(video))
        opening = mouth_opening(analysis.canonical_points.astype(np.float64)).astype(np.float32)
        weights, identity = analysis.blendshapes.weights, analysis.identity
        np.savez_compressed(face_file, opening=opening, weights=weights, identity=identity,
                            names=np.array(BLENDSHAPE_NAMES))  # fmt: skip
    audio = read_audio(audio_src, 16000)
    feats = speech_features(audio, fps=FPS)
    if phone_file.exists():
        phones = _phones_from_json(json.loads(phone_file.read_text()))
    else:
        phones = recognize_phones(audio)
        phone_file.write_text(json.dumps(_phones_to_json(phones)))
    return Clip(video.name, speaker_group(video.name), benchmark, opening, weights, identity, feats, phones)


def load_clips(include_extra: bool = True, verbose: bool = True) -> list[Clip]:
    """All clips (benchmark ones first), analysed or from the cache."""
    return [load_clip(v, a, b, verbose) for v, a, b in clip_sources() if b or include_extra]


if __name__ == "__main__":
    import time

    t0 = time.time()
    for c in load_clips():
        print(f"{c.name:50s} {c.group:20s} T={len(c.opening):4d} Ta={len(c.features):4d} "
              f"phones={len(c.phones.segments):4d} conf={c.phones.confidence:.2f}", flush=True)  # fmt: skip
    print(f"{time.time() - t0:.0f} s")
