"""A streaming server on loopback for the serve tests, a prepared portrait, and speech-like PCM."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

TOKEN = "correct horse battery staple"


def speechlike(seconds: float, sr: int = 24000, seed: int = 1) -> np.ndarray:
    """Voiced 'syllables' (150-250 Hz buzz, 120-300 ms) separated by short gaps, reproducible."""
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    while sum(map(len, out)) < seconds * sr:
        t = np.arange(int(rng.uniform(0.12, 0.3) * sr)) / sr
        out.append(0.3 * np.sign(np.sin(2 * np.pi * rng.uniform(150, 250) * t)) * np.hanning(len(t)))
        out.append(np.zeros(int(rng.uniform(0.04, 0.1) * sr)))
    return np.concatenate(out)[: int(seconds * sr)].astype(np.float32)


def pcm16(samples: np.ndarray) -> bytes:
    """Float samples → PCM16 little-endian bytes."""
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


@pytest.fixture(scope="session")
def stream_portrait(astronaut: np.ndarray):  # noqa: ANN201
    from moodtalk.serve import prepare_stream_portrait

    return prepare_stream_portrait(astronaut, 256, "astronaut")


@dataclass
class RunningServer:
    url: str
    """ws://127.0.0.1:PORT/stream"""
    port: int
    portraits: Path
    """The server's --portraits folder (holds face.png)."""
    outside: Path
    """A face image outside that folder."""


def _run(config, started_box: dict, ready: threading.Event) -> None:  # noqa: ANN001
    from moodtalk.serve.server import serve

    loop = asyncio.new_event_loop()
    started = loop.create_future()
    task = loop.create_task(serve(config, started))
    started.add_done_callback(lambda f: (started_box.update(bound=f.result()), ready.set()))
    started_box.update(loop=loop, task=task)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass
    finally:
        loop.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Iterator[RunningServer]:
    """A token-protected server with a portrait folder; stopped after the module."""
    from moodtalk.serve.server import ServerConfig

    root = tmp_path_factory.mktemp("serve")
    folder = root / "portraits"
    folder.mkdir()
    cv2.imwrite(str(folder / "face.png"), astronaut[..., ::-1])
    outside = root / "secret.png"
    cv2.imwrite(str(outside), astronaut[..., ::-1])
    (folder / "link.png").symlink_to(outside)
    box: dict = {}
    ready = threading.Event()
    config = ServerConfig(host="127.0.0.1", port=0, portraits=folder, token=TOKEN, max_sessions=3,
                          max_message_bytes=4 * 2**20)  # fmt: skip
    thread = threading.Thread(target=_run, args=(config, box, ready), daemon=True)
    thread.start()
    assert ready.wait(30), "server did not start"
    port = box["bound"][1]
    yield RunningServer(f"ws://127.0.0.1:{port}/stream", port, folder, outside)
    box["loop"].call_soon_threadsafe(box["task"].cancel)
    thread.join(30)
