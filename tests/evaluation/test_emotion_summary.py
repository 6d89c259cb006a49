"""The generated-emotion summary: clip-level and frame-level FER accuracy, as the issue's targets count them."""

from __future__ import annotations

import numpy as np

from moodtalk.evaluation.emotion_eval import EmotionSettings, summarize_generated
from moodtalk.types import EMOTIONS


def _combo(emotion: str, intensity: float, clip_pred: str, frame_preds: list[str | None]) -> dict:
    return {"emotion": emotion, "intensity": intensity, "fer_probs": np.full(7, 1 / 7), "fer_pred": clip_pred,
            "frame_preds": frame_preds, "decision": np.zeros(len(EMOTIONS)), "hyper_pred": emotion}  # fmt: skip


def test_clip_and_frame_accuracy_are_counted_separately() -> None:
    settings = EmotionSettings(intensities=(0.0, 1.0))
    combos = [
        _combo("neutral", 0.0, "neutral", ["neutral", "sad", "neutral", None]),  # 2 of 3 classified frames
        _combo("happy", 1.0, "happy", ["happy", "happy", "happy", "happy"]),
        _combo("sad", 1.0, "angry", ["angry", "sad", "angry", "angry"]),  # clip wrong, 1 frame right
    ]
    summary = summarize_generated([{"combos": combos}], settings)
    assert summary["fer_n"] == 3
    assert np.isclose(summary["fer_accuracy"], 2 / 3)
    assert summary["fer_frames_n"] == 11  # the untracked frame (None) is not counted
    assert np.isclose(summary["fer_frame_accuracy"], (2 + 4 + 1) / 11)
    assert summary["fer_per_class"]["sad"] == 0.0


def test_cached_results_without_frame_labels_still_summarise() -> None:
    combos = [{k: v for k, v in _combo("happy", 1.0, "happy", []).items() if k != "frame_preds"}]
    summary = summarize_generated([{"combos": combos}], EmotionSettings(intensities=(0.0, 1.0)))
    assert summary["fer_accuracy"] == 1.0
    assert summary["fer_frames_n"] == 0 and np.isnan(summary["fer_frame_accuracy"])
