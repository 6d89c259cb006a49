"""``moodtalk prepare DATA -o CACHE``."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from moodtalk.errors import InputError

PREPARE_EPILOG = """\
Layouts recognised (detected from the folder; --layout forces one):
  manifest   any folder with a manifest.csv (columns of ../shared/data/manifest.csv; optional 'speaker')
  MEAD       <actor>/video/front/<emotion>/level_<k>/<nnn>.mp4 with <actor>/audio/<emotion>/level_<k>/<nnn>.m4a
  CREMA-D    VideoFlash/*.flv and AudioWAV/*.wav named AAAA_SSS_EMO_LVL
  RAVDESS    Actor_NN/MM-VV-EE-II-SS-RR-AA.mp4|wav
  GRID       sN/*.mpg with alignments/sN/*.align word timings
  clips      any folder of talking-face videos (HDTF style; speaker from the file name)

Writes into CACHE:
  records/<clip>.npz  landmarks, head pose, blendshapes, solver residual, audio features (25 fps),
                      labels, speaker, per-frame pseudo-intensity (Xu et al.)
  failed/<clip>.json  why a clip was skipped (corrupt, silent, no face)
  index.csv           one row per clip: file, speaker, emotion, intensity, frames, status, pseudo_intensity_mean, ...

Interrupt it at any time: the next run continues where it stopped. Records made by another version
of the code are rebuilt (the run says how many).

examples:
  moodtalk prepare ../shared/training -o runs/cache/training --workers 2
  moodtalk prepare MEAD/ -o cache/mead --workers 8
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "prepare",
        help="turn a dataset folder into training records (tracking, blendshapes, audio features, labels)",
        description="Read a dataset folder (MEAD, CREMA-D, RAVDESS, GRID, HDTF-style or a manifest.csv folder), "
        "track and solve every clip, measure its audio, and write one compressed record per clip.",
        epilog=PREPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("data", type=Path, metavar="DATA", help="the dataset folder")
    p.add_argument(
        "-o", "--out", type=Path, required=True, metavar="CACHE", help="the cache folder (created if missing)"
    )
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help=f"processes working at once (default: 1; this machine has {os.cpu_count()} cores)")  # fmt: skip
    p.add_argument("--layout", default=None, help="skip detection and read the folder as this layout")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="prepare only the first N clips (default: all)")


def run(args: argparse.Namespace) -> int:
    from moodtalk.datasets import find_clips
    from moodtalk.datasets.prepare import prepare_cache

    if args.workers < 1:
        raise InputError(None, f"--workers must be at least 1, got {args.workers}")
    layout, clips = find_clips(args.data, args.layout)
    if args.limit is not None:
        clips = clips[: max(0, args.limit)]
    print(f"{args.data}: {layout} layout, {len(clips)} clips, {len({c.speaker for c in clips})} speakers")
    start = time.perf_counter()
    result = prepare_cache(clips, args.out, workers=args.workers,
                           on_note=lambda s: print(f"moodtalk: note: {s}", file=sys.stderr))  # fmt: skip
    minutes = (time.perf_counter() - start) / 60
    print(f"prepared {result.prepared}, reused {result.reused}, failed {len(result.failures)} "
          f"of {result.clips} clips in {minutes:.1f} min")  # fmt: skip
    print(result.table)
    for name, reason in result.failures[:50]:
        print(f"  failed: {name}: {reason}")
    if len(result.failures) > 50:
        print(f"  ... and {len(result.failures) - 50} more (see {result.index})")
    print(f"wrote {result.index}")
    return 0
