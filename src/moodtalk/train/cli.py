"""``moodtalk train MODEL`` and ``moodtalk models``."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from moodtalk.errors import InputError

TRAIN_EPILOG = """\
Writes into RUN_DIR:
  model.safetensors + config.json   the best epoch (load it with --intensity-model RUN_DIR)
  last.safetensors + state.json     the latest epoch, to continue with --resume
  metrics.jsonl, curves.png         validation metrics per epoch; the prosody rule's on the same
                                    speaker-disjoint validation clips is in config.json ("baseline")

Settings: --set train.FIELD=VALUE (TrainConfig) or --set model.FIELD=VALUE (the model's config);
--max-steps N is --set train.max_steps=N.

examples:
  moodtalk prepare ../shared/training -o runs/cache/training --workers 2
  moodtalk train intensity --data runs/cache/training --out runs/intensity
  moodtalk train intensity --data runs/cache/training --out runs/intensity --resume
  torchrun --nproc-per-node 2 -m moodtalk train intensity --data runs/cache/training --out runs/ddp
  moodtalk train intensity --data cache --out runs/tiny --max-steps 5 --set model.channels=16
"""


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a learned model on prepared caches (PyTorch; one process, or many under torchrun)",
        description="Train one of moodtalk's learned models on caches made by `moodtalk prepare`, with a "
        "speaker-disjoint validation split, checkpoints, early stopping and --resume.",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("model", metavar="MODEL", help="the model to train (moodtalk models lists them): intensity")
    p.add_argument("--data", type=Path, action="append", required=True, metavar="CACHE",
                   help="a prepared cache folder; repeat to train on several")  # fmt: skip
    p.add_argument("--out", type=Path, required=True, metavar="RUN_DIR", help="the run folder")
    p.add_argument("--max-steps", type=int, default=None, metavar="N", help="optimiser steps at most (default: 3000)")
    p.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR from its last checkpoint")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting: train.lr=1e-3, train.batch_size=16, model.channels=32, ...")  # fmt: skip


def _overrides(pairs: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    train, model = {}, {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        scope, dot, name = key.partition(".")
        if not sep or not dot or scope not in ("train", "model"):
            raise InputError(None, f"--set {pair!r}: expected train.FIELD=VALUE or model.FIELD=VALUE")
        (train if scope == "train" else model)[name] = value
    return train, model


def run_train(args: argparse.Namespace) -> int:
    from moodtalk.train import train_model
    from moodtalk.train.config import TrainConfig, from_json, to_json, with_overrides
    from moodtalk.train.trainer import git_command_line
    from moodtalk.weights import build_model

    train_over, model_over = _overrides(args.set)
    if args.max_steps is not None:
        if args.max_steps < 1:
            raise InputError(None, f"--max-steps must be at least 1, got {args.max_steps}")
        train_over["max_steps"] = str(args.max_steps)
    base_train, base_model = TrainConfig(), build_model(args.model)[1]
    saved = args.out / "config.json"
    if args.resume and saved.is_file():  # continue with the run's own settings; --set still overrides
        meta = json.loads(saved.read_text())
        base_train = from_json(TrainConfig, meta.get("train_config", {}))
        base_model = from_json(type(base_model), meta.get("model_config", {}))
    try:
        cfg = with_overrides(base_train, train_over)
        model_cfg = to_json(with_overrides(base_model, model_over))
    except KeyError as e:
        raise InputError(None, f"--set: {e.args[0]}") from None
    except ValueError as e:
        raise InputError(None, f"--set: {e}") from None
    result = train_model(args.model, args.data, args.out, cfg, model_cfg, resume=args.resume,
                         command=git_command_line())  # fmt: skip
    if int(os.environ.get("RANK", 0)) == 0:
        shown = {k.removeprefix("val_"): round(v, 4) for k, v in result.best.items() if v is not None}
        print(f"{args.model}: {result.steps} steps, {result.epochs} epochs ({result.stopped}); best {shown}")
        print(f"wrote {result.out}/model.safetensors and config.json")
    return 0


def add_models_parser(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("models", help="list the learned models that ship with moodtalk and what they were adopted on",
                   description="List the learned models shipped as package data: name, stage, size, training "
                   "data and the validation figures beside the rule they replace.")  # fmt: skip


def run_models(args: argparse.Namespace) -> int:
    from moodtalk.weights import MODELS, packaged_models

    shipped = packaged_models()
    if not shipped:
        print("no learned models ship in this build")
    for folder, meta in shipped:
        size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1024
        print(f"{folder.name}  (stage {meta.get('stage')}, {size:.0f} kB) {MODELS[meta['model']].description}")
        print(f"  trained on: {meta.get('data_note') or ', '.join(meta.get('data', []))}")
        print(f"  {meta.get('train_clips')} training / {meta.get('val_clips')} validation clips "
              f"(speaker-disjoint), step {meta.get('step')}")  # fmt: skip
        base = meta.get("baseline", {})
        for k, v in meta.get("metrics", {}).items():
            name = k.removeprefix("val_")
            if v is None:
                continue
            rule = f"   (rule {base[name]:.3f})" if base.get(name) is not None else ""
            print(f"  {name:28s} {v:.3f}{rule}")
        if meta.get("adopted"):
            print(f"  default: {meta['adopted']}")
        print(f"  rebuild: {meta.get('rebuild', meta.get('command', ''))}")
    print("architectures: " + ", ".join(f"{n} ({s.stage})" for n, s in MODELS.items()))
    return 0
