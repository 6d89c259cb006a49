"""``moodtalk app``: the web page. Gradio is imported only inside ``run`` (it takes seconds)."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile

from moodtalk.errors import InputError

EPILOG = """\
Open the printed address in a browser: give a portrait (upload, webcam snapshot, or none for the packaged
astronaut), speech (upload or microphone), an emotion (a preset with an intensity, auto, or a keyframe table
whose curve is drawn as you type), then Generate. The video plays in the page; the mp4 and the motion CSV
(moodtalk and Live Link Face layouts) download from it. Nothing is fetched from the internet, by the server
or by the page.

examples:
  moodtalk app                                   # http://127.0.0.1:7860, this machine only
  moodtalk app --port 8000 --max-audio-s 60      # refuse speech over a minute
  moodtalk app --host 0.0.0.0 --token s3cret     # every interface; the login's password is the token
  MOODTALK_TOKEN=s3cret moodtalk app --host 0.0.0.0
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "app",
        help="the web page: portrait + speech + emotion → video and motion CSVs, in a browser",
        description="A local web page (Gradio) on the same functions as `generate` and `animate`.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=7860, help="TCP port (default: 7860)")
    p.add_argument(
        "--token",
        default=None,
        metavar="SECRET",
        help="require a login whose password is SECRET (any user name) (default: $MOODTALK_TOKEN, else no login)",
    )
    p.add_argument("--max-upload-mb", type=float, default=50.0, help="largest portrait or audio file (default: 50)")
    p.add_argument("--max-audio-s", type=float, default=300.0, help="longest speech in seconds (default: 300)")
    p.add_argument("--concurrency", type=int, default=1, help="videos made at the same time (default: 1)")
    p.add_argument("--max-queue", type=int, default=16, help="requests waiting at most (default: 16)")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from moodtalk.serve.server import token_from

    if not 0 <= args.port <= 65535:
        raise InputError(None, f"--port must be in [0, 65535], got {args.port}")
    for name in ("max_upload_mb", "max_audio_s"):
        if not getattr(args, name) > 0:
            raise InputError(None, f"--{name.replace('_', '-')} must be positive, got {getattr(args, name):g}")
    for name in ("concurrency", "max_queue"):
        if getattr(args, name) < 1:
            raise InputError(None, f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    token = token_from(args.token)
    # SIGTERM (a service manager, `kill`) stops the server like Ctrl+C does, so the temporary files go too.
    signal.signal(signal.SIGTERM, _interrupt)
    root = tempfile.mkdtemp(prefix="moodtalk-app-")
    # Gradio keeps uploads and served copies under GRADIO_TEMP_DIR (read when it is imported): inside this
    # run's folder, they go with it when the server stops.
    os.environ["GRADIO_TEMP_DIR"] = os.path.join(root, "gradio")
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no telemetry, no version check over the network
    try:
        from hmac import compare_digest

        from moodtalk.app.page import AppLimits, build

        limits = AppLimits(max_upload_mb=args.max_upload_mb, max_audio_s=args.max_audio_s,
                           concurrency=args.concurrency, max_queue=args.max_queue)  # fmt: skip
        page = build(limits, workdir=os.path.join(root, "page"))
        auth = (lambda _user, password: compare_digest(password.encode(), token.encode())) if token else None
        login = " (login: any name, the token as password)" if token else ""
        print(f"moodtalk app: http://{args.host}:{args.port}{login}; Ctrl+C stops", file=sys.stderr, flush=True)
        try:
            page.launch(server_name=args.host, server_port=args.port, auth=auth,
                        max_file_size=int(args.max_upload_mb * 1e6), show_error=False, quiet=True, ssr_mode=False,
                        share=False, inbrowser=False, footer_links=[], mcp_server=False, run_history=False)  # fmt: skip
        except OSError as e:
            raise InputError(None, f"cannot listen on {args.host}:{args.port} ({e.strerror or e})") from None
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0
