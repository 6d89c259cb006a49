"""Test signals for the speech-analysis tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from moodtalk.types import AudioTrack

BILABIAL_SENTENCE = "Peter bought a map of Bombay"


def tone(freq_hz: float, seconds: float, sr: int = 16_000, amplitude: float = 0.5) -> AudioTrack:
    """A pure sine."""
    t = np.arange(round(seconds * sr)) / sr
    return AudioTrack((amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32), sr)


def noise(seconds: float, sr: int = 16_000, rms: float = 0.1, seed: int = 0) -> AudioTrack:
    """White Gaussian noise."""
    rng = np.random.default_rng(seed)
    return AudioTrack((rms * rng.standard_normal(round(seconds * sr))).astype(np.float32), sr)


def read_track(path: Path) -> AudioTrack:
    """A sound file as a mono float32 track."""
    samples, sr = sf.read(path, dtype="float32", always_2d=True)
    return AudioTrack(np.ascontiguousarray(samples.mean(axis=1), dtype=np.float32), sr)
