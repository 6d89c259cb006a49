"""Lip-sync benchmark: generated vs real mouth opening on real talking clips (not a test).

For each clip of ``../shared/data`` whose video holds its real audio (``lipsync_data.py``):

* real opening: ``mouth_opening`` of the face stage's pose-free points (``analyze_face`` at 25 fps; cached
  under ``runs/lipsync_cache/``);
* generated opening: ``speech_motion`` driven by the clip's own audio → (T, 51) weights →
  ``reconstruct(weights, canonical, basis)`` → ``mouth_opening``, minus the canonical face's rest gap
  (0.071 IOD: the packaged MediaPipe mesh has its lips apart at rest).

Models compared: the learned models, **cross-validated**: for every clip they are retrained without any
clip of the same speaker group (leave-one-speaker-out; the extra StyleTalk / EDTalk clips with separate
wavs join the training folds only): "auto" = the default ``MotionConfig`` with the clip's recognised
phones (the learned phone model: acoustic + viseme inputs, closures forced at recognised bilabials and
acoustic dips); the rest without phones (the acoustic-only model, what runs when no phones are usable):
"learned" = the current model (ridge + closure head) with the default
``MotionConfig`` (closures also forced at acoustic dips), "head" = the same model with only its closure
head (``learned_closures="phones"``, no phones given), "old" = the previous default (ridge on +-6 frames,
penalty 0.01, no closure head, closures at acoustic dips), all in the same run; the rule model with
recognised phones (``path="phonemes"``); the rule acoustic model (``path="acoustic"``); and a loudness
envelope (rms dB, Gaussian-smoothed, sigma 40 ms) for the correlation only.

Metrics per clip:

* r: Pearson correlation of real and generated opening over all frames at the best lag in +-12 frames
  (``metrics.best_lag_correlation``; lag > 0: generated late);
* closures (this benchmark's own definition, not ``metrics.closure_events`` / ``match_events``): a real
  closure event is a run of frames in speech (the audio's voice activity, +-2 frames) whose real opening
  is below ``max(25 % of the clip's speech-time median opening, 0.04)`` (0.04 IOD ~ 2.5 mm absorbs the
  tracker's noise); a generated closure the same on the generated opening with its own median and no
  absolute floor (the generated opening is measured from the neutral mouth's lip gap, see
  ``generated_opening``). Recall = share of real events with a generated closed frame within +-2 frames
  of the run (after the best lag); precision = share of generated events with a real closed frame
  within +-2 frames.

Run: ``.venv/bin/python benchmarks/bm_lipsync.py`` (a few minutes once the cache exists; building the
cache runs the face stage on ~50 s of video per minute).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lipsync_data import CLOSE_ABS, FPS, Clip, closed_mask, load_clips  # noqa: E402
from moodtalk.face.model import default_model  # noqa: E402
from moodtalk.face.solver import reconstruct  # noqa: E402
from moodtalk.geometry.landmarks import mouth_opening  # noqa: E402
from moodtalk.metrics.measures import best_lag_correlation  # noqa: E402
from moodtalk.motion import MotionConfig, speech_motion  # noqa: E402
from moodtalk.motion.learned import MouthModel  # noqa: E402

METHODS = ("auto", "learned", "head", "old", "phonemes", "acoustic")
"""Methods compared (see the module docstring)."""
OLD_SETTINGS = {"context": 6, "alpha": 0.01, "closure_shift": 0.0}
"""``train_mouth_model.train`` settings of the previous default learned model."""
MAX_LAG = 12
"""Largest audio-video lag searched (frames) by ``metrics.best_lag_correlation`` (same lag convention and
overlap as this script's former own search; it differs only on exact ties, which go to the smallest |lag|,
and in accepting overlaps of 3 frames instead of 10, which never matters here: clips have >= 48 frames)."""
TOLERANCE = 2
"""Frames of tolerance when matching closures."""
LOUDNESS_SIGMA_S = 0.04
"""Smoothing of the loudness-envelope baseline."""


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` cut or edge-padded to ``n`` frames."""
    if len(x) >= n:
        return x[:n]
    return np.concatenate([x, np.repeat(x[-1:], n - len(x), axis=0)]) if len(x) else np.zeros((n,) + x.shape[1:])


def shift(x: np.ndarray, lag: int) -> np.ndarray:
    """``y[t] = x[t + lag]`` with edges repeated (undo a generated delay of ``lag`` frames)."""
    if lag == 0:
        return x
    idx = np.clip(np.arange(len(x)) + lag, 0, len(x) - 1)
    return x[idx]


def closure_runs(
    opening: np.ndarray, speech: np.ndarray, floor: float = CLOSE_ABS
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Closure events (first, last frame) in speech, and the (T,) closed mask used for matching.

    Closed: ``lipsync_data.closed_mask``.

    Not ``metrics.closure_events`` / ``match_events``: those take one frame per event (a local minimum
    below the threshold, candidates within 2 frames merged) and match events one-to-one, while this
    benchmark's documented definition (module docstring) takes whole closed runs and counts a run as hit
    when any closed frame of the other curve lies within +-TOLERANCE frames of it. Kept so that the
    numbers stay comparable with the README table.
    """
    closed, near = closed_mask(opening, speech, floor)
    labels, k = scipy.ndimage.label(closed)
    runs = []
    for i in range(1, k + 1):
        idx = np.flatnonzero(labels == i)
        if near[idx].any():
            runs.append((int(idx[0]), int(idx[-1])))
    return runs, closed


def closure_scores(real: np.ndarray, gen: np.ndarray, speech: np.ndarray, lag: int) -> tuple[float, float, int]:
    """(recall, precision, number of real events) of generated vs real closures after undoing ``lag``."""
    gen = shift(gen, lag)
    real_runs, real_closed = closure_runs(real, speech)
    gen_runs, gen_closed = closure_runs(gen, speech, floor=0.0)  # no tracker noise: its own median only

    def hit(run: tuple[int, int], closed: np.ndarray) -> bool:
        return bool(closed[max(0, run[0] - TOLERANCE) : run[1] + TOLERANCE + 1].any())

    recall = np.mean([hit(r, gen_closed) for r in real_runs]) if real_runs else float("nan")
    precision = np.mean([hit(g, real_closed) for g in gen_runs]) if gen_runs else float("nan")
    return float(recall), float(precision), len(real_runs)


def generated_opening(weights: np.ndarray) -> np.ndarray:
    """(T,) lip gap of the packaged canonical face driven by (T, 51) weights, minus its gap at rest.

    The canonical MediaPipe mesh has its lips 0.07 IOD apart at rest, while for the motion model all-zero
    weights mean relaxed, closed lips; measuring from the rest gap makes 0 mean "as closed as the neutral
    mouth" (the Pearson r does not depend on the offset).
    """
    m = default_model()
    rest = float(mouth_opening(m.canonical.astype(np.float64)))
    return mouth_opening(reconstruct(weights.astype(np.float64), m.canonical, m.basis)) - rest


def loo_models(clips: list[Clip], **train_kw) -> dict[str, MouthModel]:
    """Learned model per speaker group, trained on every other group's clips."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from train_mouth_model import clip_lags, train  # noqa: PLC0415

    lags = clip_lags(clips)
    groups = sorted({c.group for c in clips if c.benchmark})
    return {g: train([c for c in clips if c.group != g], lags, **train_kw) for g in groups}


def evaluate(
    clips: list[Clip], models: dict[str, MouthModel], old: dict[str, MouthModel], phone_models: dict[str, MouthModel]
) -> list[dict]:
    """Per benchmark clip: r, lag and closure scores of every method (``models``: current learned model
    per speaker group, ``old``: the previous default's, ``phone_models``: the phone model's)."""
    rows = []
    for c in clips:
        if not c.benchmark:
            continue
        n = len(c.opening)
        real = c.opening.astype(np.float64)
        speech = fit_length(c.features.speech.astype(bool), n)
        row = {"clip": c.name, "group": c.group, "frames": n, "phone_conf": c.phones.confidence}
        model = models[c.group]
        methods = {
            "auto": (MotionConfig(learned_model=model, learned_phone_model=phone_models[c.group]), c.phones),
            "learned": (MotionConfig(path="learned", learned_model=model), None),
            "head": (MotionConfig(path="learned", learned_model=model, learned_closures="phones"), None),
            "old": (MotionConfig(path="learned", learned_model=old[c.group], learned_closures="dips"), None),
            "phonemes": (MotionConfig(path="phonemes"), c.phones),
            "acoustic": (MotionConfig(path="acoustic"), c.phones),
        }
        for key, (cfg, phones) in methods.items():
            t0 = time.perf_counter()
            w = speech_motion(c.features, phones, cfg).weights
            row[f"{key}_s"] = time.perf_counter() - t0
            gen = fit_length(generated_opening(w), n)
            r, lag = best_lag_correlation(real, gen, MAX_LAG)
            rec, prec, n_ev = closure_scores(real, gen, speech, lag)
            row.update({f"{key}_r": r, f"{key}_lag": lag, f"{key}_rec": rec, f"{key}_prec": prec, "events": n_ev})
        # The regression alone: no closure head, nothing forced.
        bare = MotionConfig(path="learned", learned_model=replace(model, closure_depth=0.0), learned_closures="none")
        bare_gen = fit_length(generated_opening(speech_motion(c.features, None, bare).weights), n)
        row["bare_r"] = best_lag_correlation(real, bare_gen, MAX_LAG)[0]
        loud = scipy.ndimage.gaussian_filter1d(np.maximum(c.features.rms, -80.0), LOUDNESS_SIGMA_S * FPS)
        row["loud_r"], row["loud_lag"] = best_lag_correlation(real, fit_length(loud, n), MAX_LAG)
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    """Markdown table of ``evaluate`` rows with a median line."""
    head = "| clip | frames | closures | " + " | ".join(f"{k} r (lag) | {k} rec / prec" for k in METHODS)
    head += " | loudness r (lag) |"
    lines = [head, "|" + "---|" * (4 + 2 * len(METHODS))]

    def rp(row: dict, k: str) -> str:
        return f"{row[k + '_rec']:.2f} / {row[k + '_prec']:.2f}"

    for row in rows:
        lines.append(
            f"| {row['clip']} | {row['frames']} | {row['events']} | "
            + " | ".join(f"{row[k + '_r']:.3f} ({row[k + '_lag']:+d}) | {rp(row, k)}" for k in METHODS)
            + f" | {row['loud_r']:.3f} ({row['loud_lag']:+d}) |"
        )  # fmt: skip

    def med(key: str) -> float:
        return float(np.nanmedian([r[key] for r in rows]))

    def pooled(k: str) -> str:
        return f"{med(k + '_rec'):.2f} / {med(k + '_prec'):.2f}"

    lines.append(
        f"| **median ({len(rows)} clips)** | | {int(med('events'))} | "
        + " | ".join(f"**{med(k + '_r'):.3f}** | **{pooled(k)}**" for k in METHODS)
        + f" | **{med('loud_r'):.3f}** |"
    )  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-extra", action="store_true", help="train the CV folds on benchmark clips only")
    args = parser.parse_args()
    t0 = time.time()
    clips = load_clips(include_extra=not args.no_extra)
    print(f"{len(clips)} clips loaded ({sum(c.benchmark for c in clips)} benchmark) in {time.time() - t0:.0f} s")
    rows = evaluate(clips, loo_models(clips), loo_models(clips, **OLD_SETTINGS), loo_models(clips, phones=True))
    print(table(rows))
    bare = np.median([r["bare_r"] for r in rows])
    print(f"learned regression alone (no closure head, nothing forced): median r {bare:.3f}")
    frames = sum(r["frames"] for r in rows)
    for k in METHODS:
        secs = sum(r[f"{k}_s"] for r in rows)
        print(f"{k}: speech_motion {frames / secs / FPS:.0f}x real time ({frames} frames in {secs:.2f} s)")
    print(f"total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
