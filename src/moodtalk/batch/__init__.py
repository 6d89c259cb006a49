"""``moodtalk batch``: many ``generate`` jobs from a CSV on a local process pool (``run``)."""

from __future__ import annotations


def __getattr__(name: str):  # noqa: ANN202 - PEP 562: keep ``moodtalk --help`` from importing the pipeline
    if name in ("run", "Job", "JobResult"):
        from moodtalk.batch import jobs as module

        return getattr(module, name)
    raise AttributeError(f"module 'moodtalk.batch' has no attribute {name!r}")


__all__ = ["Job", "JobResult", "run"]
