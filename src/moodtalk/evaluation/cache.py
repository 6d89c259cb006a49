"""Resumable per-item results: one JSON file per (task, input file, settings) under ``REPORT_DIR/cache/``.

The key is the file's name, size and modification time, the task's settings and a fingerprint of
moodtalk's own code and shipped models, so a rerun skips what is done, while a changed file, setting or
program is recomputed, and an interrupted run loses at most the item in progress.
Failed items are cached too (with their reason) so a rerun does not retry them; delete the cache folder
(or the one file) to force a retry.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

RESULT_VERSION = 2
"""Part of every key: bump it when what a task computes or stores changes, so old results are not reused."""


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of every source file and shipped model of the installed moodtalk package: results made by
    another version of the program are never reused."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".npz") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def to_jsonable(value: Any) -> Any:
    """Numpy scalars/arrays → Python; non-finite floats → None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, Path):
        return str(value)
    return value


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file and a rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(to_jsonable(data), f, indent=1, allow_nan=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class Cache:
    """Per-item result cache."""

    root: Path
    """``REPORT_DIR/cache``."""
    hits: int = 0
    """Items served from the cache in this run."""
    misses: int = 0
    """Items computed in this run."""

    def key(self, task: str, inputs: list[Path], settings: dict[str, Any]) -> Path:
        """Cache file of a task on some input files with some settings."""
        parts: list[Any] = [RESULT_VERSION, code_fingerprint(), task, to_jsonable(settings)]
        for p in inputs:
            try:
                st = p.stat()
                parts.append([p.name, st.st_size, st.st_mtime_ns])
            except OSError:
                parts.append([p.name, None, None])
        digest = hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:12]
        stem = inputs[0].stem if inputs else task
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)[:80]
        return self.root / task / f"{safe}-{digest}.json"

    def get(self, path: Path) -> dict[str, Any] | None:
        """The cached result, or None (absent or unreadable: recomputed)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        self.hits += 1
        return data

    def put(self, path: Path, result: dict[str, Any]) -> None:
        """Store a result."""
        self.misses += 1
        write_json_atomic(path, result)
