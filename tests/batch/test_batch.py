"""``moodtalk batch``: jobs on a local process pool, the same videos as ``generate``, resume, bad rows."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from moodtalk.cli import _commands, main
from moodtalk.video import probe, read_frames
from tests.serve.conftest import speechlike

pytestmark = pytest.mark.skipif("batch" not in _commands(), reason="`moodtalk batch` is not wired into cli.py")


@pytest.fixture(scope="module")
def jobs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("batch")
    for i in range(3):
        sf.write(root / f"talk{i}.wav", speechlike(1.0 + 0.2 * i, sr=16000, seed=i), 16000)
    rows = [
        ["audio", "emotion", "intensity", "size", "output"],
        ["talk0.wav", "happy", "0.8", "256", "a.mp4"],
        ["talk1.wav", "", "", "256", "b.mp4"],
        ["missing.wav", "", "", "256", "c.mp4"],  # fails; the others still run
        ["talk2.wav", "sad", "9", "256", "d.mp4"],  # unreadable row: intensity out of range
        ["talk2.wav", "sad", "", "256", "../escape.mp4"],  # refused: outside OUT_DIR
        ["talk2.wav", "surprised", "1.0", "256", "e.mp4"],
    ]
    with open(root / "jobs.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return root


def results(out: Path) -> dict[str, dict]:
    with open(out / "results.csv", newline="") as f:
        return {r["output"]: r for r in csv.DictReader(f)}


def test_batch_runs_every_job_and_reports_failures(jobs_dir: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "out"
    assert main(["batch", str(jobs_dir / "jobs.csv"), "-o", str(out), "--workers", "2"]) == 1
    table = results(out)
    assert {k: v["status"] for k, v in table.items()} == {
        "a.mp4": "done", "b.mp4": "done", "c.mp4": "failed", "d.mp4": "failed", "../escape.mp4": "failed",
        "e.mp4": "done",
    }  # fmt: skip
    assert "missing.wav" in table["c.mp4"]["error"] and "intensity" in table["d.mp4"]["error"]
    assert sorted(p.name for p in out.iterdir()) == ["a.mp4", "b.mp4", "e.mp4", "results.csv"]  # no partial file
    assert not (tmp_path / "escape.mp4").exists()
    assert abs(probe(out / "b.mp4").duration - 1.2) < 0.1
    assert "3 done, 0 skipped, 3 failed" in capsys.readouterr().out

    # The same video as the CLI's generate for the same job.
    single = tmp_path / "single.mp4"
    assert main(["generate", "--audio", str(jobs_dir / "talk0.wav"), "--size", "256", "--emotion", "happy",
                 "--intensity", "0.8", "-o", str(single)]) == 0  # fmt: skip
    a, b = read_frames(out / "a.mp4").images.astype(float), read_frames(single).images.astype(float)
    assert a.shape == b.shape and np.abs(a - b).mean() < 1.0

    # Started again (as after a kill): finished outputs are skipped, only the rest is tried.
    (out / "e.mp4").unlink()
    before = (out / "a.mp4").stat().st_mtime_ns
    assert main(["batch", str(jobs_dir / "jobs.csv"), "-o", str(out)]) == 1
    table = results(out)
    assert table["a.mp4"]["status"] == "skipped" and table["e.mp4"]["status"] == "done"
    assert (out / "a.mp4").stat().st_mtime_ns == before


def test_missing_columns_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    bad = tmp_path / "jobs.csv"
    bad.write_text("sound,name\nx.wav,y.mp4\n")
    assert main(["batch", str(bad), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "lacks column(s) audio, output" in err
    assert main(["batch", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "out")]) == 2
    assert "cannot read" in capsys.readouterr().err
