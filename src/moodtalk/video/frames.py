"""Reading video frames: probing, decoding to RGB, resampling to a constant frame rate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
from av.container import InputContainer

from moodtalk.errors import InputError
from moodtalk.types import DEFAULT_FPS, Frames, VideoInfo

from ._media import (
    audio_stream,
    check_file,
    decode,
    is_image,
    media_duration,
    open_media,
    read_image,
    timeline_origin,
    video_stream,
)


def probe(path: str | Path) -> VideoInfo:
    """What a media file holds, from its container headers and its first video frame.

    A still image (png/jpg/jpeg/bmp/webp) is a one-frame video at ``DEFAULT_FPS`` lasting one
    frame. Width and height are those of the frames ``read_frames`` returns (display rotation
    applied, no ``max_size``).
    """
    p = check_file(path)
    if is_image(p):
        h, w = read_image(p).shape[:2]
        return VideoInfo(p, w, h, DEFAULT_FPS, 1, 1.0 / DEFAULT_FPS, has_video=True, has_audio=False)
    with open_media(p) as container:
        v, a = video_stream(container), audio_stream(container)
        duration = media_duration(container)
        width = height = n_frames = 0
        fps = 0.0
        if v is not None:
            fps = native_rate(v)
            n_frames = v.frames or round(duration * fps)
            first = next(decode(container, v), None)
            width, height = _Geometry(first, None).size if first is not None else (v.width, v.height)
    return VideoInfo(p, width, height, fps, n_frames, duration, has_video=v is not None, has_audio=a is not None)


def read_frames(path: str | Path, fps: float | None = DEFAULT_FPS, max_size: int | None = None) -> Frames:
    """All frames of a video (or the one of an image) as RGB uint8, shape (T, H, W, 3).

    ``fps``: output rate; frame ``i`` shows the latest source frame whose time stamp is at or
    before ``i / fps`` (frames are dropped or repeated, so variable-rate and 29.97 fps sources
    come out at a constant rate). Time 0 is the start of the file's earliest audio/video
    stream, the origin ``read_audio`` uses too, so frames and samples stay in sync. ``None``
    keeps every decoded frame, labelled with the stream's average rate. An image gives T = 1 at
    ``fps`` (or 25). ``max_size``: downscale, keeping the aspect ratio, so max(H, W) <= max_size.

    Holds the whole clip in memory; ``iter_frames`` streams it.
    """
    chunks = list(iter_frames(path, fps=fps, chunk=256, max_size=max_size))
    images = chunks[0].images if len(chunks) == 1 else np.concatenate([c.images for c in chunks])
    return Frames(images, chunks[0].fps)


def iter_frames(
    path: str | Path, fps: float | None = DEFAULT_FPS, chunk: int = 64, max_size: int | None = None
) -> Iterator[Frames]:
    """``read_frames`` in pieces: yields ``Frames`` of at most ``chunk`` frames, (n, H, W, 3) uint8.

    Memory stays bounded by one chunk plus the decoder's buffers whatever the clip length. The
    file is opened and checked now, so a bad file raises ``InputError`` here rather than at the
    first ``next()``; a file whose video stream decodes to nothing raises it during iteration.
    """
    if fps is not None and not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a positive number or None, got {fps!r}")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    if max_size is not None and max_size < 1:
        raise ValueError(f"max_size must be >= 1 or None, got {max_size}")
    p = check_file(path)
    if is_image(p):
        image = read_image(p)
        h, w = _fit(image.shape[1], image.shape[0], max_size)[::-1]
        if (h, w) != image.shape[:2]:
            image = cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)
        return iter([Frames(image[None], DEFAULT_FPS if fps is None else float(fps))])
    container = open_media(p)
    stream = video_stream(container)
    if stream is None:
        container.close()
        raise InputError(p, "has no video stream")
    return _chunks(p, container, stream, fps, chunk, max_size)


def native_rate(stream: av.VideoStream) -> float:
    """The stream's average frame rate, or the best guess FFmpeg has, or ``DEFAULT_FPS``."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    return DEFAULT_FPS


def _chunks(
    path: Path, container: InputContainer, stream: av.VideoStream, fps: float | None, chunk: int, max_size: int | None
) -> Iterator[Frames]:
    with container:
        rate = native_rate(stream)
        frames: Iterator[av.VideoFrame] = decode(container, stream)
        if fps is not None:
            # Half a time-base tick of slack (at most a quarter output frame): containers with a
            # millisecond clock (flv) round 29.97 fps stamps to the nearest ms, up to 0.5 ms late.
            tol = min(0.5 * float(stream.time_base or 0), 0.25 / fps) + 1e-6
            frames = _resample(frames, timeline_origin(container), fps, tol, 1.0 / rate)
        out_fps = rate if fps is None else float(fps)
        geometry: _Geometry | None = None
        last: av.VideoFrame | None = None
        batch: list[np.ndarray] = []
        n_out = 0
        for frame in frames:
            if frame is not last:  # a repeated frame reuses its converted image
                geometry = geometry or _Geometry(frame, max_size)
                image, last = geometry.rgb(frame), frame
            batch.append(image)
            if len(batch) == chunk:
                yield Frames(np.stack(batch), out_fps)
                n_out, batch = n_out + len(batch), []
        if batch:
            yield Frames(np.stack(batch), out_fps)
        elif n_out == 0:
            raise InputError(path, "has no decodable video frames")


def _resample(
    frames: Iterator[av.VideoFrame], origin: float, fps: float, tol: float, default_duration: float
) -> Iterator[av.VideoFrame]:
    """For each output time ``origin + i / fps``, the latest frame stamped at or before it.

    Streams: a frame is emitted once the next frame's stamp shows that it is still the latest.
    Output times before the first frame show the first frame; the clip ends where the last
    frame's duration ends. Frames without a stamp are placed ``default_duration`` after the
    previous one.
    """
    held: av.VideoFrame | None = None
    held_t = origin
    duration = default_duration
    i = 0
    for frame in frames:
        t = frame.time if frame.time is not None else held_t + duration
        if held is not None:
            while origin + i / fps < t - tol:
                yield held
                i += 1
        held, held_t = frame, t
        duration = float(frame.duration * frame.time_base) if frame.duration and frame.time_base else default_duration
    if held is not None:
        while origin + i / fps < held_t + duration - tol:
            yield held
            i += 1


def _fit(width: int, height: int, max_size: int | None) -> tuple[int, int]:
    """(width, height) scaled down, aspect kept, so the longer side is at most ``max_size``."""
    if max_size is None or max(width, height) <= max_size:
        return width, height
    s = max_size / max(width, height)
    return max(1, round(width * s)), max(1, round(height * s))


class _Geometry:
    """Output size and display rotation, fixed by the first frame so every frame stacks."""

    def __init__(self, first: av.VideoFrame, max_size: int | None) -> None:
        # Phone videos store a display matrix instead of rotated pixels; FFmpeg's CLI applies it,
        # PyAV does not. ``rotation`` is counter-clockwise degrees, as np.rot90 counts.
        self.quarter_turns = round(first.rotation / 90) % 4
        w, h = first.width, first.height
        if self.quarter_turns % 2:
            w, h = h, w
        self.size = _fit(w, h, max_size)
        """(width, height) of the output images."""
        self._coded = self.size[::-1] if self.quarter_turns % 2 else self.size

    def rgb(self, frame: av.VideoFrame) -> np.ndarray:
        """(H, W, 3) uint8 RGB of a decoded frame, scaled and turned upright."""
        w, h = self._coded
        if (frame.width, frame.height) != (w, h):
            # Scaling the YUV planes before RGB conversion is about 4x faster than scaling RGB.
            frame = frame.reformat(width=w, height=h, interpolation="AREA")
        image = frame.to_ndarray(format="rgb24")
        return np.ascontiguousarray(np.rot90(image, self.quarter_turns)) if self.quarter_turns else image
