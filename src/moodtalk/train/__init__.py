"""Training: one loop (:func:`moodtalk.train.trainer.train`) over a registry of tasks, one per learned model.

Public entry point: :func:`train_model`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from moodtalk.errors import InputError
from moodtalk.train.config import TrainConfig

if TYPE_CHECKING:  # the trainer imports torch: only when a model is trained
    from moodtalk.train.trainer import RunResult

__all__ = ["TASKS", "TrainConfig", "train_model"]

TASKS = {"intensity": "moodtalk.train.intensity:IntensityTask"}
"""Model name → its training task (module:class)."""


def train_model(name: str, caches: list[Path], out: Path, cfg: TrainConfig, model_config: dict | None = None,
                resume: bool = False, progress: bool = True, command: str = "") -> RunResult:  # fmt: skip
    """Train the model ``name`` on prepared caches; see :func:`moodtalk.train.trainer.train`.

    Raises:
        InputError: an unknown model name (the message lists the known ones), and the trainer's errors.
    """
    import importlib

    from moodtalk.train.trainer import train

    if name not in TASKS:
        raise InputError(None, f"unknown model {name!r} (known: {', '.join(TASKS)})")
    module, cls = TASKS[name].split(":")
    task = getattr(importlib.import_module(module), cls)()
    return train(task, caches, out, cfg, model_config or {}, resume=resume, progress=progress, command=command)
