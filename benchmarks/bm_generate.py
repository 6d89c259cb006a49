"""End-to-end speed and memory of `generate` (audio analysis + motion + render + encode).

    .venv/bin/python benchmarks/bm_generate.py [--data ../shared/data] [--runs 3] [--long-minutes 10]

1. A 20 s real speech clip on a real portrait at 512 and 256: median wall time of
   ``pipeline.generate`` over several runs (in-process, imports excluded) → real-time factor, and
   time to the first encoded frame.
2. Time to the first encoded frame for 20 s, 60 s and ``--long-minutes`` of audio (the clip tiled),
   512: median over ``--runs`` in-process runs, each stopped once its first frame is encoded. "First
   frame" is the same clock as ``GenerateResult.first_frame_seconds``: from calling ``generate`` (audio
   reading, the portrait's face tracking and the speech analysis included, imports excluded) until the
   writer has encoded frame 0.
3. ``--long-minutes`` of audio (the clip tiled) through `moodtalk generate` in a child process at
   512: wall time and peak resident memory of the child.

    --skip-speed  leave out step 1
    --skip-long   leave out step 3 (the longest)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
import soundfile as sf

from moodtalk.evaluation.speed import run_with_peak_memory
from moodtalk.pipeline import generate
from moodtalk.video import read_audio
from moodtalk.video.writer import VideoWriter

ROOT = Path(__file__).resolve().parents[1]
SPEECH = "speech/styletalk__Obama_clip1.wav"
PORTRAIT = "portraits/makeittalk__obama.jpg"


class _FirstFrame(Exception):
    """Raised by the patched writer to stop a run once its first frame is encoded."""


def time_to_first_frame(audio: Path, portrait: Path, out: Path, size: int) -> float:
    """Seconds from calling ``generate`` until the writer has encoded its first frame."""
    write = VideoWriter.write
    encoded = []

    def write_then_stop(self: VideoWriter, frames: np.ndarray) -> None:
        write(self, frames)
        encoded.append(time.perf_counter() - started)
        raise _FirstFrame

    with mock.patch.object(VideoWriter, "write", write_then_stop):
        started = time.perf_counter()
        try:
            generate(audio, out, portrait=portrait, size=size, overwrite=True, progress=False)
        except _FirstFrame:
            pass
    return encoded[0]


def tiled(clip: np.ndarray, seconds: float, path: Path) -> Path:
    """A wav of ``seconds`` of the 16 kHz clip repeated, written block by block."""
    with sf.SoundFile(path, "w", 16000, 1) as f:
        left = int(seconds * 16000)
        while left > 0:
            f.write(clip[:left])
            left -= min(left, clip.size)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--long-minutes", type=float, default=10.0)
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-long", action="store_true")
    args = ap.parse_args()
    audio, portrait = args.data / SPEECH, args.data / PORTRAIT
    seconds = read_audio(audio).duration
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.mp4"
        generate(audio, out, portrait=portrait, size=256, overwrite=True, progress=False, preview_seconds=1)  # warm-up
        for size in () if args.skip_speed else (512, 256):
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
        y = read_audio(audio).samples
        for length in (seconds, 60.0, args.long_minutes * 60):
            clip = tiled(y, length, Path(tmp) / "tiled.wav")
            firsts = [time_to_first_frame(clip, portrait, out, 512) for _ in range(args.runs)]
            print(f"first frame, 512x512, {length:.0f} s of speech: median {1000 * np.median(firsts):.0f} ms "
                  f"({', '.join(f'{1000 * f:.0f}' for f in firsts)})")  # fmt: skip
        if args.skip_long:
            return
        long = tiled(y, args.long_minutes * 60, Path(tmp) / "long.wav")
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "moodtalk.cli", "generate", "--audio", str(long), "--portrait", str(portrait),
               "-o", str(Path(tmp) / "long.mp4")]  # fmt: skip
        res, peak = run_with_peak_memory(cmd)
        wall = time.perf_counter() - t0
        status = "ok" if res.returncode == 0 else f"FAILED: {res.stderr.strip()[-300:]}"
        minutes = args.long_minutes
        print(f"`moodtalk generate` 512x512 on {minutes:.1f} min of audio: {status}, {wall:.0f} s wall "
              f"({minutes * 60 / wall:.2f}x real time), peak memory {peak:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
