"""End-to-end speed and memory of `generate` (audio analysis + motion + render + encode).

    .venv/bin/python benchmarks/bm_generate.py [--data ../shared/data] [--runs 3] [--long-minutes 10]

1. A 20 s real speech clip on a real portrait at 512 and 256: median wall time of
   ``pipeline.generate`` over several runs (in-process, imports excluded) → real-time factor, and
   time to the first encoded frame.
2. ``--long-minutes`` of audio (the clip tiled) through `moodtalk generate` in a child process at
   512: wall time and peak resident memory of the child.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from moodtalk.pipeline import generate
from moodtalk.video import read_audio

ROOT = Path(__file__).resolve().parents[1]
SPEECH = "speech/styletalk__Obama_clip1.wav"
PORTRAIT = "portraits/makeittalk__obama.jpg"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--long-minutes", type=float, default=10.0)
    args = ap.parse_args()
    audio, portrait = args.data / SPEECH, args.data / PORTRAIT
    seconds = read_audio(audio).duration
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.mp4"
        generate(audio, out, portrait=portrait, size=256, overwrite=True, progress=False, preview_seconds=1)  # warm-up
        for size in (512, 256):
            walls, firsts = [], []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                result = generate(audio, out, portrait=portrait, size=size, overwrite=True, progress=False)
                walls.append(time.perf_counter() - t0)
                firsts.append(result.first_frame_seconds)
            wall = float(np.median(walls))
            first_ms = 1000 * float(np.median(firsts))
            print(f"generate {size}x{size}, {seconds:.1f} s of speech: median {wall:.2f} s over {args.runs} runs "
                  f"({', '.join(f'{w:.2f}' for w in walls)}) = {result.frames / wall:.0f} fps, "
                  f"{seconds / wall:.2f}x real time; first frame after {first_ms:.0f} ms")  # fmt: skip
        reps = int(np.ceil(args.long_minutes * 60 / seconds))
        y = read_audio(audio).samples
        long = Path(tmp) / "long.wav"
        with sf.SoundFile(long, "w", 16000, 1) as f:
            for _ in range(reps):
                f.write(y)
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "moodtalk.cli", "generate", "--audio", str(long), "--portrait", str(portrait),
               "-o", str(Path(tmp) / "long.mp4")]  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        status = "ok" if res.returncode == 0 else f"FAILED: {res.stderr.strip()[-300:]}"
        minutes = reps * seconds / 60
        print(f"`moodtalk generate` 512x512 on {minutes:.1f} min of audio: {status}, {wall:.0f} s wall "
              f"({minutes * 60 / wall:.2f}x real time), peak memory {peak:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
