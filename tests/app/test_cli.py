"""``moodtalk app`` without a browser: its options, and a fast ``moodtalk --help``."""

from __future__ import annotations

import subprocess
import sys


def test_help_does_not_import_gradio() -> None:
    code = "import sys; from moodtalk.cli import build_parser; build_parser(); print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_bad_options_are_one_line_and_exit_2() -> None:
    r = subprocess.run([sys.executable, "-m", "moodtalk.cli", "app", "--port", "70000"], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip() == "moodtalk: error: --port must be in [0, 65535], got 70000"
