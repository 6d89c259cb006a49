"""``moodtalk serve``: the real-time streaming avatar server."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from moodtalk.errors import InputError

EPILOG = """\
Clients open ws://HOST:PORT/stream, send one JSON start message, then binary PCM16 mono little-endian
audio chunks (10-200 ms, any pace); they get binary frames (8-byte little-endian pts in microseconds,
then a JPEG) at 25 fps, idle motion included. The README ("Serving") documents every message.

examples:
  moodtalk serve                                       # ws://127.0.0.1:8765/stream, packaged portrait
  moodtalk serve --portraits faces/ --token s3cret     # clients may name files of faces/; must send the token
  MOODTALK_TOKEN=s3cret moodtalk serve --host 0.0.0.0  # listen on every interface (token from the environment)
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="stream a talking avatar over WebSocket: PCM16 audio in, JPEG frames out, in real time",
        description="Real-time streaming avatar server (the same stages as generate, made frame block by block).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=8765, help="TCP port (default: 8765)")
    p.add_argument(
        "--portraits",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder whose image files clients may name as their portrait; nothing outside it is read "
        "(default: none, only the packaged portrait or a base64 image)",
    )
    p.add_argument(
        "--token",
        default=None,
        metavar="SECRET",
        help="every client must send 'Authorization: Bearer SECRET' or ?token=SECRET (default: $MOODTALK_TOKEN, "
        "else no check)",
    )
    p.add_argument("--max-sessions", type=int, default=4, help="concurrent streams, more are refused (default: 4)")


def run(args: argparse.Namespace) -> int:
    import asyncio

    from moodtalk.serve.server import ServerConfig, serve, token_from

    if args.portraits is not None and not args.portraits.is_dir():
        raise InputError(args.portraits, "--portraits must be an existing folder")
    if not 0 <= args.port <= 65535:
        raise InputError(None, f"--port must be in [0, 65535], got {args.port}")
    if args.max_sessions < 1:
        raise InputError(None, f"--max-sessions must be at least 1, got {args.max_sessions}")
    config = ServerConfig(host=args.host, port=args.port, portraits=args.portraits, token=token_from(args.token),
                          max_sessions=args.max_sessions)  # fmt: skip

    async def main() -> None:
        started = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(serve(config, started))
        await asyncio.wait([task, started], return_when=asyncio.FIRST_COMPLETED)
        if started.done():
            host, port = started.result()
            auth = " (token required)" if config.token else ""
            print(f"moodtalk serve: ws://{host}:{port}/stream{auth}; Ctrl+C stops", file=sys.stderr, flush=True)
        await task

    try:
        asyncio.run(main())
    except OSError as e:
        raise InputError(None, f"cannot listen on {args.host}:{args.port} ({e.strerror or e})") from None
    return 0
