"""Writing H.264 + AAC video files, atomically: the output appears complete or not at all."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from moodtalk.errors import InputError
from moodtalk.types import AudioTrack, Frames

from ._media import MEDIA_ERRORS

AUDIO_BIT_RATE = 128_000
"""AAC bits per second; FFmpeg's default (about 70 kb/s for mono) audibly distorts tonal sounds."""

AUDIO_BLOCK_S = 1.0
"""Audio is handed to the encoder in blocks of this many seconds."""

# BT.601 with limited range is what libswscale uses for RGB -> YUV by default; tagging it lets
# players convert back with the same matrix (untagged HD video is often shown as BT.709).
_BT601 = {"colorspace": 6, "color_primaries": 6, "color_trc": 6, "color_range": 1}


class VideoWriter:
    """Streaming writer of an H.264 (libx264, yuv420p) video with an optional AAC audio track.

    ``size`` is (width, height) of the frames given to ``write``. H.264 in 4:2:0 needs even
    sizes, so an odd side is padded by one pixel (a copy of the last row or column). Audio and
    video both start at time 0; the audio is cut where the video ends. Everything goes to a
    hidden temporary file beside ``path`` that is renamed onto ``path`` by ``close()``; on an
    error (or an exception inside the ``with`` block) it is removed and ``path`` is untouched.

    >>> with VideoWriter("out.mp4", (w, h), 25.0, audio) as writer:  # doctest: +SKIP
    ...     for chunk in chunks:  # (n, h, w, 3) uint8 RGB
    ...         writer.write(chunk)
    """

    def __init__(
        self,
        path: str | Path,
        size: tuple[int, int],
        fps: float,
        audio: AudioTrack | None = None,
        crf: int = 18,
        preset: str = "superfast",
    ) -> None:
        if not (np.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be a positive number, got {fps!r}")
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f"size must be (width, height) in pixels, got {size!r}")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must be in 0..51 (lower is better), got {crf}")
        self.path = Path(path)
        if self.path.is_dir():
            raise InputError(self.path, "is a directory, not a file")
        if not self.path.parent.is_dir():
            raise InputError(self.path, "output folder does not exist")
        self.size = (int(size[0]), int(size[1]))
        self.fps = float(fps)
        self.n_frames = 0
        """Frames written so far."""
        self._audio = audio
        self._audio_done = 0  # samples of ``audio`` handed to the encoder
        self._closed = False
        # The temporary name keeps the real suffix, from which FFmpeg picks the container format.
        suffix = self.path.suffix or ".mp4"
        self._tmp = self.path.with_name(f".{self.path.stem}.{secrets.token_hex(4)}.part{suffix}")
        options = {"movflags": "+faststart"} if suffix.lower() in (".mp4", ".m4v", ".mov") else {}
        try:
            self._container = av.open(os.fspath(self._tmp.absolute()), "w", container_options=options)
            self._rate = Fraction(self.fps).limit_denominator(1001)  # 29.97 -> 2997/100, 30000/1001 stays
            video = self._container.add_stream("libx264", rate=self._rate, options={"crf": str(crf), "preset": preset})
            video.width, video.height = self.size[0] + self.size[0] % 2, self.size[1] + self.size[1] % 2
            video.pix_fmt = "yuv420p"
            for key, value in _BT601.items():
                setattr(video.codec_context, key, value)
            self._video = video
            if audio is not None:
                rates = av.codec.Codec("aac", "w").audio_rates or ()
                rate = audio.sample_rate if audio.sample_rate in rates else 48000  # the encoder resamples
                self._audio_stream = self._container.add_stream("aac", rate=rate, layout="mono")
                self._audio_stream.bit_rate = AUDIO_BIT_RATE
        except MEDIA_ERRORS as e:
            self.abort()
            raise InputError(self.path, f"cannot be written ({e})") from None

    def write(self, frames: np.ndarray | Frames) -> None:
        """Append frames: (n, H, W, 3) or one (H, W, 3) uint8 RGB array, or a ``Frames``, at ``size``."""
        images = frames.images if isinstance(frames, Frames) else np.asarray(frames)
        if images.ndim == 3:
            images = images[None]
        w, h = self.size
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (h, w, 3):
            raise ValueError(f"frames must be (n, {h}, {w}, 3) uint8, got {images.shape} {images.dtype}")
        if self._closed:
            raise ValueError(f"{self.path}: writer is closed")
        pad = ((0, 0), (0, h % 2), (0, w % 2), (0, 0))
        if w % 2 or h % 2:
            images = np.pad(images, pad, mode="edge")
        try:
            for image in images:
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts, frame.time_base = self.n_frames, 1 / self._rate
                self._container.mux(self._video.encode(frame))
                self.n_frames += 1
            # Keep the audio level with the video so the muxer can interleave the two.
            self._write_audio(until=self.n_frames / self.fps)
        except MEDIA_ERRORS as e:
            self.abort()
            raise InputError(self.path, f"cannot be written ({e})") from None

    def set_audio(self, audio: AudioTrack) -> None:
        """Hand over the audio track later (e.g. once a long file has been read after the first frames).

        The writer must have been opened with an audio track of the same sample rate (it may be empty);
        the next ``write`` catches the audio up with the video.
        """
        if self._audio is None or audio.sample_rate != self._audio.sample_rate:
            raise ValueError("set_audio needs a writer opened with audio at the same sample rate")
        self._audio = audio

    def close(self) -> Path:
        """Finish the file and move it onto ``path``; returns ``path``. Raises if no frame was written."""
        if self._closed:
            return self.path
        if self.n_frames == 0:
            self.abort()
            raise ValueError(f"{self.path}: no frames were written")
        try:
            self._write_audio(until=self.n_frames / self.fps)
            if self._audio is not None:
                self._container.mux(self._audio_stream.encode(None))
            self._container.mux(self._video.encode(None))
            self._container.close()
            os.replace(self._tmp, self.path)
        except MEDIA_ERRORS as e:
            self.abort()
            raise InputError(self.path, f"cannot be written ({e})") from None
        self._closed = True
        return self.path

    def abort(self) -> None:
        """Drop the output: close the encoder and delete the temporary file; ``path`` is not touched."""
        self._closed = True
        container = getattr(self, "_container", None)
        if container is not None:
            try:
                container.close()
            except MEDIA_ERRORS:
                pass  # a half-written file may not finalise; it is deleted below anyway
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _write_audio(self, until: float) -> None:
        """Encode the audio samples up to ``until`` seconds (and not past the end of the track)."""
        if self._audio is None:
            return
        sr = self._audio.sample_rate
        end = min(round(until * sr), self._audio.samples.shape[0])
        block = max(1, round(AUDIO_BLOCK_S * sr))
        while self._audio_done < end:
            stop = min(end, self._audio_done + block)
            samples = np.clip(self._audio.samples[self._audio_done : stop], -1.0, 1.0)
            frame = av.AudioFrame.from_ndarray(samples[None], format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = sr, self._audio_done, Fraction(1, sr)
            self._container.mux(self._audio_stream.encode(frame))
            self._audio_done = stop


def write_video(
    path: str | Path,
    frames: Frames | Iterable[np.ndarray | Frames],
    fps: float | None = None,
    audio: AudioTrack | None = None,
    crf: int = 18,
) -> Path:
    """Write frames (and audio) as an H.264 + AAC file; returns ``path``. See ``VideoWriter``.

    ``frames``: a ``Frames``, or an iterable of (H, W, 3) / (n, H, W, 3) uint8 RGB arrays or
    ``Frames`` chunks (e.g. from ``iter_frames``), consumed lazily. ``fps`` defaults to the rate
    of the (first) ``Frames``; it is required for plain arrays. If the iterable raises, no
    output is left behind.
    """
    chunks = iter([frames] if isinstance(frames, Frames) else frames)
    first = next(chunks, None)
    if first is None:
        raise ValueError(f"{path}: no frames to write")
    if fps is None:
        if not isinstance(first, Frames):
            raise ValueError("fps is required when frames are plain arrays")
        fps = first.fps
    shape = (first.images if isinstance(first, Frames) else np.asarray(first)).shape
    with VideoWriter(path, (shape[-2], shape[-3]), fps, audio=audio, crf=crf) as writer:
        writer.write(first)
        for chunk in chunks:
            writer.write(chunk)
    return writer.path
