"""A tiny prepared cache in the format ``moodtalk prepare`` writes, with a learnable relation: the louder and
higher the synthetic voice, the higher the pseudo-intensity of the face."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from moodtalk.audio.features import SPECTRAL_NAMES
from moodtalk.datasets.prepare import INDEX_COLUMNS


def write_synthetic_cache(root: Path, speakers: int = 4, clips: int = 3, frames: int = 40, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    (root / "records").mkdir(parents=True)
    rows = []
    for s in range(speakers):
        for c in range(clips):
            name = f"spk{s}/clip{c}"
            hidden = np.clip(0.5 + 0.4 * np.sin(np.linspace(0, 3, frames) + rng.uniform(0, 6)), 0, 1)
            rms = (-40 + 25 * hidden + rng.normal(0, 1, frames)).astype(np.float32)
            f0 = (120 + 80 * hidden).astype(np.float32)
            mel = (rms[:, None] + rng.normal(0, 2, (frames, 80))).astype(np.float16)
            record = root / "records" / f"spk{s}__clip{c}.npz"
            level = "" if c else "1.000"  # one clip per speaker also has a clip-level label
            meta = {"clip": {"name": name, "speaker": f"spk{s}", "dataset": "synthetic", "emotion": "angry",
                             "pair_key": ""}, "fingerprint": "test", "fps": 25.0}  # fmt: skip
            np.savez_compressed(record, meta=np.array(json.dumps(meta)), mel=mel, rms=rms, f0=f0,
                                voiced=np.ones(frames, bool), speech=np.ones(frames, bool),
                                spectral=rng.normal(0, 1, (frames, 6)).astype(np.float32),
                                spectral_names=np.array(SPECTRAL_NAMES), valid=np.ones(frames, bool),
                                pseudo_intensity=hidden.astype(np.float32))  # fmt: skip
            rows.append({"file": name, "speaker": f"spk{s}", "dataset": "synthetic", "emotion": "angry",
                         "intensity": "", "level": level, "frames": frames, "audio_frames": frames,
                         "seconds": frames / 25, "status": "ok", "pseudo_intensity_mean": f"{hidden.mean():.4f}",
                         "record": f"records/spk{s}__clip{c}.npz"})  # fmt: skip
    with open(root / "index.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=INDEX_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return root


@pytest.fixture()
def synthetic_cache(tmp_path: Path) -> Path:
    return write_synthetic_cache(tmp_path / "cache")
