"""Training task of Xu et al.'s audio → intensity predictor (``moodtalk train intensity``).

Targets, per prepared clip with sound:

* the per-frame pseudo-intensity (``moodtalk.datasets.pseudo``) where the clip has a tracked face;
* the clip's intensity label as a weak target on the mean over its speech frames (RAVDESS normal / strong,
  CREMA-D and MEAD levels, neutral = 0): ``WEAK_FLOOR + (WEAK_CEIL - WEAK_FLOOR) x level``.

Loss per clip: mean squared error over its labelled frames + ``WEAK_WEIGHT`` x the squared error of its
mean; the batch loss is the mean over clips (so that DDP's gradient average is the global batch's).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from moodtalk.emotion.models.intensity import frame_features
from moodtalk.errors import InputError
from moodtalk.types import SpeechFeatures

WEAK_FLOOR = 0.15
"""Weak target of a neutral recording (the pseudo-labels of calm talking sit about here)."""
WEAK_CEIL = 0.75
"""Weak target of a recording at its dataset's strongest level."""
WEAK_WEIGHT = 1.0
"""Weight of the clip-level term against the frame-level one."""


@dataclass
class Item:
    """One prepared clip as the task uses it."""

    name: str
    speaker: str
    dataset: str
    features: np.ndarray
    """(T, F) model inputs."""
    speech: np.ndarray
    """(T,) bool voice activity."""
    pseudo: np.ndarray | None
    """(T,) pseudo-intensity, NaN where the face was not found; None without a face track."""
    level: float | None
    """Clip intensity label in [0, 1], None when unknown."""
    emotion: str
    intensity: str
    """The dataset's own intensity label ('strong', 'level 3', ...), '' when unknown."""
    pair_key: str
    record: Path


def speech_features_of(z: np.lib.npyio.NpzFile) -> SpeechFeatures:
    """The SpeechFeatures stored in a prepared record."""
    return SpeechFeatures(mel=z["mel"].astype(np.float32), rms=z["rms"], f0=z["f0"], voiced=z["voiced"],
                          speech=z["speech"], spectral=z["spectral"],
                          spectral_names=tuple(str(s) for s in z["spectral_names"]), fps=25.0)  # fmt: skip


def load_items(caches: list[Path]) -> list[Item]:
    """Every clip with sound and a target (pseudo-labels or an intensity label) in the caches' index.csv."""
    items = []
    for cache in caches:
        index = Path(cache) / "index.csv"
        if not index.is_file():
            raise InputError(cache, "is not a prepared cache (no index.csv; run `moodtalk prepare DATA -o CACHE`)")
        for row in csv.DictReader(index.open()):
            if row["status"] != "ok" or int(row.get("audio_frames") or 0) == 0:
                continue
            level = float(row["level"]) if row["level"] else None
            if level is None and not row["pseudo_intensity_mean"]:
                continue
            path = Path(cache) / row["record"]
            with np.load(path) as z:
                feats = speech_features_of(z)
                pseudo = None
                if "pseudo_intensity" in z.files:
                    n = min(len(feats), len(z["pseudo_intensity"]))
                    pseudo = np.full(len(feats), np.nan, np.float32)
                    pseudo[:n] = np.where(z["valid"][:n], z["pseudo_intensity"][:n], np.nan)
                meta = json.loads(str(z["meta"]))
            items.append(Item(row["file"], row["speaker"], row["dataset"], frame_features(feats),
                              feats.speech.astype(bool), pseudo, level, row["emotion"], row["intensity"],
                              meta["clip"].get("pair_key", ""), path))  # fmt: skip
    return items


def _pad(items: list[Item], starts: list[int], length: int) -> dict[str, torch.Tensor]:
    b, f = len(items), items[0].features.shape[1]
    x = np.zeros((b, length, f), np.float32)
    mask = np.zeros((b, length), bool)
    speech = np.zeros((b, length), bool)
    target = np.full((b, length), np.nan, np.float32)
    weak = np.full(b, np.nan, np.float32)
    for i, (it, s) in enumerate(zip(items, starts, strict=True)):
        n = min(length, len(it.features) - s)
        x[i, :n] = it.features[s : s + n]
        mask[i, :n] = True
        speech[i, :n] = it.speech[s : s + n]
        if it.pseudo is not None:
            target[i, :n] = it.pseudo[s : s + n]
        if it.level is not None:
            weak[i] = WEAK_FLOOR + (WEAK_CEIL - WEAK_FLOOR) * it.level
    return {"x": torch.from_numpy(x), "mask": torch.from_numpy(mask), "speech": torch.from_numpy(speech),
            "target": torch.from_numpy(target), "weak": torch.from_numpy(weak)}  # fmt: skip


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    d = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / d) if d > 0 else 0.0


def ravdess_pairs(means: dict[str, float], items: list[Item]) -> tuple[float, int]:
    """Share of RAVDESS (actor, emotion, sentence, take) pairs whose strong take has the higher mean
    (every emotion RAVDESS grades, calm included)."""
    by_key: dict[str, dict[str, float]] = {}
    for it in items:
        if it.dataset == "RAVDESS" and it.pair_key and it.name in means and it.intensity in ("normal", "strong"):
            by_key.setdefault(it.pair_key, {})[it.intensity] = means[it.name]
    pairs = [v for v in by_key.values() if len(v) == 2]
    if not pairs:
        return float("nan"), 0
    return float(np.mean([p["strong"] > p["normal"] for p in pairs])), len(pairs)


def evaluate(predict, items: list[Item]) -> dict[str, float]:  # noqa: ANN001 - predict: Item -> (T,) array
    """Pooled per-frame Pearson r with the pseudo-labels, RAVDESS strong > normal, weak-target error."""
    preds, targets, means = [], [], {}
    weak_err = []
    for it in items:
        p = predict(it)
        means[it.name] = float(p[it.speech].mean()) if it.speech.any() else float(p.mean())
        if it.pseudo is not None:
            ok = np.isfinite(it.pseudo)
            preds.append(p[ok])
            targets.append(it.pseudo[ok])
        if it.level is not None:
            weak_err.append((means[it.name] - (WEAK_FLOOR + (WEAK_CEIL - WEAK_FLOOR) * it.level)) ** 2)
    r = pearson(np.concatenate(preds), np.concatenate(targets)) if preds else float("nan")
    mse = float(np.mean((np.concatenate(preds) - np.concatenate(targets)) ** 2)) if preds else float("nan")
    acc, n = ravdess_pairs(means, items)
    return {"pseudo_r": r, "pseudo_mse": mse, "weak_mse": float(np.mean(weak_err)) if weak_err else float("nan"),
            "ravdess_strong_gt_normal": acc, "ravdess_pairs": float(n)}  # fmt: skip


class IntensityTask:
    """The ``Task`` of ``moodtalk.train.trainer`` for the intensity predictor."""

    name = "intensity"
    metric = "loss"
    higher_is_better = False

    def load(self, caches: list[Path]) -> list[Item]:
        return load_items(caches)

    def speaker(self, item: Item) -> str:
        return item.speaker

    def prepare_model(self, model: torch.nn.Module, train_items: list[Item]) -> None:
        x = np.concatenate([it.features for it in train_items])
        model.set_normalisation(x.mean(0), x.std(0))

    def batch(self, items: list[Item], rng: np.random.Generator, window: int) -> dict[str, torch.Tensor]:
        starts = [int(rng.integers(0, max(1, len(it.features) - window + 1))) for it in items]
        return _pad(items, starts, window)

    def loss(self, model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        y = model(batch["x"], batch["mask"])
        target, weak = batch["target"], batch["weak"]
        has = torch.isfinite(target) & batch["mask"]
        frame = torch.where(has, (y - torch.nan_to_num(target)) ** 2, 0.0).sum(1) / has.sum(1).clamp_min(1)
        sp = (batch["speech"] & batch["mask"]).float()
        sp = torch.where(sp.sum(1, keepdim=True) > 0, sp, batch["mask"].float())
        mean = (y * sp).sum(1) / sp.sum(1).clamp_min(1)
        clip = torch.where(torch.isfinite(weak), (mean - torch.nan_to_num(weak)) ** 2, 0.0)
        return (frame + WEAK_WEIGHT * clip).mean()

    @torch.no_grad()
    def validate(self, model: torch.nn.Module, items: list[Item]) -> dict[str, float]:
        model.eval()
        device = next(model.parameters()).device
        total = []
        preds: dict[str, np.ndarray] = {}
        for i in range(0, len(items), 32):
            chunk = items[i : i + 32]
            length = max(len(it.features) for it in chunk)
            batch = {k: v.to(device) for k, v in _pad(chunk, [0] * len(chunk), length).items()}
            total.append(float(self.loss(model, batch)) * len(chunk))
            y = model(batch["x"], batch["mask"]).cpu().numpy()
            for j, it in enumerate(chunk):
                preds[it.name] = y[j, : len(it.features)]
        model.train()
        return {"loss": float(np.sum(total) / len(items)), **evaluate(lambda it: preds[it.name], items)}

    def baseline(self, items: list[Item]) -> dict[str, float]:
        """The prosody rule (``moodtalk.emotion.intensity_from_speech``) on the same validation clips."""
        from moodtalk.emotion import intensity_from_speech

        def rule(it: Item) -> np.ndarray:
            with np.load(it.record) as z:
                return intensity_from_speech(speech_features_of(z))

        return evaluate(rule, items)
