"""Short-time spectra and the mel filterbank, in numpy (no librosa: its first call costs ~2 s of imports).

Conventions match the common speech tools so features and models stay comparable: a centred STFT
with zero padding, and the Slaney-style mel scale (linear below 1 kHz, logarithmic above; M. Slaney,
"Auditory Toolbox", Interval Research Tech. Rep. 1998-010) with area-normalised triangles.
"""

from __future__ import annotations

import numpy as np

_F_SP = 200.0 / 3  # Hz per mel below the break (Slaney)
_BREAK_HZ = 1000.0
_BREAK_MEL = _BREAK_HZ / _F_SP
_LOG_STEP = np.log(6.4) / 27.0  # mel -> log-frequency slope above the break


def hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney mel of frequencies in Hz (any shape)."""
    hz = np.asarray(hz, dtype=np.float64)
    log_part = _BREAK_MEL + np.log(np.maximum(hz, _BREAK_HZ) / _BREAK_HZ) / _LOG_STEP
    return np.where(hz >= _BREAK_HZ, log_part, hz / _F_SP)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    return np.where(mel >= _BREAK_MEL, _BREAK_HZ * np.exp(_LOG_STEP * (mel - _BREAK_MEL)), _F_SP * mel)


def fft_frequencies(sample_rate: float, n_fft: int) -> np.ndarray:
    """(n_fft // 2 + 1,) centre frequencies of the rfft bins, Hz."""
    return np.fft.rfftfreq(n_fft, 1.0 / sample_rate)


def mel_filterbank(
    sample_rate: float, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None
) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) float32 triangular filters equally spaced in mel, each of unit area per Hz."""
    fmax = sample_rate / 2 if fmax is None else fmax
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))  # (n_mels + 2,)
    freqs = fft_frequencies(sample_rate, n_fft)
    widths = np.diff(edges)
    offsets = edges[:, None] - freqs[None]  # (n_mels + 2, F)
    rising = -offsets[:-2] / widths[:-1, None]
    falling = offsets[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def stft_power(y: np.ndarray, n_fft: int, hop: int, window: np.ndarray) -> np.ndarray:
    """(K, n_fft // 2 + 1) power spectrum, frame k centred on sample k * hop, zero padded at the ends.

    ``window`` (W,) with W ≤ n_fft is centred in the FFT frame. K = 1 + len(y) // hop.
    """
    pad = n_fft // 2
    padded = np.pad(y.astype(np.float32), pad)
    full = np.zeros(n_fft, np.float32)
    start = (n_fft - len(window)) // 2
    full[start : start + len(window)] = window
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]  # (K, n_fft) view
    out = np.empty((frames.shape[0], n_fft // 2 + 1), np.float32)
    for k in range(0, frames.shape[0], 4096):  # bounded temporaries
        spec = np.fft.rfft(frames[k : k + 4096] * full, axis=1)
        out[k : k + 4096] = spec.real**2 + spec.imag**2
    return out


def power_to_db(power: np.ndarray, floor: float) -> np.ndarray:
    """10·log10 of power, floored at ``floor`` (reference 1)."""
    return 10.0 * np.log10(np.maximum(power, floor))
