"""Reading the audio track of any container as mono float32 at a chosen sample rate."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from moodtalk.errors import InputError
from moodtalk.types import AudioTrack

from ._media import audio_stream, check_file, decode, is_image, open_media, timeline_origin

DEAD_CHANNEL_DB = -30.0
"""A channel this far (energy, dB) below the loudest one carries no signal and is left out of the mix."""

CANCEL_DB = -10.0
"""A mix this far below its channels' mean energy means they cancel (phase-inverted): take one channel."""


def read_audio(path: str | Path, sample_rate: int | None = 16000, max_seconds: float | None = None) -> AudioTrack:
    """The first audio stream of a file as mono float32 samples in [-1, 1], shape (N,).

    Any container FFmpeg reads (wav, mp3, m4a, flac, ogg, mp4, mov, mkv, webm, flv, avi, ...).
    Channels are averaged, except that silent channels (a dead side of a stereo pair) are left
    out rather than halving the live one. ``sample_rate``: resample to this rate (Hz); ``None``
    keeps the stream's. Time 0 is the start of the earliest audio/video stream, as in
    ``read_frames``: audio that starts later is preceded by silence.

    Decodes as a stream: memory is the channels at the output rate, not the decoded source.
    ``max_seconds``: decode only the start of the file, so reading takes the same time for any length.
    """
    if sample_rate is not None and sample_rate < 1:
        raise ValueError(f"sample_rate must be a positive number of Hz or None, got {sample_rate!r}")
    p = check_file(path)
    if is_image(p):
        raise InputError(p, "has no audio stream")
    with open_media(p) as container:
        stream = audio_stream(container)
        if stream is None:
            raise InputError(p, "has no audio stream")
        origin = timeline_origin(container)
        mixer = _Downmixer()
        resampler: av.AudioResampler | None = None
        setup = None
        start: float | None = None
        padding = 0  # output samples in the last codec frame: the most the encoder can have padded
        for frame in decode(container, stream):
            if start is None:
                start = frame.time if frame.time is not None else origin
                layout, rate = frame.layout, sample_rate or frame.sample_rate
            # A mid-stream change of format or layout needs a new resampler; the output keeps the first layout.
            if (frame.format.name, frame.layout.name, frame.sample_rate) != setup:
                if resampler is not None:
                    mixer.add_all(resampler.resample(None))
                resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
                setup = (frame.format.name, frame.layout.name, frame.sample_rate)
            mixer.add_all(resampler.resample(frame))
            padding = round(frame.samples * rate / frame.sample_rate)
            if max_seconds is not None and mixer.n_samples >= max_seconds * rate:
                break
        if resampler is not None:
            mixer.add_all(resampler.resample(None))
        # Read the stream's timing while the container is open: after ``close`` PyAV's stream fields point
        # into freed memory and sometimes read as garbage (the padding trim below was then skipped at random).
        stream_end = None
        if stream.duration and stream.time_base:
            stream_end = float(((stream.start_time or 0) + stream.duration) * stream.time_base)
    if mixer.n_samples == 0:
        raise InputError(p, "audio is empty")
    lead = max(0, round((start - origin) * rate))
    samples = mixer.mono(lead)
    # Encoders pad the last frame (AAC to 1024 samples); the container knows where the track ends.
    if stream_end is not None:
        end = round((stream_end - origin) * rate)
        if 0 < samples.size - end <= padding:
            samples = samples[:end]
    if max_seconds is not None:
        samples = samples[: round(max_seconds * rate)]
    return AudioTrack(samples, rate)


class _Downmixer:
    """Collects (C, n) float32 blocks and the channels' Gram matrix to choose the mono mix at the end."""

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []
        self.gram: np.ndarray | None = None
        self.n_samples = 0

    def add_all(self, frames: list[av.AudioFrame]) -> None:
        for frame in frames:
            block = frame.to_ndarray()  # fltp: (C, n) float32
            g = block.astype(np.float64) @ block.T.astype(np.float64)
            self.gram = g if self.gram is None else self.gram + g
            self.blocks.append(block)
            self.n_samples += block.shape[1]

    def weights(self) -> np.ndarray:
        """(C,) mixing weights: the mean of the live channels, or the loudest channel if they cancel."""
        g = self.gram
        energy = np.diag(g)
        live = energy >= energy.max() * 10 ** (DEAD_CHANNEL_DB / 10)
        w = live / live.sum()
        # The Gram matrix gives the mix energy without a second pass: w^T G w.
        if w @ g @ w < energy[live].mean() * 10 ** (CANCEL_DB / 10):
            w = np.eye(len(energy))[int(np.argmax(energy))]
        return w.astype(np.float32)

    def mono(self, lead: int) -> np.ndarray:
        """(lead + N,) float32 in [-1, 1]: ``lead`` zeros, then the mix. Releases the blocks as it goes."""
        w = self.weights()
        out = np.zeros(lead + self.n_samples, dtype=np.float32)
        at = lead
        self.blocks.reverse()
        while self.blocks:
            block = self.blocks.pop()
            out[at : at + block.shape[1]] = w @ block
            at += block.shape[1]
        return np.clip(out, -1.0, 1.0, out=out)
