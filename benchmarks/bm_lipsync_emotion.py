"""Lip sync under each emotion: does an emotion at intensity 1 lower the mouth-opening correlation? (not a test)

Issue 5 asks that the mouth-opening correlation of the lip-sync benchmark drop by at most 0.05 under any
emotion. On the real clips of ``bm_lipsync.py`` (same cache, same definitions): the default speech motion
(``speech_motion``, packaged learned model, no phones) of each clip's own audio, then
``apply_emotion`` with each of the 8 emotions at intensity 1 (held for the whole clip), → mouth opening of
the packaged canonical face (``bm_lipsync.generated_opening``) → Pearson r with the real opening at the
best lag in +-12 frames. Bilabial closures: ``bm_lipsync.closure_scores`` recall on the same curves.

The packaged model saw these clips in training, so absolute r is optimistic (``bm_lipsync.py`` has the
cross-validated figures); the drop from neutral is what this measures, and it is the same model for all
emotions.

Run: ``.venv/bin/python benchmarks/bm_lipsync_emotion.py`` (~1 min with ``runs/lipsync_cache/``).
"""

from __future__ import annotations

import numpy as np

from bm_lipsync import MAX_LAG, closure_scores, fit_length, generated_opening
from lipsync_data import load_clips
from moodtalk.emotion import apply_emotion, emotion_track
from moodtalk.metrics import best_lag_correlation
from moodtalk.motion import MotionConfig, speech_motion
from moodtalk.types import BLENDSHAPE_NAMES, EMOTIONS, BlendshapeTrack, MotionTrack

FPS = 25.0


def emotion_openings(weights: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """(n,) generated opening per emotion (intensity 1) for speech mouth weights (T, 51)."""
    t = len(weights)
    motion = MotionTrack(BlendshapeTrack(weights.astype(np.float32), BLENDSHAPE_NAMES, FPS), np.zeros((t, 3)),
                         np.zeros((t, 3)))  # fmt: skip
    out = {}
    for emotion in EMOTIONS:
        m = motion if emotion == "neutral" else apply_emotion(motion, emotion_track(emotion, t, FPS, 1.0))
        out[emotion] = fit_length(generated_opening(m.blendshapes.weights), n)
    return out


def main() -> None:
    clips = [c for c in load_clips(verbose=False) if c.benchmark]
    r = {e: [] for e in EMOTIONS}
    rec = {e: [] for e in EMOTIONS}
    for c in clips:
        n = len(c.opening)
        real = c.opening.astype(np.float64)
        speech = fit_length(c.features.speech.astype(bool), n)
        weights = speech_motion(c.features, None, MotionConfig(path="learned")).weights
        for emotion, gen in emotion_openings(weights, n).items():
            corr, lag = best_lag_correlation(real, gen, MAX_LAG)
            r[emotion].append(corr)
            rec[emotion].append(closure_scores(real, gen, speech, lag)[0])
    base = np.array(r["neutral"])
    print(f"{len(clips)} clips; packaged learned model, no phones; emotion at intensity 1 for the whole clip\n")
    print("| emotion | median r | median drop vs neutral (per clip) | worst clip drop | closure recall (median) |")
    print("|---|---|---|---|---|")
    for emotion in EMOTIONS:
        x = np.array(r[emotion])
        drop = base - x
        print(f"| {emotion} | {np.median(x):.3f} | {np.median(drop):+.3f} | {drop.max():+.3f} | "
              f"{np.nanmedian(rec[emotion]):.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
