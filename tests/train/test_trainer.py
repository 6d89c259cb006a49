"""``moodtalk train``: the run folder it writes, resume, the loader, DDP equivalence and its bad-input errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from moodtalk.cli import main
from moodtalk.weights import load_model

TINY = ["--set", "model.channels=16", "--set", "model.dropout=0", "--set", "train.batch_size=4",
        "--set", "train.val_fraction=0.3", "--set", "train.window=32"]  # fmt: skip


def train_cli(cache: Path, out: Path, *extra: str) -> int:
    return main(["train", "intensity", "--data", str(cache), "--out", str(out), *TINY, *extra])


def test_train_writes_a_loadable_model_with_metrics_curves_and_the_rule_baseline(synthetic_cache, tmp_path):
    out = tmp_path / "run"
    assert train_cli(synthetic_cache, out, "--max-steps", "6") == 0
    meta = json.loads((out / "config.json").read_text())
    assert meta["model"] == "intensity" and meta["model_config"]["channels"] == 16
    assert meta["train_config"]["max_steps"] == 6
    assert meta["val_speakers"] and meta["train_clips"] + meta["val_clips"] == 12
    assert "pseudo_r" in meta["baseline"] and "val_pseudo_r" in meta["metrics"]
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert len(lines) >= 2 and json.loads(lines[-1])["step"] == 6
    assert (out / "curves.png").stat().st_size > 1000
    model, loaded = load_model(out)
    assert loaded["model"] == "intensity"
    import torch

    y = model(torch.zeros(1, 10, model.config.in_features), torch.ones(1, 10, dtype=torch.bool))
    assert y.shape == (1, 10) and bool(((y >= 0) & (y <= 1)).all())


def test_resume_continues_to_the_same_weights_as_an_uninterrupted_run(synthetic_cache, tmp_path):
    full, part = tmp_path / "full", tmp_path / "part"
    assert train_cli(synthetic_cache, full, "--max-steps", "8") == 0
    # Interrupted after its first epoch (the same learning-rate schedule), then resumed.
    assert train_cli(synthetic_cache, part, "--max-steps", "8", "--set", "train.epochs=1") == 0
    assert 0 < json.loads((part / "state.json").read_text())["step"] < 8
    assert train_cli(synthetic_cache, part, "--max-steps", "8", "--set", "train.epochs=200", "--resume") == 0
    a, b = load_file(str(full / "last.safetensors")), load_file(str(part / "last.safetensors"))
    assert max(float(np.abs(a[k] - b[k]).max()) for k in a if k.startswith("model.")) < 1e-5
    assert json.loads((part / "state.json").read_text())["step"] == 8


def test_a_second_run_into_the_same_folder_is_refused_without_resume(synthetic_cache, tmp_path, capsys):
    out = tmp_path / "run"
    assert train_cli(synthetic_cache, out, "--max-steps", "2") == 0
    before = (out / "last.safetensors").read_bytes()
    assert train_cli(synthetic_cache, out, "--max-steps", "2") == 2
    assert "--resume" in capsys.readouterr().err
    assert (out / "last.safetensors").read_bytes() == before


def test_test_speakers_are_kept_out_of_training_and_scored_at_the_end(synthetic_cache, tmp_path):
    out = tmp_path / "run"
    assert train_cli(synthetic_cache, out, "--max-steps", "3", "--set", "train.test_speakers=spk3") == 0
    meta = json.loads((out / "config.json").read_text())
    assert "spk3" not in meta["val_speakers"]
    assert meta["train_clips"] + meta["val_clips"] == 9  # 4 speakers x 3 clips, one speaker held for test
    assert meta["test"]["speakers"] == ["spk3"] and meta["test"]["clips"] == 3
    assert meta["test"]["model"]["pseudo_r"] is not None and meta["test"]["baseline"]["pseudo_r"] is not None


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "mouth-of-sauron", "--data", "{cache}", "--out", "{out}"], "intensity"),
        (["train", "intensity", "--data", "{cache}", "--out", "{out}", "--set", "train.nope=1"], "batch_size"),
        (["train", "intensity", "--data", "{cache}", "--out", "{out}", "--set", "lr=1"], "train.FIELD"),
        (["train", "intensity", "--data", "{out}", "--out", "{out}"], "index.csv"),
        (["train", "intensity", "--data", "{cache}", "--out", "{out}", "--resume"], "no run to resume"),
    ],
)
def test_bad_training_input_is_one_clear_line_and_exit_2(synthetic_cache, tmp_path, capsys, args, message):
    argv = [a.format(cache=synthetic_cache, out=tmp_path / "run") for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_a_run_folder_that_cannot_be_created_is_refused(synthetic_cache, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert train_cli(synthetic_cache, blocker / "run", "--max-steps", "1") == 2
    assert "cannot create the run folder" in capsys.readouterr().err


def _torchrun(nproc: int, cache: Path, out: Path, *extra: str, steps: int = 4) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
           "-m", "moodtalk", "train", "intensity", "--data", str(cache), "--out", str(out), "--max-steps",
           str(steps), *TINY, *extra]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def test_two_ddp_processes_take_the_same_steps_as_one_with_the_same_global_batch(synthetic_cache, tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    r1 = _torchrun(1, synthetic_cache, one)
    assert r1.returncode == 0, r1.stderr[-2000:]
    r2 = _torchrun(2, synthetic_cache, two)
    assert r2.returncode == 0, r2.stderr[-2000:]
    a, b = load_file(str(one / "last.safetensors")), load_file(str(two / "last.safetensors"))
    diff = max(float(np.abs(a[k] - b[k]).max()) for k in a if k.startswith("model."))
    assert diff < 1e-5
    assert json.loads((two / "config.json").read_text())["world_size"] == 2


def test_more_processes_than_training_clips_is_refused(tmp_path):
    from tests.train.conftest import write_synthetic_cache

    cache = write_synthetic_cache(tmp_path / "small", speakers=2, clips=1)
    r = _torchrun(2, cache, tmp_path / "run", "--set", "train.val_speakers=spk1", "--set", "train.val_fraction=0")
    assert r.returncode != 0
    assert "processes but only" in r.stderr
