"""render/: portrait + target landmarks -> frames (warp renderer with a procedural appearance step)."""

from moodtalk.render.renderer import RenderConfig, RenderRig, prepare, render

__all__ = ["RenderConfig", "RenderRig", "prepare", "render"]
