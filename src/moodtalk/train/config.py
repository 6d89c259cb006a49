"""Settings of ``moodtalk train`` shared by every model (the model's own architecture has its own dataclass)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained."""

    seed: int = 0
    """Seeds the split, the batch order, the crops and the weights' initialisation."""
    batch_size: int = 32
    """Global batch: under torchrun each of N processes takes batch_size / N of it."""
    lr: float = 2e-3
    """AdamW learning rate (cosine decay to 5 % of it over ``max_steps``)."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    max_steps: int = 3000
    """Optimiser steps in all (the run also ends on early stopping)."""
    epochs: int = 200
    """Passes over the training items at most."""
    patience: int = 8
    """Stop after this many epochs without a better validation metric."""
    val_fraction: float = 0.2
    """Share of speakers held out for validation (whole speakers, never single clips)."""
    val_speakers: tuple[str, ...] = ()
    """Speakers always in the validation fold, whatever the draw."""
    test_speakers: tuple[str, ...] = ()
    """Speakers kept out of training and validation alike (early stopping never sees them): the best
    model and the baseline are scored on them once, at the end, into config.json's ``test``."""
    grad_clip: float = 1.0
    """Gradient norm clipping."""
    window: int = 100
    """Training items are random crops of this many frames (4 s at 25 fps); shorter ones are padded."""
    device: str = "auto"
    """'auto' (CUDA when present, else CPU), 'cpu' or 'cuda'."""


def with_overrides(obj: Any, overrides: dict[str, str]) -> Any:
    """A copy of a frozen dataclass with fields set from strings ('0.1', '3', 'a,b' for tuples).

    Raises:
        KeyError: a name that is not a field (the message lists the fields).
    """
    if not overrides:
        return obj
    types = {f.name: f for f in fields(obj)}
    changes: dict[str, Any] = {}
    for key, text in overrides.items():
        if key not in types:
            raise KeyError(f"{type(obj).__name__} has no field {key!r} (fields: {', '.join(types)})")
        current = getattr(obj, key)
        if isinstance(current, bool):
            changes[key] = text.lower() in ("1", "true", "yes")
        elif isinstance(current, tuple):
            items = [t for t in text.split(",") if t]
            kind = type(current[0]) if current else str
            changes[key] = tuple(kind(t) for t in items)
        else:
            changes[key] = type(current)(text)
    return dataclasses.replace(obj, **changes)


def to_json(obj: Any) -> dict[str, Any]:
    """A dataclass as a JSON-ready dict (tuples as lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(obj).items()}


def from_json(cls: type, data: dict[str, Any]) -> Any:
    """The dataclass ``cls`` from :func:`to_json`'s dict; unknown keys are ignored, missing ones default."""
    names = {f.name: f for f in fields(cls)}
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
    return cls(**kwargs)
