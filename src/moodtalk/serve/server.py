"""The WebSocket streaming server: ``ws://HOST:PORT/stream`` (protocol in the README, "Serving").

Every connection is one :class:`~moodtalk.serve.session.Session`. Requests are checked before any work:
the path, the token (``Authorization: Bearer SECRET`` or ``?token=SECRET``), the number of sessions.
Bad messages get ``{"type": "error", "error": "..."}`` and the session goes on; a message over
``max_message_bytes`` closes that connection (code 1009) as soon as its header says so.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from moodtalk.errors import InputError
from moodtalk.serve.portraits import PortraitCache
from moodtalk.serve.session import FPS, Session, SessionConfig

TOKEN_ENV = "MOODTALK_TOKEN"
"""Environment variable read for the token when ``--token`` is not given."""
START_KEYS = frozenset({"type", "portrait", "emotion", "intensity", "sample_rate", "size"})
"""Fields of the start message."""
SIZES = (256, 512)
"""Frame sides a client may ask for (1024 is too slow to stream on a CPU)."""
TICK_S = 0.005
"""How often a session's pump looks for due frames when no audio arrives."""
log = logging.getLogger("moodtalk.serve")


@dataclass(frozen=True)
class ServerConfig:
    """Settings of ``moodtalk serve``."""

    host: str = "127.0.0.1"
    """Interface to listen on (loopback unless told otherwise)."""
    port: int = 8765
    """TCP port (0 = any free one)."""
    portraits: Path | None = None
    """Folder whose files clients may name as their portrait (nothing else is ever read)."""
    token: str | None = None
    """Secret every request must present; None = no check."""
    max_sessions: int = 4
    """Concurrent sessions; more are refused with HTTP 503 before the upgrade."""
    max_message_bytes: int = 16 * 2**20
    """Largest message accepted (a base64 portrait fits); bigger ones close the connection unread."""
    session: SessionConfig = SessionConfig()
    """Defaults of every session (the start message may set sample_rate)."""


def _json(kind: str, **fields: object) -> str:
    return json.dumps({"type": kind, **fields})


class StreamServer:
    """The server's shared state: portrait cache, worker threads, session count."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.portraits = PortraitCache(config.portraits)
        # Frames are made on a fixed pool (renderer and codecs release the GIL); connections never add threads.
        self.workers = ThreadPoolExecutor(max(1, config.max_sessions), thread_name_prefix="moodtalk-stream")
        self.preparer = ThreadPoolExecutor(1, thread_name_prefix="moodtalk-portrait")
        self.sessions = 0

    def close(self) -> None:
        self.workers.shutdown(wait=True, cancel_futures=True)
        self.preparer.shutdown(wait=True, cancel_futures=True)

    # -- handshake --------------------------------------------------------------------------------------------

    def process_request(self, connection, request):  # noqa: ANN001, ANN201 - websockets' hook signature
        """Refuse a wrong path, a missing or wrong token, or a full server, before the upgrade."""
        url = urlsplit(request.path)
        if url.path != "/stream":
            return connection.respond(HTTPStatus.NOT_FOUND, "moodtalk serve: connect to /stream\n")
        if self.config.token is not None:
            given = request.headers.get("Authorization", "")
            given = given[len("Bearer ") :] if given.startswith("Bearer ") else ""
            given = given or (parse_qs(url.query).get("token") or [""])[0]
            if not hmac.compare_digest(given.encode(), self.config.token.encode()):
                return connection.respond(HTTPStatus.UNAUTHORIZED, "missing or wrong token\n")
        if self.sessions >= self.config.max_sessions:
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "server full, try again later\n")
        return None

    # -- one connection ---------------------------------------------------------------------------------------

    async def handle(self, ws) -> None:  # noqa: ANN001 - websockets ServerConnection
        """Serve one client until it ends the stream or disconnects."""
        import websockets

        self.sessions += 1
        session: Session | None = None
        pump: asyncio.Task | None = None
        wake = asyncio.Event()
        try:
            async for message in ws:
                try:
                    if isinstance(message, bytes):
                        if session is None:
                            raise InputError(None, "send the JSON start message before any audio")
                        session.push_audio(message)
                        wake.set()
                        continue
                    data = self._parse(message)
                    if session is None:
                        session = await self._start(data)
                        await ws.send(_json("ready", width=session.portrait.rig.image.shape[1],
                                            height=session.portrait.rig.image.shape[0], fps=FPS,
                                            sample_rate=session.config.sample_rate,
                                            portrait=session.portrait.name))  # fmt: skip
                        pump = asyncio.create_task(self._pump(ws, session, wake))
                    else:
                        await self._control(ws, session, data)
                        wake.set()
                except InputError as e:
                    await ws.send(_json("error", error=str(e)))
        except websockets.ConnectionClosed:
            pass
        finally:
            if pump is not None:
                pump.cancel()
                await asyncio.gather(pump, return_exceptions=True)
            self.sessions -= 1

    def _parse(self, message: str) -> dict:
        try:
            data = json.loads(message)
        except json.JSONDecodeError as e:
            raise InputError(None, f"malformed JSON ({e.msg} at character {e.pos})") from None
        if not isinstance(data, dict):
            raise InputError(None, "a text message must be a JSON object")
        return data

    async def _start(self, data: dict) -> Session:
        """A session from the start message (the portrait is prepared on the preparer thread)."""
        if data.get("type", "start") != "start":
            raise InputError(None, f"the first message must be the start message, not {data.get('type')!r}")
        unknown = sorted(set(data) - START_KEYS)
        if unknown:
            raise InputError(None, f"unknown start field(s) {', '.join(map(repr, unknown))} (known: "
                                   f"{', '.join(sorted(START_KEYS - {'type'}))})")  # fmt: skip
        size = data.get("size", 256)
        if size not in SIZES:
            raise InputError(None, f"size must be one of {', '.join(map(str, SIZES))}, got {size!r}")
        rate = data.get("sample_rate", self.config.session.sample_rate)
        if not isinstance(rate, int) or isinstance(rate, bool):
            raise InputError(None, f"sample_rate must be an integer, got {rate!r}")
        config = replace(self.config.session, sample_rate=rate)
        emotion, intensity = data.get("emotion", "neutral"), data.get("intensity", 1.0)
        # Cheap checks first: a bad emotion or rate is refused before the portrait is tracked.
        Session.check(config, emotion, intensity)
        loop = asyncio.get_running_loop()
        portrait = await loop.run_in_executor(self.preparer, self.portraits.get, data.get("portrait"), size)
        return Session(portrait, emotion, intensity, config)

    async def _control(self, ws, session: Session, data: dict) -> None:  # noqa: ANN001
        kind = data.get("type", "emotion" if "emotion" in data or "intensity" in data else None)
        if kind == "emotion":
            extra = sorted(set(data) - {"type", "emotion", "intensity"})
            if extra:
                raise InputError(None, f"unknown emotion field(s) {', '.join(map(repr, extra))}")
            session.set_emotion(data.get("emotion", session.emotion), data.get("intensity"))
        elif kind == "interrupt":
            await ws.send(_json("interrupted", idle_from_pts_us=session.interrupt()))
        elif kind == "end":
            session.end()
        elif kind == "start" or "portrait" in data:
            raise InputError(None, "the stream has already started (one start message per connection)")
        else:
            raise InputError(None, f"unknown message type {kind!r} (use emotion, interrupt or end)")

    async def _pump(self, ws, session: Session, wake: asyncio.Event) -> None:  # noqa: ANN001
        """Send frames as they come due; close the connection after the end of the stream."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                frames = await loop.run_in_executor(self.workers, session.advance)
            except Exception as e:  # noqa: BLE001 - one session's failure is reported, never the server's
                log.exception("stream session failed")
                await ws.send(_json("error", error=f"internal error, stream stopped: {type(e).__name__}"))
                await ws.close(1011, "internal error")
                return
            for pts in session.take_utterances():
                await ws.send(_json("speech", pts_us=pts))
            for frame in frames:
                await ws.send(frame.message())
            if session.finished:
                await ws.send(_json("done", frames=session.frames_made, skipped=session.frames_skipped))
                await ws.close(1000, "stream ended")
                return
            if not frames:
                try:
                    await asyncio.wait_for(wake.wait(), TICK_S)
                except TimeoutError:
                    pass
                wake.clear()


async def serve(config: ServerConfig, started: asyncio.Future | None = None) -> None:
    """Run the server until cancelled.

    Args:
        config: settings.
        started: set to the bound (host, port) once listening (for tests and embedding).
    """
    from websockets.asyncio.server import serve as ws_serve

    server = StreamServer(config)
    try:
        async with ws_serve(server.handle, config.host, config.port, process_request=server.process_request,
                            max_size=config.max_message_bytes, compression=None) as ws_server:  # fmt: skip
            bound = next(iter(ws_server.sockets)).getsockname()[:2]
            if started is not None:
                started.set_result(bound)
            await asyncio.get_running_loop().create_future()  # until cancelled
    finally:
        server.close()


def token_from(value: str | None) -> str | None:
    """The token given on the command line, else the environment's, else None."""
    return value or os.environ.get(TOKEN_ENV) or None
