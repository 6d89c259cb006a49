"""Evaluation measures: pure metric functions and an independent facial-expression classifier.

* ``measures``: PSNR/SSIM, landmark distances (M-LMD, F-LMD), lagged correlation, lip-closure events,
  blink rate, head-motion jitter and speed, identity drift, Spearman correlation.
* ``fer``: the FER-2013 classifier of the ``fer`` package (run with ``ai_edge_litert``, ``fer`` never imported).
"""

from .fer import EMOTION_TO_FER, FER_CLASSES, FerClassifier, FerModelMissing, fer_index
from .measures import (
    DriftResult,
    angular_jitter,
    angular_speed,
    best_lag_correlation,
    blink_rate,
    closure_events,
    face_lmd,
    identity_drift,
    landmark_distance,
    match_events,
    mouth_lmd,
    pearson,
    psnr,
    spearman,
    ssim,
)

__all__ = [
    "EMOTION_TO_FER",
    "FER_CLASSES",
    "DriftResult",
    "FerClassifier",
    "FerModelMissing",
    "angular_jitter",
    "angular_speed",
    "best_lag_correlation",
    "blink_rate",
    "closure_events",
    "face_lmd",
    "fer_index",
    "identity_drift",
    "landmark_distance",
    "match_events",
    "mouth_lmd",
    "pearson",
    "psnr",
    "spearman",
    "ssim",
]
