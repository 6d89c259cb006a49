"""The pipelines behind the CLI and the Python API: each wires the stages in one short function."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moodtalk import export
from moodtalk.errors import InputError
from moodtalk.face import analyze_face
from moodtalk.geometry import matrix_to_euler
from moodtalk.types import DEFAULT_FPS, POSE_COLUMNS, FaceAnalysis, Frames
from moodtalk.video import iter_frames, probe


@dataclass(frozen=True)
class AnalyzeResult:
    """What ``analyze`` measured and where it wrote it."""

    analysis: FaceAnalysis
    """Landmarks, pose, blendshapes and residual per frame."""
    pose_table: np.ndarray
    """(T, 6) the pose columns written to the CSV (see ``types.POSE_COLUMNS``)."""
    files: tuple[Path, ...]
    """CSV, JSON and PNG written."""


def _progress(chunks, total: int, desc: str, enabled: bool):  # noqa: ANN001, ANN202
    """Wrap a chunk iterator in a terminal progress bar counted in frames."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="frame", disable=None if enabled else True, leave=False)
    for chunk in chunks:
        yield chunk
        bar.update(len(chunk))
    bar.close()


def pose_table(analysis: FaceAnalysis) -> np.ndarray:
    """(T, 6) yaw/pitch/roll degrees, x/y as fractions of the frame, eye distance / frame width."""
    width, height = analysis.pose.image_size
    euler = matrix_to_euler(analysis.pose.rotation)
    t = analysis.pose.translation
    return np.column_stack([euler, t[:, 0] / width, t[:, 1] / height, analysis.pose.scale / width])


def prepare_out_dir(out_dir: Path) -> Path:
    """Create the output folder (and parents); fail with one clear line if that is impossible."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(out_dir, f"cannot create output folder ({e.strerror})") from None
    if not os.access(out_dir, os.W_OK):
        raise InputError(out_dir, "output folder is not writable")
    return out_dir


def analyze(
    input_path: str | Path,
    out_dir: str | Path,
    fps: float = DEFAULT_FPS,
    max_size: int = 720,
    neutral_from: str | Path | None = None,
    plot: bool = True,
    progress: bool = True,
) -> AnalyzeResult:
    """Analyse a face image or video into per-frame blendshape weights and head pose.

    Args:
        input_path: image (png, jpg, ...) or video (mp4, mov, mkv, webm, flv, avi, ...).
        out_dir: folder for ``<name>.csv``, ``<name>.json`` and ``<name>.png`` (created if needed).
        fps: analysis frame rate; videos are resampled to it (variable frame rate included).
        max_size: frames are downscaled so their longer side is at most this (tracking is
            no better above it and much slower).
        neutral_from: optional image or video of the same person with a neutral face; weights
            are then measured from that neutral instead of one estimated from the input.
        plot: also write the PNG of the main curves.
        progress: show a progress bar on a terminal.

    Returns:
        AnalyzeResult.

    Raises:
        InputError: unreadable input, no video stream, no face, unwritable output.
    """
    input_path = Path(input_path)
    info = probe(input_path)
    if not info.has_video:
        raise InputError(input_path, "has no video stream (give an image or a video of a face)")
    out_dir = prepare_out_dir(Path(out_dir))
    neutral = None
    if neutral_from is not None:
        neutral = _analyze_path(Path(neutral_from), fps, max_size, None, False).identity
    analysis = _analyze_path(input_path, fps, max_size, neutral, progress)
    table = pose_table(analysis)
    blend = analysis.blendshapes
    extra = {
        "source": str(input_path),
        "image_size": list(analysis.pose.image_size),
        "face_found": analysis.landmarks.valid.astype(int).tolist(),
        "residual_iod": np.round(analysis.residual, 5).tolist(),
        "notes": list(analysis.notes),
    }
    stem = input_path.stem
    files = [out_dir / f"{stem}.csv", out_dir / f"{stem}.json"]
    export.write_atomic(files[0], export.motion_csv(blend, table).encode())
    export.write_atomic(files[1], export.motion_json(blend, table, extra).encode())
    if plot:
        files.append(out_dir / f"{stem}.png")
        export.write_atomic(files[2], export.motion_png(blend, table, f"{input_path.name}: analysed motion"))
    return AnalyzeResult(analysis=analysis, pose_table=table, files=tuple(files))


def _analyze_path(path: Path, fps: float, max_size: int, neutral: np.ndarray | None, progress: bool
                  ) -> FaceAnalysis:  # fmt: skip
    info = probe(path)
    is_photo = info.n_frames <= 1
    total = 1 if is_photo else max(1, int(round(info.duration * fps)))
    chunks = iter_frames(path, fps=fps, chunk=64, max_size=max_size)
    chunks = _progress(chunks, total, f"tracking {path.name}", progress and not is_photo)
    return analyze_face(chunks, static=is_photo, neutral=neutral, source=str(path))


__all__ = ["AnalyzeResult", "Frames", "POSE_COLUMNS", "analyze", "pose_table"]
