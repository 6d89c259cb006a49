"""``moodtalk eval``: self-reenactment, emotion, intensity and speed evaluation on a folder of real clips.

Public entry point: :func:`moodtalk.evaluation.run.run_eval` (imported lazily here so that importing the package
stays cheap). Modules: ``manifest`` (reading the folder), ``selfreenact``, ``emotion_eval``, ``speed``,
``cache``, ``report``, ``run``, ``cli``.
"""

from __future__ import annotations

from pathlib import Path


def run_eval(data: Path, out: Path, quick: bool = False, progress: bool = True) -> Path:
    """See :func:`moodtalk.evaluation.run.run_eval`."""
    from moodtalk.evaluation.run import run_eval as _run

    return _run(data, out, quick, progress)


__all__ = ["run_eval"]
