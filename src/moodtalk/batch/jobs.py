"""``moodtalk batch JOBS.csv -o OUT_DIR``: many ``generate`` jobs on a local process pool, resumable.

Each row is one call of :func:`moodtalk.pipeline.generate` (the same function the CLI calls). A job
writes ``OUT_DIR/.<output>.part.mp4`` and renames it when complete, so a finished output is never
half-written and a run that is killed and started again skips every finished output. ``results.csv``
(job, output, status, seconds, error) is rewritten, atomically, after every job.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from moodtalk.errors import InputError

REQUIRED = ("audio", "output")
"""Columns every jobs CSV must have."""
OPTIONAL = ("portrait", "emotion", "intensity", "size", "seed")
"""Columns it may have (empty cells = the defaults of ``generate``)."""
OUTPUT_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\- ]{0,200}\.mp4")
"""An output name: a plain .mp4 file name inside OUT_DIR (no folders, so no job writes elsewhere)."""
RESULTS = "results.csv"


@dataclass(frozen=True)
class Job:
    """One row of the jobs CSV, paths resolved against the CSV's folder."""

    row: int
    """1-based data row number (for messages)."""
    audio: Path
    output: str
    """File name in OUT_DIR."""
    portrait: Path | None = None
    emotion: str | None = None
    intensity: float = 1.0
    size: int = 512
    seed: int = 0
    problem: str | None = None
    """Why the row cannot run (then it is reported as failed, the other rows still run)."""


@dataclass(frozen=True)
class JobResult:
    job: int
    output: str
    status: str
    """done, skipped (the output existed) or failed."""
    seconds: float
    error: str = ""


def _read_jobs(path: Path) -> list[Job]:
    """Rows of the jobs CSV. Missing columns or an unreadable file raise; a bad row becomes a failed job."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(path, f"cannot read the jobs CSV ({getattr(e, 'strerror', None) or e})") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InputError(path, f"jobs CSV lacks column(s) {', '.join(missing)} (needs {', '.join(REQUIRED)}; "
                               f"optional {', '.join(OPTIONAL)})")  # fmt: skip
    base = Path(path).resolve().parent
    jobs, seen = [], set()
    for i, raw in enumerate(reader, start=1):
        row = {(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in raw.items()}
        output, problem = row.get("output", ""), None
        values: dict = {}
        try:
            if not OUTPUT_RE.fullmatch(output):
                raise ValueError(f"output {output!r} must be a plain file name ending in .mp4")
            if output in seen:
                raise ValueError(f"output {output!r} is also the output of an earlier row")
            if not row.get("audio"):
                raise ValueError("no audio")
            values["intensity"] = float(row["intensity"]) if row.get("intensity") else 1.0
            values["size"] = int(row["size"]) if row.get("size") else 512
            values["seed"] = int(row["seed"]) if row.get("seed") else 0
            if values["size"] not in (256, 512, 1024):
                raise ValueError(f"size must be 256, 512 or 1024, got {values['size']}")
            if not 0 <= values["intensity"] <= 1.5:
                raise ValueError(f"intensity must be in [0, 1.5], got {values['intensity']:g}")
        except ValueError as e:
            problem = f"row {i}: {e}"
        seen.add(output)
        portrait = row.get("portrait") or None
        jobs.append(Job(row=i, audio=base / row.get("audio", ""), output=output or f"row{i}",
                        portrait=base / portrait if portrait else None, emotion=row.get("emotion") or None,
                        problem=problem, **values))  # fmt: skip
    return jobs


def _run_job(job: Job, out_dir: str) -> JobResult:
    """Generate one job's mp4 (in a worker process); every failure is returned, never raised."""
    from moodtalk.pipeline import EmotionOptions, generate

    started = time.perf_counter()
    final = Path(out_dir) / job.output
    part = final.with_name(f".{final.stem}.part.mp4")
    try:
        emotion = EmotionOptions(emotion=job.emotion, intensity=job.intensity)
        generate(job.audio, part, portrait=job.portrait, size=job.size, seed=job.seed, overwrite=True,
                 progress=False, emotion=emotion)  # fmt: skip
        os.replace(part, final)
        return JobResult(job.row, job.output, "done", time.perf_counter() - started)
    except Exception as e:  # noqa: BLE001 - one failing job never stops the others
        part.unlink(missing_ok=True)
        message = str(e) if isinstance(e, InputError) else f"{type(e).__name__}: {e}"
        return JobResult(job.row, job.output, "failed", time.perf_counter() - started, message)


def _write_results(out_dir: Path, results: dict[int, JobResult]) -> None:
    from moodtalk.export import write_atomic

    def write(f) -> None:  # noqa: ANN001
        w = csv.writer(f)
        w.writerow(["job", "output", "status", "seconds", "error"])
        for r in sorted(results.values(), key=lambda r: r.job):
            w.writerow([r.job, r.output, r.status, f"{r.seconds:.2f}", r.error])

    write_atomic(out_dir / RESULTS, write)


def run(jobs_csv: str | Path, out_dir: str | Path, workers: int = 2, progress: bool = True) -> list[JobResult]:
    """Run every job of ``jobs_csv`` into ``out_dir`` on ``workers`` processes; finished outputs are skipped.

    Args:
        jobs_csv: one row per job: ``audio``, ``output`` (an .mp4 name) and optionally ``portrait``,
            ``emotion`` (as ``--emotion``), ``intensity``, ``size``, ``seed``; relative paths are relative
            to the CSV's folder.
        out_dir: folder of the outputs and of ``results.csv`` (created if needed).
        workers: processes.
        progress: show a progress bar on a terminal.

    Returns:
        One JobResult per row, in row order.

    Raises:
        InputError: unreadable CSV, missing columns, unwritable output folder.
    """
    import multiprocessing

    from tqdm import tqdm

    from moodtalk.pipeline import prepare_out_dir

    jobs = _read_jobs(Path(jobs_csv))
    out = prepare_out_dir(Path(out_dir))
    results: dict[int, JobResult] = {}
    todo = []
    for job in jobs:
        if job.problem:
            results[job.row] = JobResult(job.row, job.output, "failed", 0.0, job.problem)
        elif (out / job.output).is_file():
            results[job.row] = JobResult(job.row, job.output, "skipped", 0.0)
        else:
            todo.append(job)
    bar = tqdm(total=len(jobs), initial=len(results), desc="batch", unit="job", disable=None if progress else True)
    if todo:
        # spawn: workers start clean (no copied threads or MediaPipe state from this process).
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max(1, min(workers, len(todo))), mp_context=context) as pool:
            futures = [pool.submit(_run_job, job, str(out)) for job in todo]
            for future in as_completed(futures):
                result = future.result()
                results[result.job] = result
                _write_results(out, results)
                bar.update(1)
    _write_results(out, results)
    bar.close()
    return [results[j.row] for j in jobs]
