"""``moodtalk app``: the web page (Gradio) for ``generate``, with the motion CSVs as downloads (``build``)."""

from __future__ import annotations


def __getattr__(name: str):  # noqa: ANN202 - PEP 562: keep ``moodtalk --help`` from importing gradio
    if name in ("build", "AppLimits"):
        from moodtalk.app import page as module

        return getattr(module, name)
    raise AttributeError(f"module 'moodtalk.app' has no attribute {name!r}")


__all__ = ["AppLimits", "build"]
