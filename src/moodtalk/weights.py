"""The one loader of learned models: safetensors weights + a config.json, from the package or a run folder.

A model folder holds ``model.safetensors`` (the module's state, tensors only: no pickles) and
``config.json``::

    {"model": "intensity", "stage": "emotion", "model_config": {...}, "train_config": {...},
     "data": [...], "metrics": {...}, "baseline": {...}, "command": "...", "created": "..."}

Shipped models live in ``moodtalk/data/models/<name>/``; :func:`load_model` takes either a name of one of
them or the path of any such folder (``moodtalk train``'s ``--out``).
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moodtalk.errors import InputError

PACKAGED = Path(__file__).resolve().parent / "data" / "models"
"""Folder of the models that ship with moodtalk."""


@dataclass(frozen=True)
class ModelSpec:
    """Where a model architecture lives."""

    stage: str
    """The stage whose slot it fills."""
    module: str
    """Dotted module of the architecture."""
    cls: str
    """Its ``nn.Module`` class, built from an instance of ``config_cls``."""
    config_cls: str
    """Its architecture dataclass."""
    description: str
    """One line for ``moodtalk models``."""


MODELS: dict[str, ModelSpec] = {
    "intensity": ModelSpec(
        "emotion",
        "moodtalk.emotion.models.intensity",
        "IntensityPredictor",
        "IntensityConfig",
        "Xu et al.: speech -> frame-wise emotion intensity (--intensity auto)",
    ),  # fmt: skip
}
"""Every learned architecture by the name ``moodtalk train`` knows it by."""


def model_spec(name: str) -> ModelSpec:
    """The spec of a model name; an unknown name raises InputError listing the known ones."""
    if name not in MODELS:
        raise InputError(None, f"unknown model {name!r} (known: {', '.join(MODELS)})")
    return MODELS[name]


def build_model(name: str, model_config: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """A freshly initialised module of ``name`` and its config dataclass (fields from ``model_config``)."""
    from moodtalk.train.config import from_json

    spec = model_spec(name)
    mod = importlib.import_module(spec.module)
    cfg = from_json(getattr(mod, spec.config_cls), model_config or {})
    return getattr(mod, spec.cls)(cfg), cfg


def save_model(folder: Path, module: Any, meta: dict[str, Any]) -> None:
    """Write ``model.safetensors`` and ``config.json`` into ``folder``, each through a temporary file."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".model.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(state, tmp)
        os.replace(tmp, folder / "model.safetensors")
    finally:
        Path(tmp).unlink(missing_ok=True)
    write_json_atomic(folder / "config.json", meta)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def model_folder(source: str | Path) -> Path:
    """The folder of a packaged model name or a path; InputError if neither holds a model."""
    path = Path(source)
    if not path.is_dir() and (PACKAGED / str(source)).is_dir():
        path = PACKAGED / str(source)
    if not (path / "config.json").is_file() or not (path / "model.safetensors").is_file():
        shipped = ", ".join(p.name for p in sorted(PACKAGED.glob("*")) if p.is_dir()) or "none"
        raise InputError(path, f"is not a model folder (needs config.json and model.safetensors; shipped: {shipped})")
    return path


def load_model(source: str | Path, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """The module of a packaged model name or a model folder, in eval mode, and its config.json.

    Raises:
        InputError: not a model folder, an unknown architecture, or weights that do not fit it.
    """
    from safetensors.torch import load_file

    folder = model_folder(source)
    try:
        meta = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError) as e:
        raise InputError(folder / "config.json", f"cannot read the model's config ({e})") from None
    module, _ = build_model(meta.get("model", "?"), meta.get("model_config"))
    try:
        module.load_state_dict(load_file(folder / "model.safetensors", device="cpu"))
    except (RuntimeError, OSError) as e:
        raise InputError(
            folder / "model.safetensors", f"weights do not fit model {meta.get('model')!r} ({e})"
        ) from None
    return module.to(device).eval(), meta


def packaged_models() -> list[tuple[Path, dict[str, Any]]]:
    """(folder, config.json) of every shipped model."""
    out = []
    for folder in sorted(PACKAGED.glob("*")):
        if (folder / "config.json").is_file():
            out.append((folder, json.loads((folder / "config.json").read_text())))
    return out
