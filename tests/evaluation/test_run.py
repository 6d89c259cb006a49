"""End to end: ``run_eval(quick=True)`` on a tiny synthetic folder with a good clip, a faceless clip and a
listed-but-missing file; then a rerun served from the cache; then the CLI's one-line manifest errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodtalk.evaluation import run as run_module
from moodtalk.evaluation.cli import add_eval_parser, run_eval_command
from moodtalk.evaluation.run import run_eval
from moodtalk.types import AudioTrack
from moodtalk.video import write_video

FPS = 25.0
SECONDS = 2.0


def _speechy_tone(seconds: float, rate: int = 16000) -> AudioTrack:
    """A voiced-like tone with syllable-rate loudness modulation (4 Hz), so voice activity finds speech."""
    t = np.arange(int(seconds * rate)) / rate
    f0 = 140 + 20 * np.sin(2 * np.pi * 0.7 * t)
    carrier = sum(np.sin(2 * np.pi * k * np.cumsum(f0) / rate) / k for k in range(1, 6))
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 4 * t)) ** 2
    return AudioTrack((0.15 * carrier * envelope).astype(np.float32), rate)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from skimage import data

    root = tmp_path_factory.mktemp("evaldata")
    face = cv2.resize(data.astronaut(), (256, 256), interpolation=cv2.INTER_AREA)
    (root / "portraits").mkdir()
    cv2.imwrite(str(root / "portraits" / "astronaut.png"), data.astronaut()[..., ::-1])  # 256 px is too small a face
    audio = _speechy_tone(SECONDS)
    n = int(SECONDS * FPS)
    (root / "talking").mkdir()
    # A MEAD-style name: the clip is also a labelled video (FER reference) with its emotion parsed from the name.
    write_video(root / "talking" / "M030_front_happy_level3_001.mp4", [np.repeat(face[None], n, 0)], FPS, audio)
    noise = np.random.default_rng(0).integers(0, 255, (n, 128, 128, 3), dtype=np.uint8)
    write_video(root / "talking" / "noface.mp4", [noise], FPS, audio)
    rows = [
        "file,category,has_audio,emotion,intensity,dataset,comment",
        "talking/M030_front_happy_level3_001.mp4,C,yes,,,synthetic,astronaut still + tone",
        "talking/noface.mp4,C,yes,,,synthetic,noise frames",
        "talking/missing.mp4,C,yes,,,synthetic,listed but absent",
        "portraits/astronaut.png,D,n/a,,,NASA,",
    ]
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root


def test_quick_run_reports_failures_and_resumes(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "SPEED_SIZES", (256,))  # one speed subprocess keeps the test short
    out = tmp_path / "report"
    md = run_eval(folder, out, quick=True, progress=False)
    assert md == out / "report.md" and md.is_file()
    report = json.loads((out / "report.json").read_text())

    reasons = {(f["task"], Path(f["file"]).name): f["reason"] for f in report["failures"]}
    assert reasons[("selfreenact", "missing.mp4")] == "file missing"
    assert "face" in reasons[("selfreenact", "noface.mp4")].lower()
    assert report["counts"]["selfreenact"] == {"ok": 1, "failed": 2, "cached": 0}
    clip = next(c for c in report["selfreenact"]["clips"] if c["status"] == "ok")
    assert clip["result"]["emotion"] == "happy"
    assert 0 <= clip["result"]["metrics"]["ssim_realpose"] <= 1
    assert report["counts"]["emotion"]["ok"] == 1
    assert report["counts"]["fer_real"]["ok"] == 1
    assert report["counts"]["speed"]["ok"] == 1
    speed = report["speed"]["256"]
    assert speed["peak_rss_mb"] > 50 and speed["end_to_end_fps"] > 0
    assert report["versions"]["moodtalk"] and report["machine"]["cores"]
    text = md.read_text()
    assert "file missing" in text and "## 4. Speed and memory" in text
    assert (out / "contact_happy.png").is_file() and (out / "mouth_curves.png").is_file()

    run_eval(folder, out, quick=True, progress=False)
    again = json.loads((out / "report.json").read_text())
    assert again["cache"]["misses"] == 0 and again["cache"]["hits"] >= 5
    assert again["counts"]["selfreenact"]["cached"] == 2  # the good clip and the faceless one; 'missing' is not
    assert again["selfreenact"]["summary"] == report["selfreenact"]["summary"]


def _args(data: Path, out: Path) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_eval_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["eval", "--data", str(data), "--out", str(out), "--quick", "--no-progress"])


def test_cli_manifest_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from moodtalk.evaluation.cli import main

    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "manifest.csv" in err[0]
    (tmp_path / "manifest.csv").write_text("name,category\nx.mp4,C\n")
    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'file'" in err[0]
    assert _args(tmp_path, tmp_path / "r").quick
    assert callable(run_eval_command)


def test_runner_records_any_exception_and_caches_it(tmp_path: Path) -> None:
    from moodtalk.evaluation.cache import Cache
    from moodtalk.evaluation.run import Outcome, Runner

    media = tmp_path / "clip.mp4"
    media.write_bytes(b"x")
    cache = Cache(tmp_path / "cache")
    outcome = Outcome()
    runner = Runner(cache, 2, progress=False)

    def boom() -> dict:
        raise ValueError("bad shape\nsecond line")

    runner.item("task", "clip.mp4", [media], {"a": 1}, boom, outcome)
    runner.item("task", "clip.mp4", [media], {"a": 1}, lambda: {"never": "called"}, outcome)  # served from cache
    runner.close()
    first, second = outcome.items
    assert first["status"] == second["status"] == "failed"
    assert first["reason"] == "ValueError: bad shape" and second["cached"] is True
    assert outcome.counts() == {"ok": 0, "failed": 2, "cached": 1}
    assert cache.hits == 1 and cache.misses == 1
    # A changed setting or file is a new key.
    assert cache.key("task", [media], {"a": 2}) != cache.key("task", [media], {"a": 1})


def test_readme_section_from_report_md() -> None:
    from moodtalk.evaluation.report import README_BEGIN, README_END, readme_section

    md = (
        "# moodtalk evaluation (full)\n\nData x on CPU Y (2 cores).\n\n## 1. A\n\n| a |\n\nPer clip (x):\n\n"
        "| c |\n\n## 2. B\n\ntext\n\n## Figures\n\n* [f.png](f.png)\n\nEvery number above: report.json\n"
    )
    out = readme_section(md)
    assert out.startswith(README_BEGIN) and out.endswith(README_END)
    assert "### 1. A" in out and "### 2. B" in out and "CPU Y" in out
    assert "| c |" not in out and "f.png" not in out and "# moodtalk evaluation" not in out


def test_peak_memory_of_a_child_is_its_own_not_the_parents() -> None:
    import sys

    from moodtalk.evaluation.speed import run_with_peak_memory

    ballast = np.ones(400_000_000 // 8)  # the parent holds 400 MB; Linux's ru_maxrss would report it for the child
    code = "import numpy as np, time; a = np.ones(150_000_000 // 8); time.sleep(0.5)"
    result, peak = run_with_peak_memory([sys.executable, "-c", code])
    assert result.returncode == 0
    assert 150 < peak < 350, peak
    assert ballast[-1] == 1.0
