"""The ``moodtalk eval`` subcommand (hooked into ``moodtalk.cli`` by ``add_eval_parser``/``run_eval_command``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EVAL_EPILOG = """\
DIR holds media files and a manifest.csv (columns: file (required), category, has_audio, emotion,
intensity, dataset, ...; other columns are ignored; labels missing from it are parsed from MEAD,
CREMA-D, RAVDESS and Emo-DB file names). Writes into REPORT_DIR:
  report.json   every number, per item, with the versions, machine and settings used
  report.md     the tables
  *.png         contact sheets per emotion, mouth-opening curves, confusion matrices
  cache/        one JSON per item and task: a rerun skips what is done (delete it to recompute)

A clip that fails (file missing, no face, no audio) is reported with its reason and the run goes on.

examples:
  moodtalk eval --data ../shared/data --out runs/eval_quick --quick    # smoke check, a few minutes
  moodtalk eval --data ../shared/data --out runs/eval_full             # everything
"""


def add_eval_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``eval`` to the ``moodtalk`` subcommands."""
    p = sub.add_parser(
        "eval",
        help="evaluate lip sync, fidelity, emotion, intensity and speed on a folder of real clips",
        description="Self-reenactment on real talking clips, emotion accuracy by an independent FER classifier, "
        "intensity checks, speed and memory; writes report.json, report.md and figures.",
        epilog=EVAL_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="folder with manifest.csv and the media")
    p.add_argument("--out", type=Path, required=True, metavar="REPORT_DIR", help="report folder (created)")
    p.add_argument("--quick", action="store_true",
                   help="a few short items per task, for smoke checks (default: everything)")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: shown on a terminal)")


def run_eval_command(args: argparse.Namespace) -> int:
    """Run ``moodtalk eval``; InputError (bad manifest) propagates to the CLI's one-line error, exit 2."""
    from moodtalk.evaluation.run import run_eval

    path = run_eval(args.data, args.out, quick=args.quick, progress=not args.no_progress)
    print(f"wrote {path} and {path.with_name('report.json')}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (``python -m moodtalk.evaluation.cli``), same behaviour as ``moodtalk eval``."""
    from moodtalk.errors import InputError

    parser = argparse.ArgumentParser(prog="moodtalk")
    add_eval_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["eval", *(sys.argv[1:] if argv is None else argv)])
    try:
        return run_eval_command(args)
    except InputError as e:
        print(f"moodtalk: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
