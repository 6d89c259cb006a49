"""Shared plumbing: input checks, opening containers, error-tolerant decoding, still images."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
from av.container import InputContainer

from moodtalk.errors import InputError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})
"""Still images, read with OpenCV and treated as one-frame videos."""

# Everything PyAV raises for a bad file: its own errors (which also subclass OSError/ValueError
# variants) plus plain OS errors and undecodable metadata tags.
MEDIA_ERRORS = (av.error.FFmpegError, OSError, UnicodeDecodeError)

NOT_MEDIA = "not a readable media file"


def check_file(path: str | Path) -> Path:
    """The path as a ``Path`` if it names a non-empty regular file, else ``InputError``."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found")
    if p.is_dir():
        raise InputError(p, "is a directory, not a file")
    if p.stat().st_size == 0:
        raise InputError(p, "file is empty (0 bytes)")
    return p


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def read_image(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB of a still image (EXIF orientation applied, alpha dropped)."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise InputError(path, f"cannot be read ({e.strerror or e})") from None
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(path, NOT_MEDIA)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def open_media(path: Path) -> InputContainer:
    """Open a container for reading (use it as a context manager); failures become ``InputError``."""
    try:
        # An absolute path keeps FFmpeg from reading "name:with:colons" as a protocol.
        container = av.open(os.fspath(path.absolute()), metadata_errors="ignore")
    except MEDIA_ERRORS:
        raise InputError(path, NOT_MEDIA) from None
    if not container.streams.video and not container.streams.audio:
        container.close()
        raise InputError(path, NOT_MEDIA)
    return container


def video_stream(container: InputContainer) -> av.VideoStream | None:
    """The first real video stream; cover art embedded in audio files (attached pictures) is not video."""
    for s in container.streams.video:
        if not s.disposition & av.stream.Disposition.attached_pic:
            return s
    return None


def audio_stream(container: InputContainer) -> av.AudioStream | None:
    return container.streams.audio[0] if container.streams.audio else None


def timeline_origin(container: InputContainer) -> float:
    """Seconds on the container clock that callers see as time 0.

    The earliest start of the audio and video streams, so that frames and samples read from one
    file stay in sync (an flv may start its video 27 ms after its audio). Negative starts come
    from codec delay (AAC priming, Opus pre-skip) that the decoder already drops: clamp to 0.
    """
    starts = [
        float(s.start_time * s.time_base)
        for s in (video_stream(container), audio_stream(container))
        if s is not None and s.start_time is not None and s.time_base is not None
    ]
    return max(0.0, min(starts)) if starts else 0.0


def decode(container: InputContainer, stream: av.stream.Stream) -> Iterator[av.frame.Frame]:
    """Decoded frames of one stream, keeping whatever decodes in a damaged file.

    A packet that fails to decode is skipped; a demuxing error (truncated file) ends the stream
    after flushing the decoder, so the frames before the damage are still delivered.
    """
    stream.thread_type = "AUTO"  # frame + slice threads: several times faster on long clips
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except MEDIA_ERRORS:
            packet = None  # flush what the decoder still holds, then stop
        try:
            frames = packet.decode() if packet is not None else stream.codec_context.decode(None)
        except MEDIA_ERRORS:
            frames = []
        yield from frames
        if packet is None:
            return


def media_duration(container: InputContainer) -> float:
    """Seconds the container spans (its own figure, else its longest stream's)."""
    if container.duration:
        return container.duration / av.time_base
    spans = [float(s.duration * s.time_base) for s in container.streams if s.duration and s.time_base]
    return max(spans, default=0.0)
