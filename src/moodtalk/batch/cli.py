"""``moodtalk batch JOBS.csv -o OUT_DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from moodtalk.errors import InputError

EPILOG = """\
JOBS.csv has one row per video: columns audio and output (an .mp4 file name in OUT_DIR), and
optionally portrait, emotion (as --emotion: name, name:intensity or keyframes), intensity, size, seed.
Relative paths are relative to the CSV's folder. Finished outputs are skipped, so a killed run
started again does only the rest; OUT_DIR/results.csv lists each job's status, time and error.

example jobs.csv:
  audio,portrait,emotion,intensity,output
  talk1.wav,face.jpg,happy,0.8,talk1_happy.mp4
  talk2.wav,,sad,1.0,talk2_sad.mp4
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="generate many videos from a jobs CSV on a local process pool (resumable)",
        description="Run `generate` for every row of a jobs CSV, in parallel processes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("jobs", type=Path, help="the jobs CSV")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="OUT_DIR", help="output folder (created)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default: 2)")


def run(args: argparse.Namespace) -> int:
    from moodtalk.batch.jobs import run as run_batch

    if args.workers < 1:
        raise InputError(None, f"--workers must be at least 1, got {args.workers}")
    results = run_batch(args.jobs, args.out, workers=args.workers)
    counts = {s: sum(r.status == s for r in results) for s in ("done", "skipped", "failed")}
    for r in results:
        if r.status == "failed":
            print(f"moodtalk: job {r.job} ({r.output}) failed: {r.error}", file=sys.stderr)
    print(f"{len(results)} jobs: {counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed; "
          f"see {args.out / 'results.csv'}")  # fmt: skip
    return 1 if counts["failed"] else 0
