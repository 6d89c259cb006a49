"""``run_eval``: the whole evaluation of one data folder, resumable, with one progress bar.

Tasks, in order (each item cached under ``OUT/cache/<task>/``):

1. ``selfreenact``: every talking-face clip with its own audio (``selfreenact.evaluate_clip``);
2. ``emotion``: portraits × emotions × intensities judged by the FER classifier (``emotion_eval``);
3. ``fer_real``: the same classifier on the real emotion-labelled videos (the reference);
4. ``speech``: audio → intensity and emotion on the labelled speech;
5. ``speed``: stage and end-to-end speed and peak memory at 256 and 512 (one subprocess each).

Any failure of one item (``InputError`` or any other exception) is recorded as ``"Type: message"`` and the run
goes on; the report is rewritten at the end, so a crash or Ctrl-C loses nothing already cached.
"""

from __future__ import annotations

import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from moodtalk.errors import InputError
from moodtalk.evaluation import emotion_eval, selfreenact
from moodtalk.evaluation.cache import Cache
from moodtalk.evaluation.manifest import Entry, Manifest, read_manifest, warn

SPEED_SIZES: tuple[int, ...] = (256, 512)
"""Output sizes timed."""


@dataclass(frozen=True)
class EvalPlan:
    """How much of each task runs (quick vs full)."""

    quick: bool
    """Smoke-check mode."""
    reenact: selfreenact.ReenactSettings
    """Self-reenactment settings."""
    reenact_clips: int | None
    """At most this many talking clips (None: all)."""
    emotion: emotion_eval.EmotionSettings
    """Generated-emotion settings."""
    portraits: int
    """Portraits used for the emotion grid."""
    real_fer: emotion_eval.RealFerSettings
    """FER reference settings."""
    real_fer_clips: int | None
    """At most this many labelled videos (None: all)."""
    speech_files: int | None
    """At most this many labelled speech files (None: all)."""
    speed_seconds: float
    """Audio length timed per size."""


def make_plan(quick: bool, lips: str) -> EvalPlan:
    """Quick: a few short items per task (smoke check, < 5 min on 2 cores); full: everything."""
    if quick:
        return EvalPlan(
            quick=True,
            reenact=selfreenact.ReenactSettings(max_seconds=3.0, lips=lips),
            reenact_clips=3,
            emotion=emotion_eval.EmotionSettings(intensities=(1.0,), frames_per_combo=4, lips=lips),
            portraits=2,
            real_fer=emotion_eval.RealFerSettings(max_seconds=3.0),
            real_fer_clips=4,
            speech_files=16,
            speed_seconds=3.0,
        )
    return EvalPlan(
        quick=False,
        reenact=selfreenact.ReenactSettings(lips=lips),
        reenact_clips=None,
        emotion=emotion_eval.EmotionSettings(lips=lips),
        portraits=5,
        real_fer=emotion_eval.RealFerSettings(),
        real_fer_clips=None,
        speech_files=None,
        speed_seconds=10.0,
    )


def resolve_lips(requested: str = "auto") -> tuple[str, str | None]:
    """The mouth model to use and a note when the requested one cannot run (e.g. a missing model file)."""
    from moodtalk.pipeline import speech_to_motion
    from moodtalk.types import AudioTrack

    probe = AudioTrack((0.1 * np.sin(np.linspace(0, 2000, 16000))).astype(np.float32), 16000)
    try:
        speech_to_motion(probe, 25.0, lips=requested, pose="still")
        return requested, None
    except Exception as e:  # noqa: BLE001 - any failure of the default model means: fall back, and say so
        return "acoustic", f"lips={requested!r} failed ({type(e).__name__}: {e}); used 'acoustic'"


def spread(items: list[Any], k: int | None) -> list[Any]:
    """``k`` items evenly spread over the list (all when k is None or larger)."""
    if k is None or len(items) <= k:
        return list(items)
    idx = np.unique(np.linspace(0, len(items) - 1, k).round().astype(int))
    return [items[i] for i in idx]


def reason_of(e: BaseException) -> str:
    """One line: ``Type: message`` (InputError shows its message only, it names the file already)."""
    if isinstance(e, InputError):
        return f"InputError: {e.problem}"
    return f"{type(e).__name__}: {e}".splitlines()[0][:300]


@dataclass
class Outcome:
    """Results of one task."""

    items: list[dict[str, Any]] = field(default_factory=list)
    """One record per item: file, status ('ok'/'failed'), reason, cached, result."""

    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.items if r["status"] == "ok"]

    def counts(self) -> dict[str, int]:
        return {"ok": len(self.ok()), "failed": len(self.items) - len(self.ok()),
                "cached": sum(1 for r in self.items if r.get("cached"))}  # fmt: skip


class Runner:
    """Runs items through the cache with one progress bar; never lets one item stop the run."""

    def __init__(self, cache: Cache, total: int, progress: bool) -> None:
        from tqdm import tqdm

        self.cache = cache
        self.bar = tqdm(total=total, unit="item", disable=None if progress else True, dynamic_ncols=True)

    def item(self, task: str, entry_file: str, inputs: list[Path], settings: dict[str, Any],
             fn: Callable[[], dict[str, Any]], outcome: Outcome) -> None:  # fmt: skip
        self.bar.set_description(f"{task}: {Path(entry_file).name[:40]}")
        key = self.cache.key(task, inputs, settings)
        record = self.cache.get(key)
        if record is not None:
            record["cached"] = True
        else:
            started = time.perf_counter()
            try:
                record = {"file": entry_file, "status": "ok", "reason": None, "result": fn()}
            except KeyboardInterrupt:
                raise
            except MemoryError as e:
                record = {"file": entry_file, "status": "failed", "reason": reason_of(e), "result": None}
            except Exception as e:  # noqa: BLE001 - one bad clip must never stop the evaluation
                record = {"file": entry_file, "status": "failed", "reason": reason_of(e), "result": None}
                if not isinstance(e, InputError):
                    record["traceback"] = traceback.format_exc(limit=6)
            record["compute_seconds"] = time.perf_counter() - started
            self.cache.put(key, record)
            record["cached"] = False
        outcome.items.append(record)
        self.bar.update(1)

    def missing(self, entry: Entry, outcome: Outcome) -> None:
        outcome.items.append({"file": entry.file, "status": "failed", "reason": "file missing", "result": None,
                              "cached": False})  # fmt: skip
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _driving_speech(manifest: Manifest, seconds: float) -> tuple[Any, str]:
    """A neutral speech clip for the emotion grid: the first labelled-neutral speech, else any speech, else the
    sound of a talking clip, else silence."""
    from moodtalk.types import AudioTrack
    from moodtalk.video import read_audio

    es = manifest.entries
    candidates = [e for e in es if e.is_labelled_speech and e.emotion == "neutral" and e.label == "neutral"]
    candidates += [e for e in es if e.is_speech and e.label is None]
    candidates += [e for e in es if e.is_talking_clip]
    for e in candidates:
        if not e.exists:
            continue
        try:
            audio = read_audio(e.path, 16000)
        except InputError:
            continue
        if audio.samples.size >= 16000:
            return AudioTrack(audio.samples[: int(seconds * 16000)], 16000), e.file
    return AudioTrack(np.zeros(int(seconds * 16000), np.float32), 16000), "silence (no speech in the folder)"


def _speed_inputs(manifest: Manifest, seconds: float, portraits: list[Entry]) -> tuple[Path | None, Path | None, str]:
    from moodtalk.video import probe

    # The first clip long enough, else the longest one with sound.
    audio, longest = None, 0.0
    for e in [e for e in manifest.entries if e.is_talking_clip] + [e for e in manifest.entries if e.is_speech]:
        if not e.exists:
            continue
        try:
            info = probe(e.path)
        except InputError:
            continue
        if not info.has_audio:
            continue
        if info.duration >= seconds:
            audio = e.path
            break
        if info.duration > longest:
            audio, longest = e.path, info.duration
    portrait = portraits[0].path if portraits else None
    note = f"audio {audio.name if audio else 'none'}, portrait {portrait.name if portrait else 'astronaut'}"
    return audio, portrait, note


def environment() -> dict[str, Any]:
    """Versions and machine, for the report."""
    import os
    from importlib.metadata import PackageNotFoundError, version

    from moodtalk import __version__

    versions = {"moodtalk": __version__, "python": platform.python_version()}
    for dist in ("numpy", "mediapipe", "opencv-python-headless", "scikit-image", "av", "fer", "ai-edge-litert",
                 "torch", "numba", "pocketsphinx"):  # fmt: skip
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:
            pass
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem_gb = float("nan")
    machine = {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_gb, 1), "os": platform.platform()}
    return {"versions": versions, "machine": machine}


def run_eval(data: Path, out: Path, quick: bool = False, progress: bool = True) -> Path:
    """Evaluate moodtalk on a data folder in the ``manifest.csv`` format; write ``report.json``, ``report.md``
    and figures into ``out``.

    Args:
        data: folder with ``manifest.csv`` and the files it lists.
        out: report folder (created; ``out/cache`` keeps per-item results for resuming).
        quick: a few short items per task (smoke check).
        progress: show a progress bar on a terminal.

    Returns:
        Path of ``report.md``.

    Raises:
        InputError: missing or malformed manifest (missing file, missing required column), unwritable ``out``.
    """
    from moodtalk.evaluation import report
    from moodtalk.pipeline import prepare_out_dir

    started = time.time()
    manifest = read_manifest(Path(data))
    warn(manifest.warnings)
    out = prepare_out_dir(Path(out))
    cache = Cache(out / "cache")
    lips, lips_note = resolve_lips("auto")
    plan = make_plan(quick, lips)
    es = manifest.entries

    talking = spread([e for e in es if e.is_talking_clip], plan.reenact_clips)
    labelled_video = spread([e for e in es if e.is_labelled_video and e.emotion is not None], plan.real_fer_clips)
    speech = spread([e for e in es if e.is_labelled_speech], plan.speech_files)
    portrait_pool = [e for e in es if e.is_portrait and e.exists]
    portraits = spread(portrait_pool, plan.portraits)
    # Portraits that fail are replaced by the next unused ones, so the grid keeps its size where it can.
    spare = [e for e in portrait_pool if e not in portraits]
    used = {e.file for e in talking + labelled_video + speech + portraits}
    unused_missing = [e for e in manifest.missing if e.file not in used]

    total = len(talking) + len(labelled_video) + len(speech) + len(portraits) + len(SPEED_SIZES)
    runner = Runner(cache, total + len(unused_missing), progress)
    outcomes = {name: Outcome() for name in ("selfreenact", "emotion", "fer_real", "speech", "speed", "other")}
    notes: list[str] = [lips_note] if lips_note else []
    extra: dict[str, Any] = {}
    try:
        rs = selfreenact.settings_dict(plan.reenact)
        for e in talking:
            if not e.exists:
                runner.missing(e, outcomes["selfreenact"])
                continue
            runner.item("selfreenact", e.file, [e.path], {**rs, "emotion": e.emotion},
                        lambda e=e: selfreenact.evaluate_clip(e, plan.reenact), outcomes["selfreenact"])  # fmt: skip

        fer, fer_error = _fer()
        audio, audio_name = _driving_speech(manifest, plan.emotion.seconds)
        extra["driving_speech"] = audio_name
        es_dict = {**emotion_eval.settings_dict(plan.emotion), "audio": audio_name}
        todo = list(portraits)
        while todo:
            e = todo.pop(0)
            if fer is None:
                runner.item("emotion", e.file, [e.path], es_dict, lambda: _raise(fer_error), outcomes["emotion"])
                continue
            thumbs = cache.key("emotion", [e.path], es_dict).with_suffix("")
            runner.item("emotion", e.file, [e.path], es_dict,
                        lambda e=e, thumbs=thumbs: emotion_eval.evaluate_portrait(e, audio, plan.emotion, fer, thumbs),
                        outcomes["emotion"])  # fmt: skip
            if outcomes["emotion"].items[-1]["status"] != "ok" and spare:
                todo.append(spare.pop(0))
                runner.bar.total += 1
        for e in labelled_video:
            if not e.exists:
                runner.missing(e, outcomes["fer_real"])
            elif fer is None:
                runner.item("fer_real", e.file, [e.path], {}, lambda: _raise(fer_error), outcomes["fer_real"])
            else:
                runner.item("fer_real", e.file, [e.path], emotion_eval.settings_dict(plan.real_fer),
                            lambda e=e: emotion_eval.evaluate_real_clip(e, plan.real_fer, fer),
                            outcomes["fer_real"])  # fmt: skip
        for e in speech:
            if not e.exists:
                runner.missing(e, outcomes["speech"])
                continue
            runner.item("speech", e.file, [e.path], {"fps": 25.0, "label": e.label},
                        lambda e=e: emotion_eval.evaluate_speech(e), outcomes["speech"])  # fmt: skip
        for e in unused_missing:
            runner.missing(e, outcomes["other"])

        audio_path, portrait_path, speed_note = _speed_inputs(manifest, plan.speed_seconds, portraits)
        extra["speed_inputs"] = speed_note
        for size in SPEED_SIZES:
            label = f"generate @ {size}"
            if audio_path is None:
                runner.item("speed", label, [], {"size": size, "none": True},
                            lambda: _raise(RuntimeError("no audio file to time with")), outcomes["speed"])  # fmt: skip
                continue
            # Timings depend on the machine and code, not only on inputs: cached per run only when quick.
            settings = {"size": size, "seconds": plan.speed_seconds, "lips": lips, "run": started if not quick else 0}
            inputs = [audio_path] + ([portrait_path] if portrait_path else [])
            runner.item("speed", label, inputs, settings,
                        lambda size=size: __import__("moodtalk.evaluation.speed", fromlist=["run_speed"]).run_speed(
                            audio_path, portrait_path, size, plan.speed_seconds, lips), outcomes["speed"])  # fmt: skip
    finally:
        runner.close()
        path = report.write_report(
            out=out,
            data=Path(data),
            plan=plan,
            manifest=manifest,
            outcomes=outcomes,
            cache=cache,
            started=started,
            env=environment(),
            notes=notes,
            extra=extra,
        )
    return path


def _fer() -> tuple[Any, str | None]:
    from moodtalk.metrics import FerClassifier

    try:
        return FerClassifier(), None
    except Exception as e:  # noqa: BLE001 - a missing classifier fails the emotion items, not the run
        return None, reason_of(e)


def _raise(error: Any) -> dict[str, Any]:
    if isinstance(error, BaseException):
        raise error
    raise RuntimeError(str(error))


def main() -> int:  # pragma: no cover - convenience: python -m moodtalk.evaluation.run DATA OUT [--quick]
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("data", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    print(run_eval(a.data, a.out, a.quick))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["EvalPlan", "make_plan", "run_eval"]
