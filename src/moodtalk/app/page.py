"""The web page: portrait + speech + emotion → the talking-head mp4 and its motion CSVs, in a browser.

Every button calls the functions the CLI calls: :func:`moodtalk.pipeline.generate` makes the video,
:func:`moodtalk.export.write_motion_csv` / :func:`~moodtalk.export.write_live_link_face_csv` write the
motion that drove it (the two layouts of ``moodtalk animate --format``), and the keyframe plot is
:func:`moodtalk.emotion.emotion_track` of the same keyframe string ``--emotion`` takes.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moodtalk.errors import InputError
from moodtalk.types import EMOTIONS

PLOT_FPS = 10.0
"""Samples per second of the plotted emotion curve (the page only needs its shape)."""
PLOT_SECONDS = 6.0
"""Length of the plot before any audio is given (or past the last keyframe)."""
DEFAULT_KEYFRAMES = [[0.0, "neutral", 1.0], [1.0, "happy", 0.8], [3.0, "surprised", 1.0]]
"""The keyframe table's first rows: an example that shows what the table does."""
SIZES = (256, 512, 1024)
COLORS = dict(
    zip(EMOTIONS, ("#7f7f7f", "#d62728", "#8c564b", "#2ca02c", "#9467bd", "#ff7f0e", "#1f77b4", "#e377c2"), strict=True)
)
"""One fixed colour per emotion: the plot keeps them across updates (and knows all eight from the start)."""
INTRO = """\
# moodtalk
Speech + portrait + emotion → a talking-head video, made on this machine's CPU. Give a portrait (or take a
webcam snapshot; without one, NASA's public-domain astronaut portrait is used) and speech (a file or the
microphone), choose an emotion, and press **Generate**.
"""


@dataclass(frozen=True)
class AppLimits:
    """What one request may ask of the server."""

    max_upload_mb: float = 50.0
    """Largest portrait or audio file, in MB."""
    max_audio_s: float = 300.0
    """Longest audio, in seconds (a 2-core CPU makes about 4 s of 512 px video per second)."""
    concurrency: int = 1
    """Videos generated at the same time; the other requests wait in the queue."""
    max_queue: int = 16
    """Requests waiting at most; more are refused with a message."""


def _check_upload(path: str | None, what: str, limits: AppLimits) -> None:
    if path is None:
        return
    mb = os.path.getsize(path) / 1e6
    if mb > limits.max_upload_mb:
        raise InputError(Path(path).name, f"the {what} is {mb:.1f} MB; this page takes at most "
                                          f"{limits.max_upload_mb:g} MB")  # fmt: skip


def _audio_seconds(path: str, limits: AppLimits) -> float:
    """Duration of an uploaded or recorded speech file, after the size and length checks."""
    from moodtalk.video import probe

    _check_upload(path, "audio file", limits)
    try:
        info = probe(path)
    except InputError as e:
        raise InputError(Path(path).name, e.problem) from None
    if not info.has_audio:
        raise InputError(Path(path).name, "has no sound (give speech: wav, mp3, m4a, flac, ogg or a video)")
    if info.duration > limits.max_audio_s:
        raise InputError(Path(path).name, f"the audio lasts {info.duration:.0f} s; this page takes at most "
                                          f"{limits.max_audio_s:g} s (the command line takes any length)")  # fmt: skip
    return info.duration


def _keyframe_spec(rows: list[list]) -> str:
    """Table rows (time, emotion, intensity) → the ``--emotion`` keyframe string, blank rows skipped."""
    parts = []
    for i, row in enumerate(rows or [], start=1):
        cells = [("" if c is None else str(c)).strip() for c in (list(row) + ["", "", ""])[:3]]
        if not any(cells):
            continue
        time, name, level = cells
        if not time or not name:
            raise InputError(None, f"keyframe row {i}: give a time (s) and an emotion")
        parts.append(f"{name}:{level}@{time}" if level else f"{name}@{time}")
    if not parts:
        raise InputError(None, "the keyframe table is empty: add a row (time, emotion, intensity)")
    return " ".join(parts)


def _emotion_spec(emotion: str, use_keyframes: bool, rows: list[list]) -> str:
    return _keyframe_spec(rows) if use_keyframes else emotion


def _curve(spec: str, intensity: float, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    """The emotion curve that ``generate`` will apply: times (n,) and level (n, 8) = each emotion's weight ×
    intensity, from :func:`moodtalk.emotion.emotion_track` of the same ``--emotion`` string."""
    from moodtalk.emotion import emotion_track

    n = max(2, round(seconds * PLOT_FPS) + 1)
    track = emotion_track(spec, n, PLOT_FPS, intensity, duration=seconds)
    return np.arange(n) / PLOT_FPS, track.weights * track.intensity[:, None]


def _figure(time: np.ndarray | None, level: np.ndarray | None, note: str | None = None):  # noqa: ANN202 - Figure
    """The plot of :func:`_curve` (one line per emotion that appears, fixed colours), or ``note`` alone."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 2.8), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.set_ylim(0, 1.55)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("weight × intensity")
    ax.grid(alpha=0.3)
    ax.set_title("Emotion applied", fontsize=10, loc="left")
    if time is not None and level is not None:
        for k, name in enumerate(EMOTIONS):
            if level[:, k].max() > 1e-3:
                ax.plot(time, level[:, k], color=COLORS[name], lw=2, label=name)
        ax.set_xlim(0, time[-1])
        if ax.lines:
            ax.legend(loc="upper right", ncol=4, fontsize=8, frameon=False, bbox_to_anchor=(1.0, 1.16))
    if note:
        ax.text(0.02, 0.5, note, transform=ax.transAxes, fontsize=9, color="#b00020")
    return fig


class _Handlers:
    """The page's callbacks, bound to its limits and its folder of finished jobs."""

    def __init__(self, limits: AppLimits, default_portrait: str, jobs: Path) -> None:
        self.limits, self.default_portrait, self.jobs = limits, default_portrait, jobs

    def check_audio(self, audio: str | None) -> str:
        """Message under the inputs as soon as a file is given: its length, or why it is refused."""
        if audio is None:
            return ""
        try:
            return f"Speech: {_audio_seconds(audio, self.limits):.1f} s."
        except InputError as e:
            return f"**Error:** {e}"

    def check_portrait(self, portrait: str | None) -> str:
        try:
            _check_upload(portrait, "portrait", self.limits)
        except InputError as e:
            return f"**Error:** {e}"
        return ""

    def plot(self, emotion: str, intensity: float, auto: bool, use_keyframes: bool, rows: list[list],
             audio: str | None):  # noqa: ANN201 - a matplotlib Figure  # fmt: skip
        try:
            spec = _emotion_spec(emotion, use_keyframes, rows)
            try:
                seconds = _audio_seconds(audio, self.limits) if audio else None
            except InputError:
                seconds = None
            if seconds is None:
                times = [float(r[0]) for r in rows or [] if use_keyframes and r and str(r[0]).strip()]
                seconds = max([PLOT_SECONDS, *[t + 2.0 for t in times]])
            time, level = _curve(spec, 1.0 if auto else float(intensity), seconds)
        except (InputError, ValueError, TypeError) as e:
            return _figure(None, None, f"cannot draw the curve: {e}")
        return _figure(time, level, "intensity auto: it follows the voice (drawn at 1)" if auto else None)

    def generate(self, portrait: str | None, audio: str | None, transcript: str, emotion: str, intensity: float,
                 auto: bool, use_keyframes: bool, rows: list[list], size: str, preview: float, pose: str,
                 progress=None):  # noqa: ANN001, ANN201 - gr.Progress, a tuple of gr.update  # fmt: skip
        import gradio as gr

        from moodtalk import export
        from moodtalk.pipeline import EmotionOptions, generate, motion_pose_table

        hidden = gr.update(value=None, visible=False)
        job = None
        try:
            if audio is None:
                raise InputError(None, "give speech first: upload an audio file or record with the microphone")
            seconds = _audio_seconds(audio, self.limits)
            _check_upload(portrait, "portrait", self.limits)
            spec = _emotion_spec(emotion, use_keyframes, rows)
            options = EmotionOptions(emotion=spec, intensity="auto" if auto else float(intensity))
            progress(0.0, desc="tracking the face and analysing the speech")
            job = Path(tempfile.mkdtemp(prefix="job-", dir=self.jobs))
            stem = f"{Path(audio).stem[:60]}_{'keyframes' if use_keyframes else emotion}"
            video = job / f"{stem}.mp4"
            is_default = portrait is None or Path(portrait).resolve() == Path(self.default_portrait).resolve()
            result = generate(audio, video, portrait=None if is_default else portrait, size=int(size),
                              transcript=(transcript or "").strip() or None, pose=pose,
                              preview_seconds=float(preview) if preview else None, overwrite=True,
                              emotion=options)  # fmt: skip
            progress(1.0, desc="writing the motion CSVs")
            motion = result.motion
            table = motion_pose_table(motion)
            csv = job / f"{stem}.csv"
            llf = job / f"{stem}_livelinkface.csv"
            export.write_atomic(csv, lambda f: export.write_motion_csv(f, motion.blendshapes, table))
            export.write_atomic(llf, lambda f: export.write_live_link_face_csv(f, motion.blendshapes, table))
            shown = result.frames / 25.0 if preview else seconds
            notes = "".join(f"\n\n{n}" for n in result.notes)
            status = (f"Done: {result.frames} frames ({shown:.1f} s) in {result.seconds:.1f} s "
                      f"({shown / result.seconds:.1f}x real time).{notes}")  # fmt: skip
            return (str(video), gr.update(value=str(video), visible=True), gr.update(value=str(csv), visible=True),
                    gr.update(value=str(llf), visible=True), status, str(job))  # fmt: skip
        except InputError as e:
            message = f"**Error:** {e}"
        except Exception as e:  # noqa: BLE001 - the page shows one line, the server goes on
            print(f"moodtalk app: generate failed: {type(e).__name__}: {e}", file=sys.stderr)
            message = f"**Error:** generation failed ({type(e).__name__}: {e})"
        return None, hidden, hidden, hidden, message, str(job) if job else ""

    def forget(self, job: str) -> None:
        """Delete a job's folder once the page has its files (Gradio serves copies from its own cache)."""
        if job and Path(job).parent == self.jobs:
            shutil.rmtree(job, ignore_errors=True)


def build(limits: AppLimits | None = None, workdir: str | Path | None = None):  # noqa: ANN201 - gr.Blocks
    """The moodtalk web page, ready for ``.launch()``.

    Args:
        limits: upload size, audio length, concurrency and queue length (default: ``AppLimits()``).
        workdir: folder for the page's own files (the default portrait, jobs being made; each job's folder
            is deleted once its files are handed to Gradio); a new temporary folder when None.

    Returns:
        gr.Blocks with its queue set (``limits.concurrency`` videos at a time, ``limits.max_queue`` waiting).
    """
    import gradio as gr
    from PIL import Image
    from skimage import data

    limits = limits or AppLimits()
    root = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="moodtalk-app-"))
    jobs = root / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    default_portrait = root / "astronaut.png"
    if not default_portrait.is_file():
        Image.fromarray(data.astronaut()).save(default_portrait)
    h = _Handlers(limits, str(default_portrait), jobs)

    with gr.Blocks(title="moodtalk", analytics_enabled=False, delete_cache=(600, 3600)) as page:
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column():
                portrait = gr.Image(value=str(default_portrait), type="filepath", label="Portrait",
                                    sources=["upload", "webcam", "clipboard"], height=300,
                                    elem_id="portrait")  # fmt: skip
                audio = gr.Audio(type="filepath", sources=["upload", "microphone"], label="Speech",
                                 elem_id="audio")  # fmt: skip
                transcript = gr.Textbox(label="Transcript (optional, English): aligns the lips to the words",
                                        lines=1, elem_id="transcript")  # fmt: skip
            with gr.Column():
                emotion = gr.Radio(list(EMOTIONS), value="neutral", label="Emotion", elem_id="emotion")
                with gr.Row():
                    intensity = gr.Slider(0.0, 1.5, value=1.0, step=0.05, label="Intensity", scale=3,
                                          elem_id="intensity")  # fmt: skip
                    auto = gr.Checkbox(label="auto (follows the voice)", value=False, scale=1, elem_id="auto")
                with gr.Accordion("Keyframes: the emotion changing over time", open=False):
                    use_keyframes = gr.Checkbox(label="use these keyframes instead of the emotion above",
                                                elem_id="use-keyframes")  # fmt: skip
                    keyframes = gr.Dataframe(value=DEFAULT_KEYFRAMES, headers=["time (s)", "emotion", "intensity"],
                                             datatype=["number", "str", "number"], type="array", row_count=3,
                                             label=f"one row per keyframe; emotions: {', '.join(EMOTIONS)}",
                                             elem_id="keyframes")  # fmt: skip
                curve = gr.Plot(label="Emotion applied over time", show_label=False, format="png", elem_id="curve")
                with gr.Row():
                    size = gr.Radio([str(s) for s in SIZES], value="512", label="Size (px)", elem_id="size")
                    preview = gr.Number(value=0, minimum=0, label="Preview: first N seconds only (0 = all)",
                                        elem_id="preview")  # fmt: skip
                    pose = gr.Radio(["natural", "still"], value="natural", label="Head", elem_id="pose")
        button = gr.Button("Generate", variant="primary", elem_id="generate")
        status = gr.Markdown(elem_id="status")
        with gr.Row():
            video = gr.Video(label="Video", autoplay=True, elem_id="video", height=420)
            with gr.Column():
                mp4 = gr.DownloadButton("Download the mp4", visible=False, elem_id="download-mp4")
                csv = gr.DownloadButton("Download the motion CSV (moodtalk)", visible=False, elem_id="download-csv")
                llf = gr.DownloadButton("Download the motion CSV (Live Link Face)", visible=False,
                                        elem_id="download-llf")  # fmt: skip
                gr.Markdown("The CSVs hold the motion that drove the video: 51 ARKit blendshape weights and the "
                            "head pose per frame (`moodtalk animate --format moodtalk / livelinkface`).")  # fmt: skip
        job = gr.State("")

        plot_inputs = [emotion, intensity, auto, use_keyframes, keyframes, audio]
        gr.on([page.load, emotion.change, intensity.release, auto.change, use_keyframes.change, keyframes.change,
               audio.change], h.plot, plot_inputs, curve, queue=False)  # fmt: skip
        audio.change(h.check_audio, audio, status, queue=False)
        portrait.change(h.check_portrait, portrait, status, queue=False)

        def run(*args, progress=gr.Progress(track_tqdm=True)):  # noqa: ANN002, ANN202, B008 - Gradio's idiom
            return h.generate(*args, progress=progress)

        inputs = [portrait, audio, transcript, emotion, intensity, auto, use_keyframes, keyframes, size, preview, pose]
        button.click(run, inputs, [video, mp4, csv, llf, status, job], concurrency_limit=limits.concurrency,
                     concurrency_id="generate").then(h.forget, job, None, queue=False)  # fmt: skip
    page.queue(max_size=limits.max_queue, default_concurrency_limit=limits.concurrency)
    return page
