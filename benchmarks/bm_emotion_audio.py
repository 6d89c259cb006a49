"""Measure emotion from audio on the labelled speech of ../shared/data/emotion_speech (not a test).

1. Frame-wise intensity (``intensity_from_speech``): for every RAVDESS (emotion, statement, repetition, actor)
   recorded at both intensities, does the 'strong' take get a higher mean intensity over its speech frames
   than the 'normal' one? Prints each pair and the share (also without 'calm', whose strong take is calmer).
2. Emotion (``emotion_from_speech``'s classifier): leave-one-speaker-out accuracy over the 8 MEAD classes and
   for high vs low arousal, with the 8-class confusion matrix (rows true, columns predicted).

Run with ``.venv/bin/python benchmarks/bm_emotion_audio.py`` (about 20 s).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from train_speech_emotion import RAVDESS_EMOTIONS, leave_one_speaker_out, load_dataset  # noqa: E402

from moodtalk.audio import speech_features  # noqa: E402
from moodtalk.emotion.prosody import intensity_from_speech  # noqa: E402
from moodtalk.types import EMOTIONS  # noqa: E402
from moodtalk.video import read_audio  # noqa: E402

FPS = 25.0


def strong_vs_normal(utterances: list) -> None:
    """Print the RAVDESS strong-vs-normal table."""
    means: dict[tuple[str, str, str], dict[str, float]] = {}
    for u in utterances:
        if not u.speaker.startswith("ravdess") or u.label == "neutral":
            continue
        f = speech_features(read_audio(u.path, 16000), FPS)
        code = u.path.stem.split("-")
        means.setdefault((u.speaker, u.label, code[4] + "/" + code[5]), {})[u.intensity] = float(
            intensity_from_speech(f)[f.speech].mean()
        )
    print("RAVDESS strong vs normal (mean intensity over speech frames)")
    print(f"{'actor':12s} {'emotion':10s} {'stmt/rep':8s} {'normal':>7s} {'strong':>7s}  strong>normal")
    wins, wins_no_calm = [], []
    for (speaker, label, sr), m in sorted(means.items()):
        if "01" not in m or "02" not in m:
            continue
        win = m["02"] > m["01"]
        wins.append(win)
        if label != "calm":
            wins_no_calm.append(win)
        print(f"{speaker:12s} {label:10s} {sr:8s} {m['01']:7.3f} {m['02']:7.3f}  {'yes' if win else 'NO'}")
    print(f"strong > normal: {sum(wins)}/{len(wins)} = {np.mean(wins):.1%}")
    print(f"without calm:    {sum(wins_no_calm)}/{len(wins_no_calm)} = {np.mean(wins_no_calm):.1%}\n")


def classifier(utterances: list, stats: np.ndarray) -> None:
    """Print the leave-one-speaker-out scores and the confusion matrix."""
    probs, arousal = leave_one_speaker_out(utterances, stats)
    cls = [i for i, u in enumerate(utterances) if u.emotion is not None]
    true = np.array([EMOTIONS.index(utterances[i].emotion) for i in cls])
    pred = np.argmax(probs[cls], axis=1)
    counts = np.bincount(true, minlength=len(EMOTIONS))
    print(f"{len(utterances)} utterances, speakers: {sorted({u.speaker for u in utterances})}")
    print(
        f"leave-one-speaker-out 8-class accuracy: {np.mean(pred == true):.1%} (n={len(cls)}; "
        f"majority class {counts.max() / counts.sum():.1%}, uniform chance {1 / len(EMOTIONS):.1%})"
    )
    present = counts > 0
    recall = [np.mean(pred[true == k] == k) for k in range(len(EMOTIONS)) if present[k]]
    print(f"balanced accuracy (mean recall over {present.sum()} present classes): {np.mean(recall):.1%}")
    aro = [i for i, u in enumerate(utterances) if u.aroused is not None]
    y = np.array([utterances[i].aroused for i in aro])
    hit = (arousal[aro] > 0.5) == y
    print(
        f"leave-one-speaker-out arousal accuracy (high: angry/fearful/happy/surprised; low: neutral/calm/sad/"
        f"boredom): {hit.mean():.1%} (n={len(aro)}, high share {y.mean():.1%})"
    )
    for s in sorted({u.speaker for u in utterances}):
        idx = [j for j, i in enumerate(cls) if utterances[i].speaker == s]
        aidx = [j for j, i in enumerate(aro) if utterances[i].speaker == s]
        print(
            f"  {s:12s} 8-class {np.mean(pred[idx] == true[idx]) if idx else float('nan'):5.1%} (n={len(idx)})"
            f"  arousal {hit[aidx].mean() if aidx else float('nan'):5.1%} (n={len(aidx)})"
        )
    print("\nconfusion (rows true, columns predicted):")
    short = [e[:4] for e in EMOTIONS]
    print(" " * 10 + " ".join(f"{s:>5s}" for s in short))
    for k, name in enumerate(EMOTIONS):
        row = np.bincount(pred[true == k], minlength=len(EMOTIONS))
        print(f"{name:10s}" + " ".join(f"{v:5d}" for v in row))


def main() -> None:
    utterances, stats = load_dataset()
    assert set(RAVDESS_EMOTIONS.values()) >= {u.label for u in utterances if u.speaker.startswith("ravdess")}
    strong_vs_normal(utterances)
    classifier(utterances, stats)


if __name__ == "__main__":
    main()
