"""Speed and memory of the whole speech→motion stage (speech features, mouth, behaviour, emotion).

    .venv/bin/python benchmarks/bm_motion.py [--data ../shared/data] [--runs 3] [--long-minutes 60]

1. 60 s of real speech (files of DATA/speech concatenated): median wall time of
   ``pipeline.speech_to_motion`` over several runs → real-time factor, with the default mouth model
   and with an emotion.
2. A long file (the 60 s tiled to ``--long-minutes``): `moodtalk animate` in a child process; its
   peak resident memory (the child's VmHWM, read while it runs) and wall time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from moodtalk.evaluation.speed import run_with_peak_memory
from moodtalk.pipeline import EmotionOptions, speech_to_motion
from moodtalk.types import AudioTrack
from moodtalk.video import read_audio

ROOT = Path(__file__).resolve().parents[1]


def sixty_seconds(data: Path) -> AudioTrack:
    parts, total = [], 0
    for path in sorted((data / "speech").glob("*.wav")):
        y = read_audio(path, 16000).samples
        parts.append(y)
        total += len(y)
        if total >= 60 * 16000:
            break
    return AudioTrack(np.concatenate(parts)[: 60 * 16000], 16000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--long-minutes", type=float, default=60.0)
    args = ap.parse_args()
    audio = sixty_seconds(args.data)
    speech_to_motion(audio)  # warm-up: imports and model loading are not the stage's speed
    for label, emotion in (("neutral", None), ("happy, intensity auto", EmotionOptions("happy", "auto"))):
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            speech_to_motion(audio, emotion=emotion)
            times.append(time.perf_counter() - t0)
        med = float(np.median(times))
        print(f"speech→motion ({label}), 60 s of real speech: median {med:.2f} s over {args.runs} runs "
              f"({', '.join(f'{t:.2f}' for t in times)}) = {60 / med:.0f}x real time")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        reps = int(np.ceil(args.long_minutes))
        long = Path(tmp) / "long.wav"
        with sf.SoundFile(long, "w", 16000, 1) as f:
            for _ in range(reps):
                f.write(audio.samples)
        t0 = time.perf_counter()
        res, peak_mb = run_with_peak_memory([sys.executable, "-m", "moodtalk.cli", "animate", str(long), "-o", tmp])
        wall = time.perf_counter() - t0
        status = "ok" if res.returncode == 0 else f"FAILED: {res.stderr.strip()[-300:]}"
        print(f"`moodtalk animate` on {reps} min of audio: {status}, {wall:.0f} s wall "
              f"({reps * 60 / wall:.0f}x real time), peak memory {peak_mb:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
