"""`moodtalk animate` and `moodtalk generate` as a user runs them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import soundfile as sf

from moodtalk.export import LIVE_LINK_FACE_SHAPES
from moodtalk.types import BLENDSHAPE_NAMES, POSE_COLUMNS


def run_cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moodtalk.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=600)  # fmt: skip


@pytest.fixture()
def syllables(tmp_path: Path) -> Path:
    """2.4 s: six voiced 'syllables' (200 ms bursts of a 150 Hz buzz) separated by silence."""
    sr = 16000
    t = np.arange(int(0.2 * sr)) / sr
    buzz = 0.3 * np.sign(np.sin(2 * np.pi * 150 * t)) * np.hanning(len(t))
    y = np.concatenate([np.r_[buzz, np.zeros(int(0.2 * sr))] for _ in range(6)]).astype(np.float32)
    path = tmp_path / "syllables.wav"
    sf.write(path, y, sr)
    return path


def test_animate_writes_motion_that_follows_the_sound(tmp_path: Path, syllables: Path) -> None:
    res = run_cli("animate", syllables, "-o", tmp_path / "out", "--plot", "--lips", "acoustic")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader((tmp_path / "out" / "syllables.csv").open()))
    assert list(rows[0]) == ["time", *BLENDSHAPE_NAMES, *POSE_COLUMNS]
    assert len(rows) == 60  # 2.4 s at 25 fps
    jaw = np.array([float(r["jawOpen"]) for r in rows])
    on = np.r_[[np.arange(i * 10 + 1, i * 10 + 4) for i in range(6)]].ravel()  # middle of each burst
    off = np.r_[[np.arange(i * 10 + 6, i * 10 + 9) for i in range(6)]].ravel()  # middle of each gap
    assert jaw[on].mean() > jaw[off].mean() + 0.05
    assert (tmp_path / "out" / "syllables.png").exists()
    doc = json.loads((tmp_path / "out" / "syllables.json").read_text())
    assert doc["fps"] == 25.0 and len(doc["blendshapes"]) == 60


def test_animate_live_link_face_layout(tmp_path: Path, syllables: Path) -> None:
    res = run_cli("animate", syllables, "-o", tmp_path, "--format", "livelinkface", "--pose", "still")
    assert res.returncode == 0, res.stderr
    header = next(csv.reader((tmp_path / "syllables.csv").open()))
    assert header[:2] == ["Timecode", "BlendShapeCount"] and header[2:54] == list(LIVE_LINK_FACE_SHAPES)
    assert header[54:57] == ["HeadYaw", "HeadPitch", "HeadRoll"]


@pytest.mark.parametrize("make", ["silence", "noise", "text"])
def test_animate_odd_audio(tmp_path: Path, make: str) -> None:
    path = tmp_path / f"{make}.wav"
    if make == "text":
        path.write_text("not audio")
    else:
        y = np.zeros(32000) if make == "silence" else 0.3 * np.random.default_rng(0).normal(size=32000)
        sf.write(path, y.astype(np.float32), 16000)
    res = run_cli("animate", path, "-o", tmp_path / "out")
    if make == "text":
        assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1 and path.name in res.stderr
        return
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader((tmp_path / "out" / f"{make}.csv").open()))
    jaw = np.array([float(r["jawOpen"]) for r in rows])
    assert jaw.max() < 0.15  # no talking from silence or noise
    yaw = np.array([float(r["headYaw"]) for r in rows])
    assert np.ptp(yaw) > 0.05  # idle, not frozen


def _probe(path: Path) -> tuple[float, float, float]:
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        frames = [f for f in c.decode(v)]
        return len(frames) / float(v.average_rate), float(a.duration * a.time_base), float(frames[0].time)


def test_generate_default_portrait_small_video_with_sound(tmp_path: Path, syllables: Path) -> None:
    out = tmp_path / "talk.mp4"
    res = run_cli("generate", "--audio", syllables, "-o", out, "--size", "256")
    assert res.returncode == 0, res.stderr
    assert "frames" in res.stdout and "real time" in res.stdout
    video_s, audio_s, first = _probe(out)
    assert first == 0.0
    assert abs(video_s - 2.4) <= 1 / 25 and abs(audio_s - 2.4) <= 0.05
    assert not list(tmp_path.glob(".*part*")), "temporary file left behind"
    again = run_cli("generate", "--audio", syllables, "-o", out, "--size", "256")
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_generate_long_audio_streams_with_matching_durations(tmp_path: Path, syllables: Path) -> None:
    # 12 s: longer than the first block, so the first frames come from it and the rest from the whole file.
    long = tmp_path / "long.wav"
    y, sr = sf.read(syllables, dtype="float32")
    sf.write(long, np.tile(y, 5), sr)
    out = tmp_path / "long.mp4"
    res = run_cli("generate", "--audio", long, "-o", out, "--size", "256")
    assert res.returncode == 0, res.stderr
    assert "300 frames" in res.stdout  # 12 s at 25 fps, as without streaming
    video_s, audio_s, first = _probe(out)
    assert first == 0.0
    assert abs(video_s - 12.0) <= 1 / 25 and abs(audio_s - video_s) <= 1 / 25


def test_generate_accepts_grayscale_and_rgba_portraits(tmp_path: Path, syllables: Path, astronaut: np.ndarray) -> None:
    gray = tmp_path / "gray.png"
    cv2.imwrite(str(gray), cv2.cvtColor(astronaut, cv2.COLOR_RGB2GRAY))
    rgba = tmp_path / "rgba.png"
    cv2.imwrite(str(rgba), cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGRA))
    for portrait in (gray, rgba):
        out = tmp_path / f"{portrait.stem}.mp4"
        res = run_cli("generate", "--audio", syllables, "--portrait", portrait, "-o", out, "--size", "256",
                      "--preview", "1")  # fmt: skip
        assert res.returncode == 0, res.stderr
        assert abs(_probe(out)[0] - 1.0) <= 1 / 25


@pytest.mark.parametrize("case", ["no face", "missing folder", "not an mp4", "tiny face"])
def test_generate_bad_input(tmp_path: Path, syllables: Path, astronaut: np.ndarray, case: str) -> None:
    portrait = tmp_path / "p.png"
    out = tmp_path / "o.mp4"
    image = astronaut
    if case == "no face":
        image = np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8)
    if case == "tiny face":
        image = cv2.resize(astronaut, (96, 96), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(portrait), image)
    if case == "missing folder":
        out = tmp_path / "nope" / "o.mp4"
    if case == "not an mp4":
        out = tmp_path / "o.txt"
    res = run_cli("generate", "--audio", syllables, "--portrait", portrait, "-o", out, "--size", "256")
    assert res.returncode == 2, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert not out.exists() and not list(out.parent.glob(".*part*")) if out.parent.exists() else True


def test_generate_paste_back_keeps_the_whole_photo(tmp_path: Path, syllables: Path, astronaut: np.ndarray) -> None:
    portrait = tmp_path / "wide.png"
    wide = np.concatenate([astronaut, astronaut[:, ::-1]], axis=1)  # 1024 x 512, the face on the left
    cv2.imwrite(str(portrait), cv2.cvtColor(wide, cv2.COLOR_RGB2BGR))
    out = tmp_path / "full.mp4"
    res = run_cli("generate", "--audio", syllables, "--portrait", portrait, "-o", out, "--size", "256",
                  "--paste-back", "--preview", "1")  # fmt: skip
    assert res.returncode == 0, res.stderr
    with av.open(str(out)) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="rgb24")
    assert frame.shape == (512, 1024, 3)
    # Far from the face the photo is unchanged (up to video coding).
    assert np.abs(frame[:, 700:].astype(int) - wide[:, 700:].astype(int)).mean() < 6


def test_audio_over_two_hours_gets_one_warning_line_up_front(
    syllables: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moodtalk import cli

    cli._warn_if_long(syllables, None)
    assert capsys.readouterr().err == ""  # a few seconds: nothing to say
    monkeypatch.setattr(cli, "LONG_AUDIO_S", 1.0)  # stands in for two hours without a 2-hour test file
    cli._warn_if_long(syllables, None)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "h of audio" in err[0] and "--preview" in err[0]
    cli._warn_if_long(syllables, 3.0)  # a preview renders only the start
    assert capsys.readouterr().err == ""
