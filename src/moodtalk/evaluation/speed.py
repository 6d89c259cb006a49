"""Speed and memory of the generate pipeline, per stage and end to end, at one output size.

Each size runs in a fresh Python process (``python -m moodtalk.evaluation.speed``) so its peak resident
memory (the kernel's high-water mark of the process's memory, ``VmHWM``: every allocation, numpy, OpenCV and
MediaPipe included, which ``tracemalloc`` would miss) belongs to that setting alone. Not ``ru_maxrss``: Linux
keeps it across ``execve``, so a child started by a large parent reports the parent's size. Stages are timed
one after another in that process: reading audio, speech features, mouth + behaviour motion
(``speech_motion`` + ``behaviour`` on those features; phones are not recognised on the default path),
portrait preparation (tracking + crop + renderer setup), rendering, H.264/AAC encoding of the rendered frames;
then ``pipeline.generate`` end to end on the same inputs. A first portrait preparation (FaceMesh model load)
is done before timing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

POLL_S = 0.05
"""How often :func:`run_with_peak_memory` reads the child's high-water mark."""


def peak_memory_mb(pid: int | str = "self") -> float:
    """High-water mark of a process's resident memory in MB (Linux ``VmHWM``; ``ru_maxrss`` elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    if pid != "self":
        return float("nan")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


def run_with_peak_memory(cmd: list[str], **kwargs: Any) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``cmd`` and return its result and its peak resident memory in MB, read while it runs."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, **kwargs)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, peak_memory_mb(proc.pid))  # monotone, so the last read before exit is the peak
            time.sleep(POLL_S)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read()), peak


def measure(audio_path: Path, portrait: Path | None, size: int, seconds: float, lips: str, fps: float = 25.0
            ) -> dict[str, Any]:  # fmt: skip
    """Time the stages and the whole of ``generate`` in this process (see the module docstring)."""
    import numpy as np

    from moodtalk.audio import speech_features
    from moodtalk.behaviour import behaviour
    from moodtalk.motion import MotionConfig, speech_motion
    from moodtalk.pipeline import (
        CHUNK_FRAMES,
        generate,
        load_portrait,
        neutral_landmarks,
        prepare_portrait,
        speech_to_motion,
        target_landmarks,
    )
    from moodtalk.render import prepare, render
    from moodtalk.types import AudioTrack
    from moodtalk.video import VideoWriter, read_audio

    times: dict[str, float] = {}

    def clock(name: str, fn: Any) -> Any:
        t = time.perf_counter()
        out = fn()
        times[name] = time.perf_counter() - t
        return out

    track = clock("read_audio", lambda: read_audio(audio_path, 16000))
    track = AudioTrack(track.samples[: int(seconds * track.sample_rate)], track.sample_rate)
    image, name = load_portrait(portrait)
    prepare_portrait(image, size, name)  # warm-up: loads the FaceMesh model once
    features = clock("speech_features", lambda: speech_features(track, fps))
    clock("motion", lambda: (speech_motion(features, None, MotionConfig(path=lips)), behaviour(features)))
    made = speech_to_motion(track, fps, lips=lips)  # the same motion, as generate makes it (not timed)
    rig = clock("portrait", lambda: prepare_portrait(image, size, name))
    t = time.perf_counter()
    render_rig = prepare(rig.image, rig.face.landmarks.points[0], neutral=neutral_landmarks(rig))
    times["portrait"] += time.perf_counter() - t
    n = len(made.motion)
    frames = []
    t = time.perf_counter()
    for start in range(0, n, CHUNK_FRAMES):
        frames.append(render(render_rig, target_landmarks(rig, made.motion, start, min(n, start + CHUNK_FRAMES))))
    times["render"] = time.perf_counter() - t
    video = np.concatenate(frames)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "encode.mp4"

        def encode() -> None:
            with VideoWriter(out, (size, size), fps, audio=track) as writer:
                for start in range(0, n, CHUNK_FRAMES):
                    writer.write(video[start : start + CHUNK_FRAMES])

        clock("encode", encode)
        result = clock("end_to_end", lambda: generate(audio_path, Path(tmp) / "e2e.mp4", portrait=portrait,
                                                      size=size, fps=fps, lips=lips, preview_seconds=seconds,
                                                      progress=False))  # fmt: skip
    duration = n / fps
    stage_fps = {k: (n / v if v > 0 else float("inf")) for k, v in times.items() if k != "read_audio"}
    return {
        "size": size,
        "frames": n,
        "audio_seconds": duration,
        "seconds": times,
        "fps": stage_fps,
        "end_to_end_fps": result.frames / times["end_to_end"],
        "real_time_factor": times["end_to_end"] / duration,
        "peak_rss_mb": peak_memory_mb(),
        "threads": os.cpu_count(),
    }


def run_speed(audio_path: Path, portrait: Path | None, size: int, seconds: float, lips: str, timeout: float = 900
              ) -> dict[str, Any]:  # fmt: skip
    """Run :func:`measure` in a fresh subprocess and return its result.

    Raises:
        RuntimeError: the subprocess failed (its last stderr line is in the message).
    """
    cmd = [sys.executable, "-m", "moodtalk.evaluation.speed", "--audio", str(audio_path), "--size", str(size),
           "--seconds", str(seconds), "--lips", lips]  # fmt: skip
    if portrait is not None:
        cmd += ["--portrait", str(portrait)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", GLOG_minloglevel="3")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        lines = [x for x in proc.stderr.strip().splitlines() if x.strip()]
        raise RuntimeError(f"speed run at {size} failed: {lines[-1] if lines else f'exit {proc.returncode}'}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="time moodtalk's generate pipeline at one size (prints JSON)")
    p.add_argument("--audio", type=Path, required=True)
    p.add_argument("--portrait", type=Path, default=None)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--lips", default="auto")
    a = p.parse_args(argv)
    result = measure(a.audio, a.portrait, a.size, a.seconds, a.lips)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
