"""Train the learned speech → mouth model and write ``src/moodtalk/data/mouth_model.npz``.

Data: the real talking clips of ``../shared/data`` (``benchmarks/lipsync_data.py``; the face-stage results
are cached under ``runs/lipsync_cache/``). Inputs are each clip's speech features at 25 fps
(``moodtalk.motion.learned.model_inputs``), targets the mouth blendshapes the face stage solved on the
clip's video. Each clip's targets are first shifted by its audio-video offset: the best lag (+-12 frames)
of the rule acoustic model's opening against the real opening, minus the median over all clips (so only
the clip's own sync error is removed, not the typical lip lead). Ridge regression (closed form) for the
opening, L2 logistic regression (Newton) for the closure head on the same inputs; its targets are the
clip's real closed frames (speech frames, +-2, whose opening is below ``max(25 % of the speech-time
median, 0.04)``, the benchmark's closure definition).

Settings: context and ridge penalty as before the closure head (+-6 frames, 0.01; +-9 / 0.03 was even on
the 11 training-only clips). The closure depth (``CLOSURE_SHIFT``, in steps of 1) maximises the median r
subject to median closure recall >= 0.8 with the default ``MotionConfig`` (closures also forced at
acoustic dips), picked per held-out speaker on the other clips' leave-one-speaker-out predictions: 3 in
15 of 16 folds. A small 1-D dilated-conv network (PyTorch, 4 residual blocks, 32 channels, correlation
+ MSE loss, time-stretch / noise / +-1 frame jitter augmentation) and ridge on 500-2000 random ReLU
features both scored lower than the linear model in the same folds (median r 0.39 and 0.46-0.51 vs 0.51
before the pose mapping): ~10 k frames are too few for a nonlinear model to pay off.

Two models go into the file, with the same settings: the acoustic-only model, and the phone model whose
per-frame inputs also hold the one-hot viseme of the clip's recognised phones (pocketsphinx, cached with
the clip; ``learned.phone_frame_inputs``), trained on the clips whose phone confidence reaches
``MotionConfig.min_phone_confidence`` (all of them). Leave-one-speaker-out on the 24 benchmark clips,
same run: median r 0.467 → 0.507, closure recall 1.00 → 1.00 (``speech_motion`` defaults, closures
also forced at recognised bilabials). Also tried there: the phoneme path's own coarticulated opening
(z-scored) + its bilabial-closure indicator as inputs (r 0.506), both with the one-hot (0.505); a
weighted average of the learned and phoneme-path weights (weight chosen per held-out speaker on the
other clips' scores) reaches r 0.54 with recall 0.85 but needs a second path at run time (not shipped).

Cross-validated scores: ``benchmarks/bm_lipsync.py`` (leave-one-speaker-out).

Run: ``.venv/bin/python scripts/train_mouth_model.py [--out src/moodtalk/data/mouth_model.npz]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from lipsync_data import Clip, closed_mask, load_clips  # noqa: E402
from moodtalk.metrics import best_lag_correlation  # noqa: E402
from moodtalk.motion import MotionConfig, speech_motion  # noqa: E402
from moodtalk.motion.learned import MouthModel, fit_logistic, fit_ridge, model_inputs  # noqa: E402
from moodtalk.motion.speech import phones_usable  # noqa: E402
from moodtalk.motion.targets import MOUTH_SHAPES  # noqa: E402
from moodtalk.types import BLENDSHAPE_NAMES  # noqa: E402

CONTEXT = 6
"""Frames of context on each side (+-240 ms at 25 fps)."""
N_BANDS = 20
"""Mel bands after pooling."""
ALPHA = 0.01
"""Ridge penalty per training frame (on standardised inputs)."""
CLOSURE_ALPHA = 0.001
"""Logistic (closure head) penalty per training frame."""
CLOSURE_SHIFT = 3.0
"""Closure head: z (before the gain) subtracted at closure probability 1."""
SMOOTH_HZ = 5.0
"""Low-pass cut-off of the predicted opening."""
TARGET_SHAPES = MOUTH_SHAPES
"""Blendshapes the model predicts."""
MAX_LAG = 12


def clip_lags(clips: list[Clip]) -> dict[str, int]:
    """Per clip, its sync offset in frames (audio features at t + lag go with video frame t)."""
    from moodtalk.face.model import default_model  # noqa: PLC0415
    from moodtalk.face.solver import reconstruct  # noqa: PLC0415
    from moodtalk.geometry.landmarks import mouth_opening  # noqa: PLC0415

    m = default_model()
    raw = {}
    for c in clips:
        w = speech_motion(c.features, None, MotionConfig(path="acoustic")).weights.astype(np.float64)
        gen = mouth_opening(reconstruct(w, m.canonical, m.basis))
        n = min(len(c.opening), len(gen))
        raw[c.name] = best_lag_correlation(c.opening[:n].astype(np.float64), gen[:n], MAX_LAG)[1]
    med = int(np.median(list(raw.values())))
    return {k: v - med for k, v in raw.items()}


def standardised_opening(clip: Clip) -> np.ndarray:
    """(T,) the clip's real opening as a z-score about its median."""
    o = clip.opening.astype(np.float64)
    return (o - np.median(o)) / max(float(o.std()), 1e-6)


def closed_frames(clip: Clip) -> np.ndarray:
    """(T,) bool: video frames where the real lips are closed near speech (``lipsync_data.closed_mask``, the
    benchmark's closure definition)."""
    o = clip.opening.astype(np.float64)
    speech = np.zeros(len(o), dtype=bool)
    n = min(len(o), len(clip.features))
    speech[:n] = np.asarray(clip.features.speech, dtype=bool)[:n]
    closed, near = closed_mask(o, speech)
    return closed & near


def training_pairs(
    clip: Clip, lag: int, context: int, n_bands: int, phones: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(X, z, W, closed) of one clip: inputs of audio frame t + lag against the video's frame t (opening z,
    the solved mouth weights and whether the lips are closed); ``phones``: with the clip's viseme inputs."""
    x = model_inputs(clip.features, context, n_bands, clip.phones if phones else None)
    cols = [BLENDSHAPE_NAMES.index(s) for s in TARGET_SHAPES]
    z = standardised_opening(clip)
    n = min(len(z), len(x))
    t = np.arange(n)
    src = t + lag
    ok = (src >= 0) & (src < len(x))
    closed = closed_frames(clip)
    return x[src[ok]], z[t[ok]], clip.weights[t[ok]][:, cols].astype(np.float64), closed[t[ok]]


def train(
    clips: list[Clip],
    lags: dict[str, int],
    context: int = CONTEXT,
    n_bands: int = N_BANDS,
    alpha: float = ALPHA,
    closure_shift: float = CLOSURE_SHIFT,
    phones: bool = False,
) -> MouthModel:
    """Ridge model (+ closure head unless ``closure_shift`` is 0) on the given clips (each frame counts once);
    ``phones``: the phone model (viseme inputs), trained on the clips whose phones are usable only."""
    if phones:
        clips = [c for c in clips if phones_usable(c.phones, MotionConfig())]
    pairs = [training_pairs(c, lags.get(c.name, 0), context, n_bands, phones) for c in clips]
    x = np.concatenate([p[0] for p in pairs])
    z = np.concatenate([p[1] for p in pairs])
    w = np.concatenate([p[2] for p in pairs])
    closed = np.concatenate([p[3] for p in pairs]).astype(np.float64)
    mean, scale, coef, intercept = fit_ridge(x, z[:, None], alpha)
    closure_coef, closure_intercept = None, 0.0
    if closure_shift > 0:
        closure_coef, closure_intercept = fit_logistic((x - mean) / scale, closed, CLOSURE_ALPHA)
    pred = ((x - mean) / scale) @ coef[:, 0]
    # Ridge shrinks the swing: scale it back towards the real one (at most 2x).
    gain = float(np.clip(z.std() / max(pred.std(), 1e-6), 1.0, 2.0))
    # Opening pose: least-squares line of each solved mouth weight on the real z.
    zc = z - z.mean()
    slope = (zc @ (w - w.mean(0))) / max(float(zc @ zc), 1e-9)
    pose_mean = w.mean(0) - slope * z.mean()
    return MouthModel(tuple(TARGET_SHAPES), context, n_bands, mean, scale, coef[:, 0], float(intercept[0]),
                      pose_mean, slope, gain, SMOOTH_HZ, closure_coef, closure_intercept,
                      closure_shift * gain, phones)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "src" / "moodtalk" / "data" / "mouth_model.npz")
    args = parser.parse_args()
    clips = load_clips()
    lags = clip_lags(clips)
    model = train(clips, lags)
    phone_model = train(clips, lags, phones=True)
    model.save(str(args.out), phone_model)
    n_phones = sum(phones_usable(c.phones, MotionConfig()) for c in clips)
    print(f"trained on {len(clips)} clips ({n_phones} with usable phones), {sum(len(c.opening) for c in clips)} "
          f"frames; D={model.coef.shape[0]} / {phone_model.coef.shape[0]} (phones), gain={model.gain:.2f} / "
          f"{phone_model.gain:.2f} → {args.out} ({args.out.stat().st_size / 1024:.0f} kB)")  # fmt: skip


if __name__ == "__main__":
    main()
