"""Real-time streaming avatar: PCM16 audio in, JPEG frames with presentation times out, over WebSocket.

``Session`` is the transport-free core (the Python API); ``serve`` runs the WebSocket server of
``moodtalk serve`` (protocol in the README, "Serving"). Names load on first use, so that importing
``moodtalk.serve.cli`` for ``moodtalk --help`` stays cheap.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ServerConfig": "server",
    "serve": "server",
    "Session": "session",
    "SessionConfig": "session",
    "StreamFrame": "session",
    "StreamPortrait": "session",
    "prepare_stream_portrait": "session",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):  # noqa: ANN202 - PEP 562 lazy exports
    if name not in _EXPORTS:
        raise AttributeError(f"module 'moodtalk.serve' has no attribute {name!r}")
    return getattr(importlib.import_module(f"moodtalk.serve.{_EXPORTS[name]}"), name)
