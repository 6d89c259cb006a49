"""Coordinate search of an emotion's posed prototype, judged by the FER classifier on the tuning portraits.

For each emotion given: the shapes its ``POSED_PROTOTYPES`` entry names (jawOpen excepted: it is bounded by
the lip-sync requirement, ``benchmarks/bm_lipsync_emotion.py``) plus a few FACS-related extras
(``EXTRA``) are tried one at a time at 0, 0.25, 0.5, 0.75 and 1; a value is kept when the mean FER probability
of the target class (frames averaged per portrait, portraits averaged) rises by more than ``MIN_GAIN``; sweeps
repeat until none is kept (at most two). Each score renders 8 frames per portrait at intensity 1 exactly as
``bm_emotion_fer.py`` does, on the 11 ``WIDE`` tuning portraits (never the evaluation's 5).

The search only proposes: a result is adopted by hand, with its FACS reading, into ``emotion/space.py``
(round 9 in benchmarks/README.md, Emotion, took anger's and happiness's and left the others).

Run: ``.venv/bin/python benchmarks/tune_prototypes.py angry happy`` (about 8 minutes per emotion on 2 cores);
the result is printed and written to ``runs/tune_prototypes.json``.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bm_emotion_fer import (
    DATA,
    FPS,
    ROOT,
    WIDE,
    Portrait,
    driving_speech,
    load_benchmark_portrait,
    render_and_classify,
    speech_motion_of,
)
from moodtalk.emotion import apply_emotion, emotion_track, space
from moodtalk.metrics import EMOTION_TO_FER, FER_CLASSES, FerClassifier
from moodtalk.types import MotionTrack

GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
FRAMES = 8
"""Frames rendered per portrait (as ``bm_emotion_fer.py``'s default)."""
MIN_GAIN = 0.01
"""Smallest rise of the mean target probability that keeps a change (about the run-to-run spread of one
portrait's frame-averaged probability under small changes)."""
EXTRA = {
    "angry": ["mouthUpperUp", "mouthStretch", "browInnerUp"],  # AU 10, 20 and 1 appear in EMFACS anger variants
    "disgusted": ["mouthLowerDown", "mouthStretch", "eyeWide"],
    "fearful": ["mouthFrown", "eyeSquint", "mouthLowerDown", "mouthUpperUp"],
    "happy": ["mouthUpperUp", "mouthDimple", "browInnerUp", "mouthStretch"],
    "sad": ["mouthStretch", "mouthLowerDown", "browOuterUp"],
    "surprised": ["mouthLowerDown", "mouthUpperUp", "mouthFunnel"],
}
"""Shapes tried beyond those the prototype names."""


def score(emotion: str, base: MotionTrack, portraits: list[Portrait], fer: FerClassifier) -> tuple[float, float]:
    """Mean FER probability of the target class and clip accuracy over the portraits, at intensity 1."""
    k = FER_CLASSES.index(EMOTION_TO_FER[emotion])
    n = len(base)
    motion = apply_emotion(base, emotion_track(emotion, n, FPS, 1.0, duration=n / FPS))
    probs, hits = [], []
    for portrait in portraits:
        p = np.nanmean(render_and_classify(portrait, motion, fer)[1], axis=0)
        probs.append(p[k])
        hits.append(int(np.nanargmax(p) == k))
    return float(np.mean(probs)), float(np.mean(hits))


def search(emotion: str, base: MotionTrack, portraits: list[Portrait], fer: FerClassifier) -> dict:
    proto = space.POSED_PROTOTYPES[emotion]  # patched in place: ``posed_targets`` reads it on every call
    start = dict(proto)
    best, acc = score(emotion, base, portraits, fer)
    print(f"{emotion}: start p={best:.3f} clip acc={acc:.2f}", flush=True)
    stems = [s for s in proto if s != "jawOpen"] + [s for s in EXTRA[emotion] if s not in proto]
    for _ in range(2):
        kept = False
        for stem in stems:
            current = proto.get(stem, 0.0)
            for value in GRID:
                if abs(value - current) < 1e-9:
                    continue
                proto[stem] = value
                p, a = score(emotion, base, portraits, fer)
                if p > best + MIN_GAIN:
                    best, acc, current, kept = p, a, value, True
                    print(f"  {stem} -> {value}: p={p:.3f} clip acc={a:.2f}", flush=True)
            proto[stem] = current
        if not kept:
            break
    print(f"{emotion}: end p={best:.3f} clip acc={acc:.2f} {json.dumps(proto)}", flush=True)
    return {"start": start, "end": dict(proto), "p": best, "clip_accuracy": acc}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("emotions", nargs="+", choices=sorted(EXTRA))
    args = ap.parse_args(argv)
    fer = FerClassifier()
    base = speech_motion_of(driving_speech())
    portraits = [load_benchmark_portrait(DATA / "portraits" / name, len(base), FRAMES) for name in WIDE]
    result = {emo: search(emo, base, portraits, fer) for emo in args.emotions}
    out = ROOT / "runs" / "tune_prototypes.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
