"""``moodtalk prepare``: every clip of a dataset → one compressed record in a cache folder.

Layout of ``CACHE``::

    records/<name>.npz   one clip (see ``RECORD_ARRAYS``; ``meta`` is a JSON string)
    failed/<name>.json   why a clip could not be prepared (kept, so a rerun does not retry it)
    index.csv            one row per clip (``INDEX_COLUMNS``), written at the end of every run

Each record carries the fingerprint of the code and models that made it (:func:`fingerprint`); a record
of another fingerprint is rebuilt, and the run says how many. Records are written to a temporary file
and renamed, so a killed run leaves whole records only and the next run continues where it stopped.
The per-frame pseudo-intensity needs every clip of a speaker and of a dataset, so it is computed after
the clips, by :func:`moodtalk.datasets.pseudo.label_records`, and written into the records then.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from moodtalk.datasets.layouts import Clip
from moodtalk.datasets.measure import MAX_SIZE, PREPARE_FPS, measure_clip
from moodtalk.errors import InputError

INDEX_COLUMNS = ("file", "speaker", "dataset", "emotion", "intensity", "level", "frames", "audio_frames", "seconds",
                 "status", "pseudo_intensity_mean", "record")  # fmt: skip
"""Columns of ``CACHE/index.csv``."""
FINGERPRINTED = ("face", "audio/features.py", "audio/spectrum.py", "geometry", "video", "datasets/measure.py",
                 "data/face_model.npz")  # fmt: skip
"""Package paths whose bytes key the records: the code that tracks, solves and measures, and its model (not
this file: how the run is organised does not change what a record holds)."""


@dataclass(frozen=True)
class Outcome:
    """What preparing one clip gave."""

    name: str
    ok: bool
    reason: str = ""
    frames: int = 0
    audio_frames: int = 0
    seconds: float = 0.0
    reused: bool = False


def fingerprint() -> str:
    """16 hex digits of SHA-256 over the fingerprinted package files, the MediaPipe version and the settings."""
    from importlib.metadata import version

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"mediapipe {version('mediapipe')} fps {PREPARE_FPS} size {MAX_SIZE}".encode())
    for rel in FINGERPRINTED:
        path = root / rel
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def safe_name(name: str) -> str:
    """A clip name as one file name ('talking/a b' → 'talking__a_b')."""
    return re.sub(r"[^A-Za-z0-9._#-]+", "_", name.replace("/", "__"))


def _source_stamp(clip: Clip) -> list[list]:
    return [[str(p), p.stat().st_size, int(p.stat().st_mtime)] for p in {clip.video, clip.audio} if p is not None]


def write_npz_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write a compressed .npz through a temporary file in the same folder, then rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_meta(path: Path) -> dict:
    """The ``meta`` JSON of a record."""
    with np.load(path) as z:
        return json.loads(str(z["meta"]))


def _prepare_one(clip: Clip, record: Path, failed: Path, fp: str) -> Outcome:
    """Worker: measure one clip and write its record (or its failure note)."""
    try:
        arrays = measure_clip(clip)
    except InputError as e:
        reason = str(e)
    except Exception as e:  # noqa: BLE001 - one bad clip must not end a run over thousands
        reason = f"{type(e).__name__}: {e}"
    else:
        meta = {"clip": _clip_json(clip), "fingerprint": fp, "source": _source_stamp(clip), "fps": PREPARE_FPS}
        arrays["meta"] = np.array(json.dumps(meta))
        write_npz_atomic(record, arrays)
        frames = len(arrays.get("blendshapes", ()))
        audio_frames = len(arrays.get("rms", ()))
        return Outcome(clip.name, True, frames=frames, audio_frames=audio_frames,
                       seconds=max(frames, audio_frames) / PREPARE_FPS)  # fmt: skip
    write_text_atomic(failed, json.dumps({"fingerprint": fp, "source": _source_stamp(clip), "reason": reason}))
    return Outcome(clip.name, False, reason)


def _clip_json(clip: Clip) -> dict:
    d = asdict(clip)
    d["video"] = str(clip.video) if clip.video else None
    d["audio"] = str(clip.audio) if clip.audio else None
    return d


def _worker_init() -> None:
    # Each process tracks one clip at a time; several BLAS threads per process only fight each other.
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass


@dataclass(frozen=True)
class PrepareSummary:
    """What a ``prepare`` run did."""

    clips: int
    prepared: int
    reused: int
    stale: int
    failures: list[tuple[str, str]]
    index: Path
    table: str


def _status(clip: Clip, records: Path, failed: Path, fp: str) -> tuple[str, str]:
    """('done' | 'failed' | 'stale' | 'todo', reason) for one clip in the cache."""
    rec = records / f"{safe_name(clip.name)}.npz"
    fail = failed / f"{safe_name(clip.name)}.json"
    stamp = json.loads(json.dumps(_source_stamp(clip)))
    if rec.is_file():
        try:
            meta = read_meta(rec)
        except Exception:  # noqa: BLE001 - an unreadable record is rebuilt
            return "stale", ""
        if meta.get("fingerprint") == fp and meta.get("source") == stamp:
            return "done", ""
        return "stale", ""
    if fail.is_file():
        try:
            note = json.loads(fail.read_text())
        except (OSError, ValueError):
            return "todo", ""
        if note.get("fingerprint") == fp and note.get("source") == stamp:
            return "failed", note.get("reason", "")
        return "stale", ""
    return "todo", ""


def prepare_cache(
    clips: list[Clip],
    cache: Path,
    workers: int = 1,
    progress: bool = True,
    on_note: Callable[[str], None] = print,
) -> PrepareSummary:
    """Prepare every clip into ``cache`` (resumable, parallel over processes), label, write ``index.csv``.

    Args:
        clips: from :func:`moodtalk.datasets.find_clips`.
        cache: the cache folder (created if missing).
        workers: processes measuring clips at once.
        progress: show a progress bar.
        on_note: where to say what the run found in the cache (stale records).

    Raises:
        InputError: the cache folder cannot be created or written.
    """
    from tqdm import tqdm

    from moodtalk.datasets.pseudo import label_records

    cache = Path(cache)
    records, failed = cache / "records", cache / "failed"
    try:
        records.mkdir(parents=True, exist_ok=True)
        failed.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(cache, f"cannot create the cache folder ({e.strerror})") from None
    if not os.access(records, os.W_OK) or not os.access(failed, os.W_OK):
        raise InputError(cache, "cache folder is not writable")
    fp = fingerprint()
    states = {c.name: _status(c, records, failed, fp) for c in clips}
    stale = sum(s == "stale" for s, _ in states.values())
    if stale:
        on_note(f"{stale} record(s) in {cache} were made by another version of the code or from changed files; "
                f"rebuilding them (fingerprint now {fp})")  # fmt: skip
    todo = [c for c in clips if states[c.name][0] in ("todo", "stale")]
    outcomes: dict[str, Outcome] = {}
    bar = tqdm(total=len(todo), desc="preparing clips", unit="clip", disable=None if progress else True)
    jobs = [(c, records / f"{safe_name(c.name)}.npz", failed / f"{safe_name(c.name)}.json", fp) for c in todo]
    if workers <= 1 or len(todo) <= 1:
        _worker_init()
        for job in jobs:
            o = _prepare_one(*job)
            outcomes[o.name] = o
            bar.update()
    else:
        ctx = multiprocessing.get_context("spawn")  # MediaPipe's graph threads do not survive a fork
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init) as pool:
            futures = [pool.submit(_prepare_one, *job) for job in jobs]
            for fut in as_completed(futures):
                o = fut.result()
                outcomes[o.name] = o
                bar.update()
    bar.close()
    failures = [(c.name, outcomes[c.name].reason if c.name in outcomes else states[c.name][1]) for c in clips
                if (c.name in outcomes and not outcomes[c.name].ok) or states[c.name][0] == "failed"]  # fmt: skip
    ok = [c for c in clips if (c.name in outcomes and outcomes[c.name].ok) or states[c.name][0] == "done"]
    labels = label_records([records / f"{safe_name(c.name)}.npz" for c in ok])
    rows = _index_rows(clips, ok, dict(failures), labels, cache)
    index = cache / "index.csv"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=INDEX_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(index, buf.getvalue())
    reused = sum(states[c.name][0] == "done" for c in clips)
    return PrepareSummary(len(clips), sum(o.ok for o in outcomes.values()), reused, stale, failures, index,
                          summary_table(rows))  # fmt: skip


def _index_rows(clips: list[Clip], ok: list[Clip], failures: dict[str, str], labels: dict, cache: Path) -> list[dict]:
    ok_names = {c.name for c in ok}
    rows = []
    for c in clips:
        rec = cache / "records" / f"{safe_name(c.name)}.npz"
        info = labels.get(str(rec), {})
        level = c.level
        rows.append({
            "file": c.name, "speaker": c.speaker, "dataset": c.dataset, "emotion": c.emotion or "",
            "intensity": c.intensity, "level": "" if level is None else f"{level:.3f}",
            "frames": info.get("frames", 0), "audio_frames": info.get("audio_frames", 0),
            "seconds": f"{info.get('seconds', 0.0):.2f}",
            "status": "ok" if c.name in ok_names else (failures.get(c.name) or "failed").replace("\n", " "),
            "pseudo_intensity_mean": "" if info.get("pseudo_mean") is None else f"{info['pseudo_mean']:.4f}",
            "record": rec.relative_to(cache).as_posix() if c.name in ok_names else "",
        })  # fmt: skip
    return rows


def summary_table(rows: list[dict]) -> str:
    """A Markdown table of the prepared clips per dataset: clips, video frames, hours, speakers, emotions."""
    ok = [r for r in rows if r["status"] == "ok"]
    by: dict[str, list[dict]] = {}
    for r in ok:
        by.setdefault(r["dataset"] or "?", []).append(r)
    lines = ["| dataset | clips | video frames | hours | speakers | emotions |", "|---|---|---|---|---|---|"]

    def line(name: str, rs: list[dict]) -> str:
        emotions = Counter(r["emotion"] for r in rs if r["emotion"])
        em = ", ".join(f"{k} {v}" for k, v in sorted(emotions.items())) or "-"
        hours = sum(float(r["seconds"]) for r in rs) / 3600
        frames = sum(int(r["frames"]) for r in rs)
        return f"| {name} | {len(rs)} | {frames} | {hours:.2f} | {len({r['speaker'] for r in rs})} | {em} |"

    for name in sorted(by, key=lambda k: -len(by[k])):
        lines.append(line(name, by[name]))
    lines.append(line("**all**", ok))
    failed = len(rows) - len(ok)
    if failed:
        lines.append(f"\n{failed} clip(s) failed (reasons in index.csv, column status)")
    return "\n".join(lines)
