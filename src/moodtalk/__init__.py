"""moodtalk: speech to emotional talking-head video on a CPU.

import moodtalk
result = moodtalk.generate("speech.wav", "out.mp4", portrait="face.jpg")
result.video, result.motion
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from moodtalk.pipeline import GenerateResult


def generate(audio: str, out: str, **options: Any) -> GenerateResult:
    """Speech + portrait → talking-head mp4; see :func:`moodtalk.pipeline.generate` for the options."""
    from moodtalk.pipeline import generate as run  # imported here: importing moodtalk stays instant

    return run(audio, out, **options)
