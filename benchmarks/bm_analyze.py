"""Speed and accuracy of `analyze` (tracking + pose + solver) on real clips.

    .venv/bin/python benchmarks/bm_analyze.py [--data ../shared/data] [--runs 3]

Speed: frames per second of the face stage (MediaPipe tracking + one-euro smoothing + pose +
blendshape solve) on a 512x512 real video, decoding excluded, median of several runs.
Accuracy: the solver's median residual (% of eye distance) and the Pearson correlation of
jawOpen with the inner-lip gap measured on the landmarks, per MEAD clip and over all clips.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from moodtalk.face import analyze_face
from moodtalk.face.model import default_model
from moodtalk.face.solver import fit_identity
from moodtalk.geometry import landmarks as lm
from moodtalk.video import read_frames

ROOT = Path(__file__).resolve().parents[1]


def speed(clip: Path, runs: int) -> None:
    frames = read_frames(clip, fps=25.0)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        analyze_face([frames])
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    print(f"speed: {clip.name} {frames.size[0]}x{frames.size[1]}, {len(frames)} frames: "
          f"median {len(frames) / med:.1f} fps over {runs} runs ({', '.join(f'{t:.2f}' for t in times)} s); "
          f"real time needs 25 fps -> {len(frames) / med / 25:.2f}x real time")  # fmt: skip
    model = default_model()
    a = analyze_face([frames])
    t0 = time.perf_counter()
    for _ in range(runs):
        fit_identity(a.canonical_points, model.canonical, model.basis, model.names)
    solve = (time.perf_counter() - t0) / runs
    print(f"solver alone: {len(frames) / solve:.0f} fps")


def accuracy(data: Path) -> None:
    clips = sorted((data / "emotion_video").glob("dreamtalk__*")) + sorted((data / "emotion_video").glob("eamm__*"))
    print("\n| clip | frames | median residual (% IOD) | jawOpen vs lip gap r |")
    print("|---|---|---|---|")
    res, corr = [], []
    for clip in clips:
        a = analyze_face([read_frames(clip, fps=25.0, max_size=720)])
        r = float(np.median(a.residual)) * 100
        c = float(np.corrcoef(a.blendshapes.column("jawOpen"), lm.mouth_opening(a.canonical_points))[0, 1])
        res.append(a.residual)
        corr.append(c)
        print(f"| {clip.name} | {len(a.residual)} | {r:.2f} | {c:.3f} |")
    print(f"| **all {len(clips)} MEAD clips** | | **{100 * np.median(np.concatenate(res)):.2f}** (per frame) | "
          f"**{np.median(corr):.3f}** median, {min(corr):.3f} min |")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    speed(args.data / "talking_video" / "liveportrait__d11.mp4", args.runs)
    accuracy(args.data)


if __name__ == "__main__":
    main()
