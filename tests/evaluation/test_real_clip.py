"""Self-reenactment and the FER reference on one short real clip of ../shared/data (skips when absent)."""

from __future__ import annotations

import math

import pytest

from moodtalk.evaluation.manifest import read_manifest
from tests.helpers import SHARED_DATA, shared_file


@pytest.mark.real
def test_selfreenact_on_a_real_clip() -> None:
    from moodtalk.evaluation.selfreenact import ReenactSettings, evaluate_clip

    shared_file("talking_video/real3dportrait__May_5s.mp4")
    entry = next(e for e in read_manifest(SHARED_DATA).entries if e.file.endswith("May_5s.mp4"))
    result = evaluate_clip(entry, ReenactSettings(max_seconds=2.0, lips="acoustic"))
    m = result["metrics"]
    assert result["frames"] == 50
    assert math.isfinite(m["mouth_r"]) and -1 <= m["mouth_r"] <= 1 and abs(m["mouth_lag_frames"]) <= 12
    assert 0 < m["m_lmd"] < 0.3 and 0 < m["f_lmd"] < 0.3
    assert 0 < m["ssim_realpose"] <= 1 and 10 < m["psnr_realpose"] < 60
    # Copying the real head pose must bring the pixels closer than the stochastic head does.
    assert m["psnr_realpose"] > m["psnr_natural"]
    assert len(result["curves"]["real_open"]) == len(result["curves"]["gen_open"]) == 50
