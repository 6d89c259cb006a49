"""``moodtalk serve`` over real WebSockets on loopback: the protocol, bad messages, security, load."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import tempfile
import threading
import time

import cv2
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.serve.conftest import TOKEN, pcm16, speechlike

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def open_ws(server, **kw):  # noqa: ANN001, ANN201
    return connect(server.url, additional_headers=AUTH, open_timeout=10, **kw)


def recv_json(ws, timeout: float = 30) -> dict:  # noqa: ANN001
    """The next text message (frames before it are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        message = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        if isinstance(message, str):
            return json.loads(message)


def start(ws, **fields) -> dict:  # noqa: ANN001
    ws.send(json.dumps(fields))
    reply = recv_json(ws)
    assert reply["type"] == "ready", reply
    return reply


def test_stream_protocol_end_to_end(server) -> None:  # noqa: ANN001
    audio = pcm16(speechlike(1.2))
    with open_ws(server) as ws:
        ready = start(ws, portrait="face", emotion="happy", intensity=0.8, sample_rate=24000, size=256)
        assert (ready["width"], ready["height"], ready["fps"]) == (256, 256, 25)
        for i in range(0, len(audio), 960):  # 20 ms chunks, faster than real time: the server paces
            ws.send(audio[i : i + 960])
        ws.send(json.dumps({"emotion": "sad", "intensity": 0.5}))
        ws.send(json.dumps({"type": "end"}))
        frames, texts = [], []
        for message in ws:  # the server closes after the last frame
            (frames if isinstance(message, bytes) else texts).append(message)
    texts = [json.loads(t) for t in texts]
    assert {"type": "speech", "pts_us": 0} in texts
    assert texts[-1]["type"] == "done"
    pts = [int.from_bytes(m[:8], "little") for m in frames]
    assert pts == [40_000 * i for i in range(30)]  # 1.2 s of audio = 30 frames, from 0, every 40 ms
    image = cv2.imdecode(np.frombuffer(frames[10][8:], np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (256, 256, 3)


def test_frames_keep_coming_while_idle(server) -> None:  # noqa: ANN001
    with open_ws(server) as ws:
        start(ws)
        ws.send(pcm16(np.zeros(480, np.float32)))  # 20 ms: the timeline starts
        t0 = time.monotonic()
        pts = []
        while time.monotonic() - t0 < 1.0:
            message = ws.recv(timeout=5)
            if isinstance(message, bytes):
                pts.append(int.from_bytes(message[:8], "little"))
    assert len(pts) >= 20  # ~25 fps of idle frames with no audio queued
    assert np.all(np.diff(pts) == 40_000)


def test_bad_messages_get_an_error_and_the_session_goes_on(server) -> None:  # noqa: ANN001
    with open_ws(server) as ws:
        ws.send(b"\x00\x00")
        assert "start message" in recv_json(ws)["error"]
        ws.send("{not json")
        assert "malformed JSON" in recv_json(ws)["error"]
        ws.send(json.dumps({"emotion": "joyous-ish"}))
        assert "unknown emotion" in recv_json(ws)["error"]
        ws.send(json.dumps({"size": 999}))
        assert "size" in recv_json(ws)["error"]
        ws.send(json.dumps({"voice": "x"}))
        assert "unknown start field" in recv_json(ws)["error"]
        blank = base64.b64encode(cv2.imencode(".png", np.full((300, 300, 3), 128, np.uint8))[1].tobytes()).decode()
        ws.send(json.dumps({"portrait": blank}))
        assert "face" in recv_json(ws)["error"].lower()
        start(ws)  # the same connection can still start properly
        ws.send(b"\x01\x02\x03")
        assert "even number" in recv_json(ws)["error"]
        ws.send(json.dumps({"emotion": "sadd"}))
        assert "did you mean 'sad'" in recv_json(ws)["error"]
        ws.send(json.dumps({"type": "dance"}))
        assert "unknown message type" in recv_json(ws)["error"]
        ws.send(pcm16(speechlike(0.3)))
        ws.send(json.dumps({"type": "interrupt"}))
        reply = recv_json(ws)
        assert reply["type"] in ("speech", "interrupted")
        message = ws.recv(timeout=5)
        while not isinstance(message, bytes):
            message = ws.recv(timeout=5)
        assert len(message) > 8  # still streaming frames


def test_portrait_names_are_confined_to_the_folder(server) -> None:  # noqa: ANN001
    with open_ws(server) as ws:
        for name in ("../secret.png", "../secret", str(server.outside), "/etc/passwd", "link.png", "link", ".hidden"):
            ws.send(json.dumps({"portrait": name}))
            error = recv_json(ws)
            assert error["type"] == "error", name
            assert "portrait" in error["error"], error
        ws.send(json.dumps({"portrait": "nobody"}))
        assert "no portrait named" in recv_json(ws)["error"]
        assert start(ws, portrait="face.png")["portrait"] == "face.png"


def test_missing_or_wrong_token_is_refused_before_the_upgrade(server) -> None:  # noqa: ANN001
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        with pytest.raises(InvalidStatus) as e:
            connect(server.url, additional_headers=headers, open_timeout=10)
        assert e.value.response.status_code == 401
    with connect(server.url + "?token=" + TOKEN.replace(" ", "%20"), open_timeout=10) as ws:
        start(ws)  # the query form, for browsers
    with pytest.raises(InvalidStatus) as e:
        connect(server.url.replace("/stream", "/elsewhere"), additional_headers=AUTH, open_timeout=10)
    assert e.value.response.status_code == 404


def test_a_200_mb_message_is_refused_without_reading_it(server) -> None:  # noqa: ANN001
    """A raw client declares a 200 MB frame and sends only its first 64 KB: the server closes at once."""
    key = base64.b64encode(os.urandom(16)).decode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall((f"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
                  ).encode())  # fmt: skip
    assert b"101" in sock.recv(4096).split(b"\r\n")[0]
    size = 200 * 2**20
    header = bytes([0x82, 0x80 | 127]) + size.to_bytes(8, "big") + b"\x00\x00\x00\x00"  # binary, masked
    t0 = time.monotonic()
    sock.sendall(header + b"\x00" * 65536)
    reply = b""
    try:
        while True:
            part = sock.recv(4096)
            if not part:
                break
            reply += part
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    assert time.monotonic() - t0 < 5
    assert reply[:1] == b"\x88" and int.from_bytes(reply[2:4], "big") == 1009  # close: message too big
    with open_ws(server) as ws:  # and the server goes on
        start(ws)


def test_a_client_vanishing_mid_utterance_does_not_disturb_others(server) -> None:  # noqa: ANN001
    with open_ws(server) as other:
        start(other)
        other.send(pcm16(speechlike(2.0)))
        with open_ws(server) as quitter:
            start(quitter)
            quitter.send(pcm16(speechlike(2.0)))  # and closes mid-utterance
        got = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < 1.0:
            got += isinstance(other.recv(timeout=5), bytes)
        assert got >= 20


def test_fifty_clients_leave_nothing_behind(server) -> None:  # noqa: ANN001
    import multiprocessing

    # Warm up once so lazily started worker threads are counted in the baseline.
    with open_ws(server) as ws:
        start(ws)
        ws.send(pcm16(speechlike(0.2)))
        ws.recv(timeout=10)
    threads, temps = threading.active_count(), set(os.listdir(tempfile.gettempdir()))
    deadline = time.monotonic() + 60
    for i in range(50):
        assert time.monotonic() < deadline
        with open_ws(server) as ws:
            if i % 2:
                start(ws)
                ws.send(pcm16(speechlike(0.1)))
    time.sleep(0.5)
    assert threading.active_count() <= threads
    assert not multiprocessing.active_children()
    assert set(os.listdir(tempfile.gettempdir())) - temps == set()
    with open_ws(server) as ws:  # every session slot was given back
        start(ws)


def test_more_sessions_than_allowed_are_refused(server) -> None:  # noqa: ANN001
    with contextlib.ExitStack() as stack:
        for _ in range(3):
            stack.enter_context(open_ws(server))
        with pytest.raises(InvalidStatus) as e:
            open_ws(server)
        assert e.value.response.status_code == 503
    time.sleep(0.2)
    with open_ws(server) as ws:
        start(ws)


def test_closed_connection_rejects_further_sends(server) -> None:  # noqa: ANN001
    with open_ws(server) as ws:
        start(ws)
        ws.send(json.dumps({"type": "end"}))
        with pytest.raises(ConnectionClosed):
            for _ in range(100):
                ws.recv(timeout=5)
