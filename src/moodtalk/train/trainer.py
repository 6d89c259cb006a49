"""The one training loop: any registered task, one process or many (torchrun / DDP), CPU or CUDA.

Determinism: every process builds the same global batch from (seed, epoch) and takes its slice of it
(rank r of N takes items r, r+N, ...), each process averages its loss over its slice, and DDP averages the
gradients, so N processes take the same steps as one process with the same global batch (up to float
summation order). Dropout draws differ between the two, so that equivalence holds with dropout 0.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from moodtalk.errors import InputError
from moodtalk.train.config import TrainConfig, to_json
from moodtalk.weights import build_model, model_spec, save_model, write_json_atomic


class Task(Protocol):
    """What the trainer needs to know about one model (see ``moodtalk.train.intensity`` for one)."""

    name: str
    metric: str
    """The validation metric early stopping watches."""
    higher_is_better: bool

    def load(self, caches: list[Path]) -> list[Any]: ...
    def speaker(self, item: Any) -> str: ...
    def prepare_model(self, model: torch.nn.Module, train_items: list[Any]) -> None: ...
    def batch(self, items: list[Any], rng: np.random.Generator, window: int) -> dict[str, torch.Tensor]: ...
    def loss(self, model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor: ...
    def validate(self, model: torch.nn.Module, items: list[Any]) -> dict[str, float]: ...
    def baseline(self, items: list[Any]) -> dict[str, float]: ...


@dataclass(frozen=True)
class RunResult:
    """Where a training run ended."""

    out: Path
    steps: int
    epochs: int
    best: dict[str, float]
    stopped: str
    """'early stop', 'max steps', 'epochs', or 'finished earlier: ...' for a resumed run that had ended."""


def split_speakers(speakers: list[str], fraction: float, seed: int, forced: tuple[str, ...] = ()) -> set[str]:
    """The validation speakers: each speaker independently by a hash of (seed, speaker), plus ``forced``.

    A hash rather than a shuffle keeps a speaker's side fixed when other speakers are added to the data.
    """
    val = set()
    for s in sorted(set(speakers)):
        h = int(hashlib.sha256(f"{seed}:{s}".encode()).hexdigest()[:12], 16) / 16**12
        if h < fraction or s in forced:
            val.add(s)
    return val


def _json_numbers(metrics: dict[str, float]) -> dict[str, float | None]:
    """NaN (a metric with nothing to measure, e.g. no RAVDESS pairs) as None, which JSON can hold."""
    return {k: (None if not math.isfinite(v) else float(v)) for k, v in metrics.items()}


def _dist() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's environment (0, 1, 0 without it)."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))


def _device(cfg: TrainConfig, local_rank: int) -> torch.device:
    if cfg.device == "cuda" or (cfg.device == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise InputError(None, "--set train.device=cuda asked for, but no CUDA device is available")
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def _lr(cfg: TrainConfig, step: int) -> float:
    warm = min(1.0, (step + 1) / 50)
    return cfg.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(1, cfg.max_steps)))))


def _save_checkpoint(out: Path, model: torch.nn.Module, opt: torch.optim.Optimizer, state: dict) -> None:
    """``last.safetensors`` (weights + optimiser moments) and ``state.json``, each written atomically."""
    from safetensors.torch import save_file

    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    opt_state = opt.state_dict()
    for idx, s in opt_state["state"].items():
        for k, v in s.items():
            tensors[f"opt.{idx}.{k}"] = torch.as_tensor(v).detach().cpu().contiguous()
    tmp = out / ".last.safetensors.tmp"
    save_file(tensors, str(tmp))
    os.replace(tmp, out / "last.safetensors")
    write_json_atomic(out / "state.json", {**state, "param_groups": opt_state["param_groups"]})


def _load_checkpoint(out: Path, model: torch.nn.Module, opt: torch.optim.Optimizer) -> dict:
    from safetensors.torch import load_file

    state = json.loads((out / "state.json").read_text())
    tensors = load_file(str(out / "last.safetensors"))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    opt_state: dict[int, dict[str, torch.Tensor]] = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, idx, name = k.split(".", 2)
            opt_state.setdefault(int(idx), {})[name] = v
    opt.load_state_dict({"state": opt_state, "param_groups": state["param_groups"]})
    return state


def plot_curves(history: list[dict], path: Path) -> None:
    """PNG of the training loss and every validation metric per epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [k for k in history[0] if k.startswith("val_")]
    fig, axes = plt.subplots(1, 1 + len(keys), figsize=(4 * (1 + len(keys)), 3.2), squeeze=False)
    ep = [h["epoch"] for h in history]
    axes[0, 0].plot(ep, [h["train_loss"] for h in history])
    axes[0, 0].set_title("train loss")
    for ax, k in zip(axes[0, 1:], keys, strict=True):
        ax.plot(ep, [np.nan if h.get(k) is None else h[k] for h in history], color="C1")
        ax.set_title(k)
    for ax in axes[0]:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=90)
    plt.close(fig)
    os.replace(tmp, path)


def train(
    task: Task,
    caches: list[Path],
    out: Path,
    cfg: TrainConfig,
    model_config: dict[str, Any],
    resume: bool = False,
    progress: bool = True,
    command: str = "",
) -> RunResult:
    """Train ``task``'s model on prepared caches into the run folder ``out``.

    ``out`` receives ``config.json`` + ``model.safetensors`` (the best epoch so far, loadable by
    :func:`moodtalk.weights.load_model`), ``last.safetensors`` + ``state.json`` (to ``--resume``),
    ``metrics.jsonl`` (one line per epoch) and ``curves.png``.

    Raises:
        InputError: an existing run without ``resume``, an unwritable folder, no training data, more
            processes than training clips, a batch that does not split over the processes.
    """
    from tqdm import tqdm

    rank, world, local_rank = _dist()
    out = Path(out)
    if (out / "state.json").is_file() and not resume:
        raise InputError(out, "already holds a training run (add --resume to continue it, or pick another --out)")
    if resume and not (out / "state.json").is_file():
        raise InputError(out, "has no run to resume (no state.json)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(out, f"cannot create the run folder ({e.strerror})") from None
    if not os.access(out, os.W_OK):
        raise InputError(out, "run folder is not writable")
    if cfg.batch_size % world:
        raise InputError(None, f"the batch of {cfg.batch_size} does not split over {world} processes "
                               f"(--set train.batch_size=N with N a multiple of {world})")  # fmt: skip
    items = task.load(caches)
    test_items = [i for i in items if task.speaker(i) in cfg.test_speakers]
    items = [i for i in items if task.speaker(i) not in cfg.test_speakers]
    val_speakers = split_speakers([task.speaker(i) for i in items], cfg.val_fraction, cfg.seed, cfg.val_speakers)
    train_items = [i for i in items if task.speaker(i) not in val_speakers]
    val_items = [i for i in items if task.speaker(i) in val_speakers]
    if not train_items or not val_items:
        found = f"found {len(train_items)} training and {len(val_items)} validation clips"
        raise InputError(caches[0], f"needs clips of at least two speakers with {task.name} targets ({found})")
    if world > len(train_items):
        raise InputError(None, f"{world} processes but only {len(train_items)} training clips: use at most "
                               f"{len(train_items)} (torchrun --nproc-per-node)")  # fmt: skip
    device = _device(cfg, local_rank)
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        torch.distributed.init_process_group(backend=backend)
    torch.manual_seed(cfg.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    model, mcfg = build_model(task.name, model_config)
    task.prepare_model(model, train_items)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    state = {"epoch": 0, "step": 0, "best": None, "bad_epochs": 0, "done": False}
    history: list[dict] = []
    if resume:
        state = _load_checkpoint(out, model, opt)
        state.pop("param_groups", None)
        if state["done"] and state.get("stopped") in ("max steps", "epochs"):
            # A run stopped by its budget continues when given a larger one; an early stop stays stopped.
            state["done"] = state["step"] >= cfg.max_steps or state["epoch"] >= cfg.epochs
        if (out / "metrics.jsonl").is_file():
            history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line]
            history = history[: state["epoch"]]
    ddp = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    baseline = _json_numbers(task.baseline(val_items)) if rank == 0 else {}
    meta_base = {
        "model": task.name, "stage": model_spec(task.name).stage, "model_config": to_json(mcfg),
        "train_config": to_json(cfg), "data": [str(c) for c in caches], "train_clips": len(train_items),
        "val_clips": len(val_items),
        "val_speakers": sorted(val_speakers), "world_size": world, "command": command,
        "baseline": baseline, "torch": torch.__version__,
    }  # fmt: skip
    steps_per_epoch = max(1, math.ceil(len(train_items) / cfg.batch_size))
    bar = tqdm(total=min(cfg.max_steps, cfg.epochs * steps_per_epoch), initial=state["step"], unit="step",
               desc=f"training {task.name}", disable=None if (progress and rank == 0) else True)  # fmt: skip
    stopped = f"finished earlier: {state.get('stopped')}" if state["done"] else ""
    while not state["done"]:
        epoch = state["epoch"]
        rng = np.random.default_rng([cfg.seed, epoch])
        order = rng.permutation(len(train_items))
        ddp.train()
        losses = []
        t0 = time.perf_counter()
        for b in range(steps_per_epoch):
            if state["step"] >= cfg.max_steps:
                break
            idx = order[b * cfg.batch_size : (b + 1) * cfg.batch_size]
            batch_rng = np.random.default_rng([cfg.seed, epoch, b])
            batch = task.batch([train_items[i] for i in idx], batch_rng, cfg.window)
            shard = {k: v[rank::world].to(device) for k, v in batch.items()}
            for group in opt.param_groups:
                group["lr"] = _lr(cfg, state["step"])
            torch.manual_seed(cfg.seed * 1_000_003 + state["step"] * world + rank)  # dropout, resumable
            loss = task.loss(ddp, shard)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            state["step"] += 1
            losses.append(float(loss.detach()))
            bar.update()
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
        metrics = task.validate(model, val_items)
        metrics = _json_numbers(metrics)
        record = {"epoch": epoch + 1, "step": state["step"], "train_loss": float(np.mean(losses)) if losses else 0.0,
                  **{f"val_{k}": v for k, v in metrics.items()}, "lr": _lr(cfg, state["step"]),
                  "seconds": time.perf_counter() - t0}  # fmt: skip
        history.append(record)
        value = metrics[task.metric]
        best = state["best"]
        improved = best is None or (value > best if task.higher_is_better else value < best)
        state["epoch"] = epoch + 1
        if improved:
            state["best"], state["bad_epochs"] = value, 0
        else:
            state["bad_epochs"] += 1
        if state["bad_epochs"] >= cfg.patience:
            state["done"], stopped = True, "early stop"
        elif state["step"] >= cfg.max_steps:
            state["done"], stopped = True, "max steps"
        elif state["epoch"] >= cfg.epochs:
            state["done"], stopped = True, "epochs"
        state["stopped"] = stopped
        if rank == 0:
            if improved:
                best_metrics = {k: v for k, v in record.items() if k.startswith("val_")}
                created = time.strftime("%Y-%m-%dT%H:%M:%S")
                save_model(out, model, {**meta_base, "metrics": best_metrics, "epoch": epoch + 1,
                                        "step": state["step"], "created": created})  # fmt: skip
            with open(out / "metrics.jsonl", "w") as f:
                f.writelines(json.dumps(h) + "\n" for h in history)
            _save_checkpoint(out, model, opt, state)
            plot_curves(history, out / "curves.png")
        if world > 1:
            torch.distributed.barrier()
    bar.close()
    if rank == 0 and test_items and (out / "config.json").is_file():
        score_test(task, out, test_items)
    best_record = (
        json.loads((out / "config.json").read_text()).get("metrics", {}) if (out / "config.json").is_file() else {}
    )
    return RunResult(out, state["step"], state["epoch"], best_record, stopped)


def score_test(task: Task, out: Path, test_items: list[Any]) -> None:
    """The best model and the baseline on the held-out test speakers, into the run's config.json."""
    from moodtalk.weights import load_model

    meta = json.loads((out / "config.json").read_text())
    model, _ = load_model(out)
    meta["test"] = {"clips": len(test_items), "speakers": sorted({task.speaker(i) for i in test_items}),
                    "model": _json_numbers(task.validate(model, test_items)),
                    "baseline": _json_numbers(task.baseline(test_items))}  # fmt: skip
    write_json_atomic(out / "config.json", meta)


def git_command_line() -> str:
    """The command line of this run, for the model's config.json."""
    args = " ".join(sys.argv[1:])
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).parent).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        rev = ""
    return f"moodtalk {args}" + (f"  (at commit {rev})" if rev else "")
