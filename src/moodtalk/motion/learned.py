"""Learned speech → mouth model: ridge regression from a context window of normalised speech features.

Trained on real talking clips (``scripts/train_mouth_model.py``) in two linear steps:

1. ridge regression from the speech features of the clip's audio to the real inner-lip opening the face
   stage measured on the clip's video, standardised per clip (z-score, so speakers with small and large
   mouths count alike), with each clip's targets shifted by its measured audio–video lag;
2. an "opening pose": per mouth blendshape, the least-squares line ``w = pose_mean + pose_slope * z`` of
   the solved weights on the real standardised opening, pooled over all clips.

A third fit, logistic regression on the same inputs, gives each frame's probability that the real lips are
closed (``closure_*``: real closed frames = speech frames whose opening is below a quarter of the clip's
speech-time median, as in ``benchmarks/bm_lipsync.py``). The predicted opening is lowered by
``closure_depth`` times that probability, so a confident closure drives the pose to closed lips while
an unsure one only narrows the mouth (forcing a closure pose at every likely frame cost more
correlation than it gained in closure recall on held-out speakers).

The opening is low-passed (zero phase) and the weights clipped to [0, 1]. Everything is linear up to the
logistic, so it runs at thousands of frames per second.

Per-frame input (before stacking the context window):

* log-mel, pooled to ``n_bands`` bands, each normalised per utterance (mean over the utterance's speech
  frames removed, divided by the speech-frame std of all bands) so microphone and level differences
  cancel;
* loudness relative to the utterance's speech level (dB / 10), and its temporal derivative;
* voicing and voice activity (0/1);
* spectral shape: flatness, low-minus-high band energy (dB / 20), centroid, F1 and F2 proxies (kHz)
  and roll-off (kHz / 4).

The shipped file holds two models: an acoustic-only one (any language) and a **phone model** whose
per-frame input also holds the one-hot viseme of the recognised phone at the frame's centre
(``phone_frame_inputs``; 15 columns, "sil" outside every segment), used by ``speech_motion`` when a
confident phone timeline (English) is given. On 24 real clips (``benchmarks/bm_lipsync.py``,
leave-one-speaker-out) the phone inputs raise the median r from 0.47 to 0.51 at closure recall 1.00.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from moodtalk.motion.signal import finite, lowpass
from moodtalk.motion.targets import VISEMES
from moodtalk.types import PhoneTimeline, SpeechFeatures

MODEL_FILE = "mouth_model.npz"
"""Package-data file (``moodtalk/data``) of the shipped models."""
PHONE_PREFIX = "phones_"
"""Key prefix of the phone model's arrays in the model file (the acoustic model's keys have none)."""
LEVEL_DB = 10.0
"""Loudness scale of the relative-level inputs (dB per unit)."""
QUIET_DB = 40.0
"""Relative levels are clipped below -QUIET_DB (the utterance's silence floor differs per mic)."""


@dataclass(frozen=True)
class MouthModel:
    """A trained linear speech → mouth-shape model."""

    shapes: tuple[str, ...]
    """Names of the predicted blendshapes (K)."""
    context: int
    """Frames of context on each side: the window is ``2 * context + 1`` frames."""
    n_bands: int
    """Mel bands after pooling."""
    mean: np.ndarray
    """(D,) input mean (training set)."""
    scale: np.ndarray
    """(D,) input std (training set)."""
    coef: np.ndarray
    """(D,) ridge coefficients on the standardised input → standardised opening z."""
    intercept: float
    """Offset of z."""
    pose_mean: np.ndarray
    """(K,) weights of the shapes at z = 0 (the speaker's typical opening)."""
    pose_slope: np.ndarray
    """(K,) change of the weights per unit of z."""
    gain: float = 1.0
    """Scale of the predicted z (compensates ridge shrinkage)."""
    smooth_hz: float = 5.0
    """Cut-off of the zero-phase low-pass on the predicted z (0: none)."""
    closure_coef: np.ndarray | None = None
    """(D,) logistic coefficients on the standardised input → lips-closed log-odds (None: no closure head)."""
    closure_intercept: float = 0.0
    """Offset of the lips-closed log-odds."""
    closure_depth: float = 0.0
    """z subtracted from the (low-passed) opening at closure probability 1."""
    phone_inputs: bool = False
    """Whether the per-frame input ends with the viseme one-hot of a phone timeline (``phone_frame_inputs``,
    ``len(VISEMES)`` columns): such a model needs phones to predict."""

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The model as named arrays (keys prefixed with ``prefix``), as ``save`` writes them."""
        a = dict(
            shapes=np.array(self.shapes), context=self.context, n_bands=self.n_bands,
            mean=self.mean.astype(np.float32), scale=self.scale.astype(np.float32),
            coef=self.coef.astype(np.float32), intercept=self.intercept, pose_mean=self.pose_mean.astype(np.float32),
            pose_slope=self.pose_slope.astype(np.float32), gain=self.gain, smooth_hz=self.smooth_hz,
            closure_coef=(np.zeros(0) if self.closure_coef is None else self.closure_coef).astype(np.float32),
            closure_intercept=self.closure_intercept, closure_depth=self.closure_depth,
            phone_inputs=self.phone_inputs,
        )  # fmt: skip
        return {prefix + k: np.asarray(v) for k, v in a.items()}

    def save(self, path: str, phone_model: MouthModel | None = None) -> None:
        """Write the model as a compressed ``.npz``, with ``phone_model`` (if any) under ``PHONE_PREFIX``."""
        extra = phone_model.arrays(PHONE_PREFIX) if phone_model is not None else {}
        np.savez_compressed(path, **self.arrays(), **extra)


def load_model_file(path, phones: bool = False) -> MouthModel:
    """Read a model written by ``MouthModel.save``: the acoustic model, or with ``phones`` the phone model
    (KeyError if the file holds none)."""
    pre = PHONE_PREFIX if phones else ""
    with np.load(path) as f:
        if pre + "coef" not in f:
            raise KeyError(f"{path} holds no phone model")
        z = {k[len(pre) :]: f[k] for k in f.files if k.startswith(pre)}
        closure = z["closure_coef"].astype(np.float64) if "closure_coef" in z else np.zeros(0)
        return MouthModel(
            shapes=tuple(str(s) for s in z["shapes"]), context=int(z["context"]), n_bands=int(z["n_bands"]),
            mean=z["mean"].astype(np.float64), scale=z["scale"].astype(np.float64),
            coef=z["coef"].astype(np.float64), intercept=float(z["intercept"]),
            pose_mean=z["pose_mean"].astype(np.float64), pose_slope=z["pose_slope"].astype(np.float64),
            gain=float(z["gain"]), smooth_hz=float(z["smooth_hz"]),
            closure_coef=closure if closure.size else None,
            closure_intercept=float(z["closure_intercept"]) if closure.size else 0.0,
            closure_depth=float(z["closure_depth"]) if closure.size else 0.0,
            phone_inputs=bool(z["phone_inputs"]) if "phone_inputs" in z else False,
        )  # fmt: skip


@lru_cache(maxsize=2)
def default_mouth_model(phones: bool = False) -> MouthModel:
    """The shipped acoustic model (``moodtalk/data/mouth_model.npz``), or with ``phones`` the shipped phone
    model (viseme inputs), loaded once."""
    with resources.as_file(resources.files("moodtalk") / "data" / MODEL_FILE) as p:
        return load_model_file(p, phones)


def phone_frame_inputs(phones: PhoneTimeline, n_frames: int, fps: float) -> np.ndarray:
    """(T, len(VISEMES)) one-hot viseme of the phone segment holding each frame's centre ``(i + 0.5) / fps``
    ("sil" outside every segment and for unknown visemes; where segments overlap the later one wins)."""
    t = (np.arange(n_frames) + 0.5) / fps
    idx = np.zeros(n_frames, dtype=np.int64)
    for s in phones.segments:
        idx[(t >= s.start) & (t < s.end)] = VISEMES.index(s.viseme) if s.viseme in VISEMES else 0
    out = np.zeros((n_frames, len(VISEMES)))
    out[np.arange(n_frames), idx] = 1.0
    return out


def frame_inputs(features: SpeechFeatures, n_bands: int, phones: PhoneTimeline | None = None) -> np.ndarray:
    """(T, F) per-frame inputs, normalised per utterance (see the module docstring); with ``phones``
    the viseme one-hot (``phone_frame_inputs``) is appended: (T, F + len(VISEMES))."""
    if phones is not None:
        acoustic = frame_inputs(features, n_bands)
        return np.column_stack([acoustic, phone_frame_inputs(phones, len(features), float(features.fps))])
    n = len(features)
    speech = np.asarray(features.speech, dtype=bool)
    voiced = np.asarray(features.voiced, dtype=bool) & speech
    ref = speech if speech.sum() >= 3 else np.ones(n, dtype=bool)
    mel = finite(features.mel, -100.0)
    if n == 0:
        return np.zeros((0, n_bands + 11))
    # Pool the mel bands into n_bands groups of neighbours (each group at least one band, so any mel
    # resolution gives the model's input size).
    edges = np.linspace(0, mel.shape[1], n_bands + 1)
    lo = np.minimum(np.floor(edges[:-1]).astype(int), mel.shape[1] - 1)
    hi = np.maximum(np.round(edges[1:]).astype(int), lo + 1)
    bands = np.stack([mel[:, a:b].mean(1) for a, b in zip(lo, hi, strict=True)], axis=1)
    peak = np.percentile(bands[ref], 90, axis=0)
    bands = np.maximum(bands, peak - QUIET_DB)
    bands = (bands - bands[ref].mean(0)) / max(float(bands[ref].std()), 1.0)
    rms = finite(features.rms, -100.0)
    level = np.percentile(rms[ref], 90)
    rel = np.maximum(rms - level, -QUIET_DB) / LEVEL_DB
    drel = np.gradient(rel) if n > 1 else np.zeros(n)

    def col(name: str, fill: float) -> np.ndarray:
        if name not in features.spectral_names:
            return np.full(n, fill)
        return finite(features.spectral[:, features.spectral_names.index(name)], fill)

    spectral = np.stack([
        col("flatness", 1.0),
        np.clip(col("low_high_db", 0.0), -60.0, 60.0) / 20.0,
        col("centroid_hz", 1500.0) / 1000.0,
        col("f1_hz", 500.0) / 1000.0,
        col("f2_hz", 1500.0) / 1000.0,
        col("rolloff_hz", 4000.0) / 4000.0,
    ], axis=1)  # fmt: skip
    spectral = spectral * speech[:, None]  # silence: spectral shape of noise is meaningless
    return np.column_stack([bands, rel, drel, voiced, speech, (rel + 2.0) * voiced, spectral])


def stack_context(x: np.ndarray, context: int) -> np.ndarray:
    """(T, F) → (T, (2 * context + 1) * F): frames t - context .. t + context, edges repeated."""
    n = x.shape[0]
    if context == 0 or n == 0:
        return x
    padded = np.concatenate([np.repeat(x[:1], context, 0), x, np.repeat(x[-1:], context, 0)])
    return np.concatenate([padded[k : k + n] for k in range(2 * context + 1)], axis=1)


def model_inputs(
    features: SpeechFeatures, context: int, n_bands: int, phones: PhoneTimeline | None = None
) -> np.ndarray:
    """(T, D) stacked inputs of ``features`` (and ``phones``, for a phone model) for a model with this
    context and band count."""
    return stack_context(frame_inputs(features, n_bands, phones), context)


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ridge on standardised inputs, penalty ``alpha`` per sample: returns (mean, scale, coef, intercept)."""
    mean = x.mean(0)
    scale = x.std(0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    ym = y.mean(0)
    gram = z.T @ z
    gram[np.diag_indices_from(gram)] += alpha * len(z)
    coef = np.linalg.solve(gram, z.T @ (y - ym))
    return mean, scale, coef, ym


def fit_logistic(z: np.ndarray, y: np.ndarray, alpha: float, iters: int = 25) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression by Newton's method on standardised inputs ``z`` (N, D) and 0/1
    labels ``y`` (N,), penalty ``alpha`` per sample on the coefficients (not the intercept): (coef, intercept).
    """
    n, d = z.shape
    a = np.column_stack([z, np.ones(n)])
    beta = np.zeros(d + 1)
    beta[-1] = np.log(max(y.mean(), 1e-3) / max(1.0 - y.mean(), 1e-3))
    penalty = np.full(d + 1, alpha * n)
    penalty[-1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(a @ beta)))
        grad = a.T @ (p - y) + penalty * beta
        hess = (a * (p * (1.0 - p))[:, None]).T @ a
        hess[np.diag_indices_from(hess)] += penalty + 1e-9
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return beta[:-1], float(beta[-1])


def predict_opening(
    features: SpeechFeatures, model: MouthModel, closures: bool = True, phones: PhoneTimeline | None = None
) -> np.ndarray:
    """(T,) predicted standardised mouth opening z (0 = the speaker's median opening, 1 = one std wider).

    With ``closures`` (and a model with a closure head) z is lowered by ``closure_depth`` times the
    predicted probability that the lips are closed. ``phones``: the phone timeline, required by (and
    only used by) a model with ``phone_inputs``.

    Raises:
        ValueError: ``model.phone_inputs`` and no ``phones``.
    """
    if model.phone_inputs and phones is None:
        raise ValueError("this mouth model takes phone inputs: pass a phone timeline")
    x = frame_inputs(features, model.n_bands, phones if model.phone_inputs else None)  # (T, F)
    n, f = x.shape
    if n == 0:
        return np.zeros(0)
    use_head = closures and model.closure_coef is not None and model.closure_depth > 0
    coefs = [np.ravel(model.coef)] + ([np.ravel(model.closure_coef)] if use_head else [])
    coef = np.stack(coefs, axis=1)  # (D, 1 or 2): opening and closure log-odds
    # The same as ((stack_context(x) - mean) / scale) @ coef, one context offset at a time, so a
    # long file never holds the (T, (2c+1)F) stacked matrix.
    c = model.context
    w = (coef / model.scale[:, None]).reshape(2 * c + 1, f, coef.shape[1])  # (2c+1, F, 1 or 2)
    bias = (model.mean / model.scale) @ coef
    padded = np.concatenate([np.repeat(x[:1], c, 0), x, np.repeat(x[-1:], c, 0)]) if c else x
    out = np.tile(-bias, (n, 1))
    for k in range(2 * c + 1):
        out += padded[k : k + n] @ w[k]
    z = model.intercept + model.gain * out[:, 0]
    if model.smooth_hz > 0:
        z = lowpass(z, model.smooth_hz, features.fps)
    if use_head:
        z = z - model.closure_depth / (1.0 + np.exp(-(out[:, 1] + model.closure_intercept)))
    return z


def predict_shapes(
    features: SpeechFeatures, model: MouthModel, closures: bool = True, phones: PhoneTimeline | None = None
) -> np.ndarray:
    """(T, K) predicted weights of ``model.shapes`` in [0, 1] (not gated by silence); ``closures``: apply
    the closure head, ``phones``: for a phone model (``predict_opening``)."""
    z = predict_opening(features, model, closures, phones)
    return np.clip(model.pose_mean + np.outer(z, model.pose_slope), 0.0, 1.0)
