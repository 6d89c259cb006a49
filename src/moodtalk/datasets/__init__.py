"""Dataset readers: a folder of real recordings → :class:`Clip` records, whatever its layout.

Public entry point: :func:`find_clips`. The layout is detected from the folder itself (see ``LAYOUTS``);
each reader lives in :mod:`moodtalk.datasets.layouts`.
"""

from __future__ import annotations

from pathlib import Path

from moodtalk.datasets.layouts import LAYOUTS, Clip, Word
from moodtalk.errors import InputError

__all__ = ["LAYOUTS", "Clip", "Word", "detect_layout", "find_clips"]


def detect_layout(root: str | Path) -> str:
    """The name of the first layout in ``LAYOUTS`` whose signature the folder shows.

    Raises:
        InputError: the folder is missing or matches no known layout (the message lists them).
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(root, "data folder does not exist")
    for name, (matches, _) in LAYOUTS.items():
        if matches(root):
            return name
    looked = "; ".join(f"{name}: {matches.__doc__.strip()}" for name, (matches, _) in LAYOUTS.items())
    raise InputError(root, f"no known dataset layout (looked for {looked})")


def find_clips(root: str | Path, layout: str | None = None) -> tuple[str, list[Clip]]:
    """Every usable recording in a dataset folder.

    Args:
        root: the dataset folder.
        layout: one of ``LAYOUTS`` to skip detection.

    Returns:
        (layout name, clips sorted by ``Clip.name``).

    Raises:
        InputError: unknown layout, or a folder with no media in it.
    """
    root = Path(root)
    name = layout or detect_layout(root)
    if name not in LAYOUTS:
        raise InputError(None, f"unknown dataset layout {name!r} (known: {', '.join(LAYOUTS)})")
    clips = sorted(LAYOUTS[name][1](root), key=lambda c: c.name)
    if not clips:
        raise InputError(root, f"looks like a {name} folder but holds no audio or video files")
    return name, clips
