"""Xu et al.'s audio → frame-wise emotion intensity predictor (seed frame-wise-emotion-intensity.txt).

Speech features at 25 fps (the project's log-mel, loudness, pitch, voicing and spectral cues, plus the
loudness and pitch relative to the utterance's own median, since intensity is partly how much louder
and higher a speaker gets than usual) → a dilated temporal convolution network with an utterance
summary broadcast back to every frame → intensity in [0, 1] per frame. The receptive field is about
2.5 s: intensity follows phrases, not single phones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from moodtalk.types import SpeechFeatures

N_MELS = 80
"""Mel bands the features carry (``moodtalk.audio.FeatureConfig.n_mels``)."""
N_SPECTRAL = 6
"""Spectral cues (``moodtalk.audio.features.SPECTRAL_NAMES``: centroid, flatness, roll-off, low/high
balance, F1, F2)."""


@dataclass(frozen=True)
class IntensityConfig:
    """Architecture of the intensity predictor."""

    in_features: int = N_MELS + 4 + N_SPECTRAL + 2
    """Per-frame inputs: mel bands, loudness, log pitch, voicing, voice activity, the spectral cues, relative
    loudness and relative pitch (see :func:`frame_features`)."""
    channels: int = 64
    """Width of every convolution."""
    dilations: tuple[int, ...] = (1, 2, 4, 8, 1)
    """One residual block per entry; kernel 5 with these dilations sees ±31 frames (±1.2 s)."""
    dropout: float = 0.1
    """Dropout inside the blocks while training."""


def frame_features(f: SpeechFeatures) -> np.ndarray:
    """(T, in_features) float32 model inputs of one utterance (unnormalised; the model standardises).

    Columns: mel (80, dB), RMS dBFS, log2 F0 (0 where unvoiced), voiced, speech, the 6 spectral cues,
    RMS minus the utterance's median RMS over speech, log2 F0 minus its median over voiced frames.
    """
    t = len(f)
    speech = f.speech.astype(bool)
    voiced = f.voiced.astype(bool) & np.isfinite(f.f0)
    logf0 = np.where(voiced, np.log2(np.where(voiced, f.f0, 1.0)), 0.0)
    rms_ref = float(np.median(f.rms[speech])) if speech.any() else float(np.median(f.rms)) if t else 0.0
    f0_ref = float(np.median(logf0[voiced])) if voiced.any() else 0.0
    spectral = np.zeros((t, N_SPECTRAL), np.float32)
    k = min(N_SPECTRAL, f.spectral.shape[1])
    spectral[:, :k] = np.nan_to_num(f.spectral[:, :k])
    cols = [f.mel.astype(np.float32), f.rms[:, None], logf0[:, None], voiced[:, None], speech[:, None], spectral,
            (f.rms - rms_ref)[:, None], np.where(voiced, logf0 - f0_ref, 0.0)[:, None]]  # fmt: skip
    return np.concatenate([np.asarray(c, np.float32).reshape(t, -1) for c in cols], axis=1)


class _Block(nn.Module):
    def __init__(self, channels: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 5, padding=2 * dilation, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.mix(torch.nn.functional.gelu(self.conv(x * mask)))
        return x + self.drop(h)


class IntensityPredictor(nn.Module):
    """(B, T, F) features + (B, T) mask of real frames → (B, T) intensity in [0, 1]."""

    def __init__(self, config: IntensityConfig = IntensityConfig()) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("mean", torch.zeros(config.in_features))
        self.register_buffer("std", torch.ones(config.in_features))
        self.inp = nn.Conv1d(config.in_features, config.channels, 1)
        self.blocks = nn.ModuleList(_Block(config.channels, d, config.dropout) for d in config.dilations)
        self.summary = nn.Linear(config.channels, config.channels)
        self.out = nn.Conv1d(2 * config.channels, 1, 1)

    def set_normalisation(self, mean: np.ndarray, std: np.ndarray) -> None:
        """Feature standardisation measured on the training set (saved with the weights)."""
        self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.std.copy_(torch.as_tensor(np.maximum(std, 1e-3), dtype=torch.float32))

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.to(features.dtype)[:, None, :]  # (B, 1, T)
        x = ((features - self.mean) / self.std).transpose(1, 2) * m
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, m)
        pooled = (h * m).sum(2) / m.sum(2).clamp_min(1.0)  # (B, C): the utterance's overall level
        g = torch.tanh(self.summary(pooled))[:, :, None].expand_as(h)
        return torch.sigmoid(self.out(torch.cat([h, g], 1)))[:, 0, :]


@torch.no_grad()
def predict_intensity(model: IntensityPredictor, features: SpeechFeatures) -> np.ndarray:
    """(T,) float32 intensity in [0, 1] of one utterance; silence decays towards 0 as the speech ends."""
    x = torch.from_numpy(frame_features(features))[None]
    if x.shape[1] == 0:
        return np.zeros(0, np.float32)
    model.eval()
    device = next(model.parameters()).device
    y = model(x.to(device), torch.ones(x.shape[:2], dtype=torch.bool, device=device))[0]
    return y.cpu().numpy().astype(np.float32)
