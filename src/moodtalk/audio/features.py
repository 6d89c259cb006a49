"""Frame-rate speech descriptors: log-mel, loudness, pitch, voicing, voice activity, spectral shape.

Pipeline (all in blocks of ``FeatureConfig.block_s`` seconds, so memory does not grow with length):

1. resample the block (plus a margin on both sides) to 16 kHz;
2. short-time analysis at a 10 ms hop: power spectrum (25 ms Hann window) and YIN pitch with its
   aperiodicity (de Cheveigné & Kawahara 2002, "YIN, a fundamental frequency estimator");
3. pool the 10 ms frames into video frames ``[i / fps, (i + 1) / fps)``: mean power spectrum,
   median pitch of the periodic frames, exact RMS from the original samples.

Voice activity needs context longer than a block, so it runs once at the end on the (T,) loudness
track: an adaptive noise floor (running low percentile) plus a margin, with gap filling, removal of
blips and a hangover.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal

from moodtalk.audio.spectrum import fft_frequencies, mel_filterbank, power_to_db, stft_power
from moodtalk.errors import InputError
from moodtalk.types import AudioTrack, SpeechFeatures

ANALYSIS_SR = 16_000
"""Every feature is computed on audio resampled to this rate (speech needs nothing above 8 kHz)."""
HOP = 160
"""Internal analysis hop in samples at 16 kHz: 10 ms, fine enough for any video rate up to 100 fps."""
N_FFT = 512
"""FFT size of the power spectrum (32 ms at 16 kHz): 257 bins of 31.25 Hz."""
WIN_LENGTH = 400
"""Hann window of the power spectrum: 25 ms, the usual speech analysis window."""
YIN_FRAME = 1024
"""YIN frame length in samples (64 ms): the difference function compares the first half of the
frame with lags up to half a frame, enough for 60 Hz (267 samples)."""
YIN_WINDOW = YIN_FRAME // 2
"""Integration window of the YIN difference function."""
YIN_TROUGH_THRESHOLD = 0.1
"""YIN's absolute threshold: the first dip of the normalised difference below it is the period
(prefers the fundamental over its sub-multiples); with none, the global minimum is taken."""
YIN_BATCH = 2048
"""Frames per FFT batch in the YIN step, to bound its temporary arrays (~16 MB per batch)."""
BLOCK_MARGIN_S = 0.5
"""Extra audio read on each side of a block so windows and the resampling filter see real context."""
POWER_FLOOR = 1e-10
"""Added to power before logs and ratios: -100 dB, keeps digital silence finite."""
RMS_FLOOR_DBFS = -100.0
"""Loudness reported for digital silence."""
MAX_RATIO_DENOMINATOR = 1000
"""Largest up/down factor used for polyphase resampling; odd rates are approximated to 1e-6."""
LOW_BAND_HZ = (50.0, 1000.0)
"""Band of voicing/jaw-opening energy (vowel F1 region) for ``low_high_db``."""
HIGH_BAND_HZ = (3000.0, 8000.0)
"""Band of frication energy (s, sh, f) for ``low_high_db``."""
F1_BAND_HZ = (200.0, 1000.0)
"""Band whose energy centroid is the F1 proxy (jaw opening: high F1 = open mouth)."""
F2_BAND_HZ = (800.0, 2500.0)
"""Band whose energy centroid is the F2 proxy (front/back, spread/rounded lips: low F2 = rounded)."""
ROLLOFF_FRACTION = 0.85
"""Spectral roll-off: frequency below which this fraction of the energy lies."""

SPECTRAL_NAMES: tuple[str, ...] = ("centroid_hz", "flatness", "rolloff_hz", "low_high_db", "f1_hz", "f2_hz")
"""Columns of ``SpeechFeatures.spectral``: spectral centroid (Hz), spectral flatness (0..1, 1 = noise-like),
85 % roll-off (Hz), low-band minus high-band energy (dB), F1 proxy (Hz), F2 proxy (Hz)."""


@dataclass(frozen=True)
class FeatureConfig:
    """Settings of ``speech_features``; the defaults suit ordinary speech recordings."""

    n_mels: int = 80
    """Number of mel bands (0–8 kHz, Slaney scale)."""
    f0_min_hz: float = 60.0
    """Lowest pitch searched (deep male voices reach ~65 Hz; mains hum at 50 Hz stays out)."""
    f0_max_hz: float = 500.0
    """Highest pitch searched (children and raised female voices)."""
    voicing_threshold: float = 0.3
    """A 10 ms frame is periodic when YIN's aperiodicity (normalised difference at the chosen lag)
    is below this; voiced speech is typically < 0.2, white noise > 0.6."""
    voiced_fraction: float = 0.5
    """A video frame is voiced when at least this fraction of its 10 ms frames is periodic."""
    silence_dbfs: float = -55.0
    """Frames quieter than this (RMS, dBFS) are never speech nor voiced, whatever the noise floor."""
    noise_window_s: float = 8.0
    """Length of the running window over which the noise floor is estimated."""
    noise_percentile: float = 10.0
    """Percentile of the loudness in that window taken as the noise floor (pauses are the quiet tail)."""
    vad_margin_db: float = 6.0
    """Loudness above the noise floor needed for voice activity."""
    min_gap_s: float = 0.2
    """Pauses shorter than this inside speech are filled (a closure in a word is not silence)."""
    min_speech_s: float = 0.06
    """Speech runs shorter than this (clicks, blips) are dropped."""
    hangover_s: float = 0.15
    """Voice activity is extended by this after each run, so word-final weak sounds stay speech."""
    block_s: float = 60.0
    """Audio is processed in blocks of about this length; memory depends on it, not on the file length."""


def frame_count(duration_s: float, fps: float) -> int:
    """Number of video frames ``ceil(duration * fps)`` (tolerant to float round-off)."""
    return max(0, math.ceil(round(duration_s * fps, 6)))


def speech_features(audio: AudioTrack, fps: float = 25.0, config: FeatureConfig = FeatureConfig()) -> SpeechFeatures:
    """Describe speech at the video frame rate.

    Frame ``i`` covers ``[i / fps, (i + 1) / fps)`` (centre ``(i + 0.5) / fps``); there are
    ``T = ceil(duration * fps)`` frames.

    Args:
        audio: mono samples at any rate.
        fps: video frame rate (any positive value, e.g. 24, 25, 29.97, 60).
        config: analysis settings.

    Returns:
        ``SpeechFeatures`` with mel (T, n_mels) dB (10·log10 of mel-filtered |STFT|², Slaney mel scale),
        rms (T,) dBFS, f0 (T,) Hz (NaN where unvoiced), voiced (T,), speech (T,) and
        spectral (T, 6) named by ``SPECTRAL_NAMES``.

    Raises:
        InputError: the samples hold NaN or infinity.
        ValueError: fps is not a positive number.
    """
    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    n_frames = frame_count(audio.duration, fps)
    analyser = _BlockAnalyser(audio.sample_rate, config)
    frames_per_block = max(1, round(config.block_s * fps))
    parts = [
        analyser.analyse(audio.samples, i0, min(i0 + frames_per_block, n_frames), fps)
        for i0 in range(0, n_frames, frames_per_block)
    ]
    if parts:
        mel, rms, f0, periodic, spectral = (np.concatenate(p) for p in zip(*parts, strict=True))
    else:
        mel = np.zeros((0, config.n_mels), np.float32)
        rms, f0, spectral = np.zeros(0, np.float32), np.zeros(0, np.float32), np.zeros((0, len(SPECTRAL_NAMES)))
        periodic = np.zeros(0, bool)
    loud_enough = rms > config.silence_dbfs
    voiced = periodic & loud_enough
    speech = _voice_activity(rms, voiced, fps, config)
    voiced &= speech
    f0 = np.where(voiced, f0, np.nan).astype(np.float32)
    return SpeechFeatures(
        mel=mel.astype(np.float32),
        rms=rms.astype(np.float32),
        f0=f0,
        voiced=voiced,
        speech=speech,
        spectral=spectral.astype(np.float32),
        spectral_names=SPECTRAL_NAMES,
        fps=float(fps),
    )


class _BlockAnalyser:
    """Per-block analysis at fixed settings (mel filters and resampling ratio computed once)."""

    def __init__(self, sample_rate: int, config: FeatureConfig) -> None:
        self.sr = sample_rate
        self.config = config
        ratio = Fraction(ANALYSIS_SR, sample_rate).limit_denominator(MAX_RATIO_DENOMINATOR)
        self.up, self.down = ratio.numerator, ratio.denominator
        # Actual rate after resampling (equals 16 kHz except for odd input rates).
        self.rate = sample_rate * self.up / self.down
        self.freqs = fft_frequencies(ANALYSIS_SR, N_FFT)
        self.mel_basis = mel_filterbank(ANALYSIS_SR, N_FFT, config.n_mels)
        self.window = scipy.signal.get_window("hann", WIN_LENGTH)

    def analyse(
        self, samples: np.ndarray, i0: int, i1: int, fps: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Features of video frames ``i0 .. i1 - 1``.

        Returns:
            mel (n, M) dB, rms (n,) dBFS, f0 (n,) Hz (NaN if no periodic sub-frame), periodic (n,) bool,
            spectral (n, S), with n = i1 - i0.
        """
        t_start, t_end = i0 / fps, i1 / fps
        s0 = max(0, math.floor((t_start - BLOCK_MARGIN_S) * self.sr))
        s1 = min(samples.shape[0], math.ceil((t_end + BLOCK_MARGIN_S) * self.sr))
        chunk = samples[s0:s1]
        if not np.isfinite(chunk).all():
            where = f"between {s0 / self.sr:.2f} s and {s1 / self.sr:.2f} s"
            raise InputError(None, f"audio has NaN or infinite samples {where}")
        t_offset = s0 / self.sr
        edges = np.arange(i0, i1 + 1) / fps - t_offset  # frame boundaries relative to the chunk start, seconds

        rms = self._rms(chunk, edges)
        y = chunk.astype(np.float32)
        if self.up != self.down:
            y = scipy.signal.resample_poly(y, self.up, self.down).astype(np.float32)
        power = self._power(y)  # (K, F), frame k centred at k * HOP / rate
        f0, aperiodicity = _yin(y, self.rate, self.config.f0_min_hz, self.config.f0_max_hz)
        k_lo, k_hi = _pool_ranges(edges, self.rate / HOP, power.shape[0])

        pooled = _mean_pool(power, k_lo, k_hi)
        mel = power_to_db(pooled @ self.mel_basis.T, POWER_FLOOR)
        spectral = _spectral_cues(pooled, self.freqs)
        periodic_sub = aperiodicity < self.config.voicing_threshold
        f0_pooled, periodic_frac = _pitch_pool(np.where(periodic_sub, f0, np.nan), k_lo, k_hi)
        periodic = periodic_frac >= self.config.voiced_fraction
        return mel, rms, np.where(periodic, f0_pooled, np.nan), periodic, spectral

    def _rms(self, chunk: np.ndarray, edges: np.ndarray) -> np.ndarray:
        """(n,) exact RMS in dBFS over each frame's samples at the original rate."""
        energy = np.concatenate(([0.0], np.cumsum(np.square(chunk, dtype=np.float64))))
        bounds = np.clip(np.round(edges * self.sr).astype(np.int64), 0, chunk.shape[0])
        lo, hi = bounds[:-1], np.maximum(bounds[1:], bounds[:-1] + 1)
        hi = np.minimum(hi, chunk.shape[0])
        lo = np.minimum(lo, hi - 1)  # a frame past the end (round-off) reuses the last sample
        mean_square = (energy[hi] - energy[lo]) / np.maximum(hi - lo, 1)
        return np.maximum(10.0 * np.log10(np.maximum(mean_square, 1e-12)), RMS_FLOOR_DBFS)

    def _power(self, y: np.ndarray) -> np.ndarray:
        """(K, N_FFT // 2 + 1) power spectrum, frame k centred on sample k * HOP (zero padded at the ends)."""
        if y.shape[0] < N_FFT:  # very short input: zero padding keeps the frame count and avoids a warning
            y = np.pad(y, (0, N_FFT - y.shape[0]))
        return stft_power(y, N_FFT, HOP, self.window)


def _pool_ranges(edges: np.ndarray, frame_rate: float, n_sub: int) -> tuple[np.ndarray, np.ndarray]:
    """Sub-frame index ranges ``[lo, hi)`` whose centres fall in each video frame.

    A video frame shorter than the sub-frame hop (fps > 100) that holds no centre takes the nearest one.
    """
    lo = np.ceil(edges[:-1] * frame_rate - 1e-9).astype(np.int64)
    hi = np.ceil(edges[1:] * frame_rate - 1e-9).astype(np.int64)
    nearest = np.round((edges[:-1] + edges[1:]) / 2 * frame_rate).astype(np.int64)
    empty = hi <= lo
    lo = np.where(empty, nearest, lo)
    hi = np.where(empty, nearest + 1, hi)
    lo = np.clip(lo, 0, n_sub - 1)
    hi = np.clip(hi, lo + 1, n_sub)
    return lo, hi


def _mean_pool(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(n, F) mean of rows ``lo[i]:hi[i]`` of x (K, F), by cumulative sums."""
    csum = np.concatenate((np.zeros((1, x.shape[1])), np.cumsum(x, axis=0, dtype=np.float64)))
    return (csum[hi] - csum[lo]) / (hi - lo)[:, None]


def _pitch_pool(f0: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median pitch of the periodic sub-frames (f0 NaN elsewhere) and the periodic fraction per video frame."""
    width = int((hi - lo).max())
    idx = lo[:, None] + np.arange(width)[None, :]
    inside = idx < hi[:, None]
    values = np.where(inside, f0[np.minimum(idx, f0.shape[0] - 1)], np.nan)
    fraction = np.sum(~np.isnan(values), axis=1) / (hi - lo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows (no periodic sub-frame) give NaN
        median = np.nanmedian(values, axis=1)
    return median, fraction


def _spectral_cues(power: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """(n, 6) spectral cues of pooled power spectra (n, F), columns as ``SPECTRAL_NAMES``."""
    p = power + POWER_FLOOR
    total = p.sum(axis=1)
    centroid = p @ freqs / total
    flatness = np.exp(np.mean(np.log(p), axis=1)) / np.mean(p, axis=1)
    cumulative = np.cumsum(p, axis=1)
    rolloff = freqs[np.argmax(cumulative >= ROLLOFF_FRACTION * total[:, None], axis=1)]

    def band(lo_hz: float, hi_hz: float) -> tuple[np.ndarray, np.ndarray]:
        sel = (freqs >= lo_hz) & (freqs <= hi_hz)
        return p[:, sel].sum(axis=1), p[:, sel] @ freqs[sel]

    low, _ = band(*LOW_BAND_HZ)
    high, _ = band(*HIGH_BAND_HZ)
    f1_energy, f1_moment = band(*F1_BAND_HZ)
    f2_energy, f2_moment = band(*F2_BAND_HZ)
    low_high = 10.0 * np.log10(low / high)
    return np.stack([centroid, flatness, rolloff, low_high, f1_moment / f1_energy, f2_moment / f2_energy], axis=1)


def _yin(y: np.ndarray, rate: float, f0_min: float, f0_max: float) -> tuple[np.ndarray, np.ndarray]:
    """YIN pitch per 10 ms frame (centred like the STFT frames).

    Returns:
        f0 (K,) Hz and aperiodicity (K,) — the cumulative-mean-normalised difference at the chosen
        lag (0 = perfectly periodic, ~1 = noise).
    """
    padded = np.pad(y, YIN_FRAME // 2)
    if padded.shape[0] < YIN_FRAME:
        padded = np.pad(padded, (0, YIN_FRAME - padded.shape[0]))
    frames = np.lib.stride_tricks.sliding_window_view(padded, YIN_FRAME)[::HOP]  # (K', YIN_FRAME) view
    n_out = 1 + y.shape[0] // HOP  # same count as the centred STFT
    tau_min = max(1, int(rate / f0_max))
    tau_max = min(YIN_FRAME - YIN_WINDOW - 1, int(math.ceil(rate / f0_min)))
    f0 = np.full(n_out, np.nan)
    aperiodicity = np.ones(n_out)
    for b0 in range(0, min(n_out, frames.shape[0]), YIN_BATCH):
        batch = np.asarray(frames[b0 : b0 + YIN_BATCH], dtype=np.float64)
        f0[b0 : b0 + batch.shape[0]], aperiodicity[b0 : b0 + batch.shape[0]] = _yin_batch(batch, rate, tau_min, tau_max)
    return f0, aperiodicity


def _yin_batch(frames: np.ndarray, rate: float, tau_min: int, tau_max: int) -> tuple[np.ndarray, np.ndarray]:
    """YIN on (B, YIN_FRAME) frames: (B,) f0 in Hz and (B,) aperiodicity."""
    # acf[tau] = sum_{j < W} x[j] x[j + tau]: cross-correlation of the window with the whole frame.
    # A circular one of the frame's length is exact here because j + tau < W + tau_max <= YIN_FRAME.
    spectrum = scipy.fft.rfft(frames.astype(np.float32), axis=1)
    head = scipy.fft.rfft(frames[:, :YIN_WINDOW].astype(np.float32), n=YIN_FRAME, axis=1)
    acf = scipy.fft.irfft(np.conj(head) * spectrum, n=YIN_FRAME, axis=1)[:, : tau_max + 1]
    sq = np.concatenate((np.zeros((frames.shape[0], 1)), np.cumsum(frames**2, axis=1)), axis=1)
    taus = np.arange(tau_max + 1)
    energy_lagged = sq[:, taus + YIN_WINDOW] - sq[:, taus]
    diff = np.maximum(energy_lagged[:, :1] + energy_lagged - 2.0 * acf, 0.0)
    # Cumulative mean normalised difference d'(tau) = d(tau) * tau / sum_{j<=tau} d(j), d'(0) = 1.
    running = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * taus[1:] / np.maximum(running, 1e-12)
    cmnd[running[:, -1] <= 1e-12] = 1.0  # silent frame: no period
    search = cmnd[:, tau_min : tau_max + 1]
    # Troughs below the absolute threshold; the first one wins (YIN step 4), else the global minimum.
    trough = np.zeros_like(search, dtype=bool)
    trough[:, 1:-1] = (search[:, 1:-1] <= search[:, :-2]) & (search[:, 1:-1] < search[:, 2:])
    good = trough & (search < YIN_TROUGH_THRESHOLD)
    best = np.where(good.any(axis=1), np.argmax(good, axis=1), np.argmin(search, axis=1))
    rows = np.arange(search.shape[0])
    # Parabolic interpolation around the chosen lag (YIN step 5).
    left = search[rows, np.maximum(best - 1, 0)]
    mid = search[rows, best]
    right = search[rows, np.minimum(best + 1, search.shape[1] - 1)]
    curvature = left - 2.0 * mid + right
    inner = (best > 0) & (best < search.shape[1] - 1) & (curvature > 0)
    shift = np.where(inner, 0.5 * (left - right) / np.where(inner, curvature, 1.0), 0.0)
    period = tau_min + best + shift
    return rate / period, mid


def _voice_activity(rms_db: np.ndarray, voiced: np.ndarray, fps: float, config: FeatureConfig) -> np.ndarray:
    """(T,) voice activity from loudness against an adaptive noise floor, or voicing.

    A stationary sound (noise, hum) sets its own floor and never passes the margin, so pure noise is
    not speech; periodic frames loud enough count even when steady (a held vowel, humming).
    """
    if rms_db.shape[0] == 0:
        return np.zeros(0, bool)
    window = max(1, round(config.noise_window_s * fps))
    floor = scipy.ndimage.percentile_filter(rms_db, config.noise_percentile, size=window, mode="nearest")
    active = ((rms_db > floor + config.vad_margin_db) | voiced) & (rms_db > config.silence_dbfs)
    active = _fill_short(active, value=False, max_len=round(config.min_gap_s * fps))
    active = _fill_short(active, value=True, max_len=round(config.min_speech_s * fps))
    hang = round(config.hangover_s * fps)
    if hang > 0:
        # Extend each run forward only: frame i is active if any of frames i - hang .. i is.
        count = np.concatenate(([0], np.cumsum(active)))
        idx = np.arange(1, active.shape[0] + 1)
        active = (count[idx] - count[np.maximum(idx - hang - 1, 0)]) > 0
    return active


def _fill_short(mask: np.ndarray, value: bool, max_len: int) -> np.ndarray:
    """Flip interior runs of ``value`` no longer than ``max_len`` frames (runs touching the ends stay)."""
    if max_len <= 0 or mask.shape[0] == 0:
        return mask
    padded = np.concatenate(([not value], mask == value, [not value])).astype(np.int8)
    change = np.diff(padded)
    starts, ends = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
    out = mask.copy()
    for s, e in zip(starts, ends, strict=True):
        # A pause at either end of the file is real silence, not a gap inside speech.
        at_edge = s == 0 or e == mask.shape[0]
        if e - s <= max_len and (value or not at_edge):
            out[s:e] = not value
    return out
