"""Time the speech-analysis stage on 60 s of real speech (not a test).

Concatenates files from ../shared/data/speech until 60 s, runs ``speech_features`` and
``recognize_phones`` three times each and prints the median real-time factor (audio seconds per
second of compute; higher is faster). Run with ``.venv/bin/python benchmarks/bm_audio.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from moodtalk.audio import recognize_phones, speech_features
from moodtalk.types import AudioTrack

SPEECH_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "speech"
TARGET_S = 60.0
SR = 16_000
RUNS = 3


def load_speech() -> AudioTrack:
    """60 s of real speech at 16 kHz, from the shared data files in name order."""
    pieces, total = [], 0
    for path in sorted(SPEECH_DIR.glob("*.wav")):
        samples, sr = sf.read(path, dtype="float32", always_2d=True)
        mono = samples.mean(axis=1)
        if sr != SR:
            mono = resample_poly(mono, SR, sr)
        pieces.append(mono.astype(np.float32))
        total += mono.shape[0]
        if total >= TARGET_S * SR:
            break
    return AudioTrack(np.concatenate(pieces)[: int(TARGET_S * SR)], SR)


def median_rtf(label: str, fn, audio: AudioTrack) -> None:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn(audio)
        times.append(time.perf_counter() - start)
    med = statistics.median(times)
    print(f"{label:18s} median {med:6.2f} s over {RUNS} runs  ->  {audio.duration / med:6.1f}x real time")


def main() -> int:
    if not SPEECH_DIR.is_dir():
        print(f"{SPEECH_DIR} is absent", file=sys.stderr)
        return 1
    audio = load_speech()
    print(f"{audio.duration:.1f} s of speech from {SPEECH_DIR}")
    speech_features(audio)  # warm up imports and caches
    median_rtf("speech_features", speech_features, audio)
    median_rtf("recognize_phones", recognize_phones, audio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
