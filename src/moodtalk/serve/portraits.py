"""Where a streaming client's portrait comes from: a name inside the server's folder, or a base64 image.

A client never names a file path: names are plain file names, resolved inside ``--portraits DIR`` and
refused if the resolved file (symlinks followed) lies outside it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np

from moodtalk.errors import InputError
from moodtalk.serve.session import StreamPortrait, prepare_stream_portrait

NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\- ]{0,127}")
"""A portrait name: a file name (with or without its extension), no separators, no leading dot."""
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
"""Extensions tried after a name given without one."""
MAX_IMAGE_BYTES = 10 * 2**20
"""Largest decoded base64 image."""
MAX_IMAGE_SIDE = 8192
"""Larger decoded images are refused (a small file can decode to a huge bitmap)."""
DEFAULT_NAMES = ("", "default", "astronaut")
"""Names that mean the packaged portrait."""


def resolve_name(name: str, folder: Path | None) -> Path:
    """The file ``name`` stands for inside ``folder``.

    Raises:
        InputError: not a plain name, no folder, no such file, or a file (through a symlink) outside it.
    """
    if not NAME_RE.fullmatch(name) or ".." in name:
        raise InputError(None, "portrait must be the name of a file in the server's portrait folder (letters, "
                               "digits, '_', '-', '.'; no path) or a base64 image")  # fmt: skip
    if folder is None:
        raise InputError(None, "this server has no portrait folder (--portraits DIR); send a base64 image")
    root = os.path.realpath(folder)
    for candidate in (name, *(name + s for s in IMAGE_SUFFIXES)):
        path = os.path.realpath(os.path.join(root, candidate))
        if os.path.commonpath([root, path]) != root:
            raise InputError(None, f"portrait {name!r} is outside the server's portrait folder")
        if os.path.isfile(path):
            return Path(path)
    raise InputError(None, f"no portrait named {name!r} in the server's portrait folder")


def decode_image(data: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB from base64 text (a ``data:image/...;base64,`` URL or plain base64).

    Raises:
        InputError: not base64, too large, or not a decodable image.
    """
    if data.startswith("data:"):
        data = data.partition(",")[2]
    if len(data) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise InputError(None, f"portrait image is over {MAX_IMAGE_BYTES // 2**20} MB")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(None, "portrait is neither a portrait name nor valid base64") from None
    image = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR) if raw else None
    if image is None:
        raise InputError(None, "portrait base64 is not an image OpenCV can read (png, jpg, webp, bmp)")
    if max(image.shape[:2]) > MAX_IMAGE_SIDE:
        raise InputError(None, f"portrait image is larger than {MAX_IMAGE_SIDE} px")
    return np.ascontiguousarray(image[..., ::-1])


class PortraitCache:
    """Prepared portraits by content and size, shared by sessions (most recent ``capacity`` kept).

    Preparation (face tracking, renderer set-up) runs one at a time.
    """

    def __init__(self, folder: Path | None, capacity: int = 4) -> None:
        self.folder = folder
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, int], StreamPortrait] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, portrait: str | None, size: int) -> StreamPortrait:
        """The prepared portrait of a start message's ``portrait`` field at ``size`` px.

        Raises:
            InputError: bad name or image, no face, face too small.
        """
        from moodtalk.pipeline import MAX_PORTRAIT_SIDE, load_portrait

        if portrait is not None and not isinstance(portrait, str):
            raise InputError(None, "portrait must be a string: a name or a base64 image")
        text = (portrait or "").strip()
        if text.lower() in DEFAULT_NAMES:
            key, loader = "default", lambda: load_portrait(None)
        elif text.startswith("data:") or len(text) > 255:
            image = decode_image(text)
            scale = MAX_PORTRAIT_SIDE / max(image.shape[:2])
            if scale < 1:
                image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            key, loader = hashlib.sha256(image.tobytes()).hexdigest(), lambda: (image, "uploaded portrait")
        else:
            path = resolve_name(text, self.folder)
            stat = path.stat()
            key, loader = f"{path}:{stat.st_mtime_ns}:{stat.st_size}", lambda: load_portrait(path)
        with self._lock:
            if (key, size) in self._items:
                self._items.move_to_end((key, size))
                return self._items[(key, size)]
            image, name = loader()
            prepared = prepare_stream_portrait(image, size, name)
            self._items[(key, size)] = prepared
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
            return prepared
