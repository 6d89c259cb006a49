"""The ``moodtalk`` command line: one entry point, one subcommand per job."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from moodtalk import __version__
from moodtalk.app import cli as app_cli
from moodtalk.batch import cli as batch_cli
from moodtalk.datasets import cli as datasets_cli
from moodtalk.errors import InputError
from moodtalk.evaluation.cli import add_eval_parser, run_eval_command
from moodtalk.serve import cli as serve_cli
from moodtalk.train import cli as train_cli

DESCRIPTION = """\
moodtalk turns speech into an emotional talking-head video on an ordinary CPU, with nothing
downloaded. Every stage speaks one language: per-frame ARKit-style blendshape weights
(jawOpen, mouthSmileLeft, browInnerUp, ...) plus head pose.
"""

ANALYZE_EPILOG = """\
Writes into OUTDIR:
  NAME.csv   time (s), one column per blendshape (ARKit names, 0..1), then headYaw, headPitch,
             headRoll (degrees), headX, headY (face centre as a fraction of the frame width /
             height) and headScale (eye distance in pixels / frame width)
  NAME.json  the same numbers plus fps, names, per-frame face_found and residual (solver error
             in eye distances), and notes (several faces, frames without a face)
  NAME.png   a plot of the main curves over time (unless --no-plot)

examples:
  moodtalk analyze talk.mp4 -o out/
  moodtalk analyze portrait.jpg -o out/
  moodtalk analyze happy.mp4 --neutral neutral.mp4 -o out/   # weights relative to the same person's neutral
"""


def _add_analyze(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "analyze",
        help="measure blendshape weights and head pose of a face image or video",
        description="Track the face (MediaPipe FaceMesh, 478 points), remove head pose, and solve per-frame "
        "blendshape weights on moodtalk's expression space.",
        epilog=ANALYZE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", type=Path, help="image (png, jpg, webp, ...) or video (mp4, mov, mkv, webm, flv, avi)")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="OUTDIR", help="output folder (created if missing)")
    p.add_argument(
        "--fps", type=float, default=25.0, help="analysis frame rate; video is resampled to it (default: 25)"
    )
    p.add_argument(
        "--max-size",
        type=int,
        default=720,
        help="downscale frames so the longer side is at most this many pixels (default: 720)",
    )
    p.add_argument(
        "--neutral",
        type=Path,
        default=None,
        metavar="MEDIA",
        help="image or video of the same person looking neutral; weights are measured from it "
        "(default: estimated from the input's calmest frames)",
    )
    p.add_argument("--no-plot", action="store_true", help="do not write the PNG plot (default: write it)")


def _run_analyze(args: argparse.Namespace) -> int:
    from moodtalk.pipeline import analyze

    if args.fps <= 0 or args.fps > 240:
        raise InputError(None, f"--fps must be in (0, 240], got {args.fps}")
    result = analyze(args.input, args.out, fps=args.fps, max_size=args.max_size, neutral_from=args.neutral,
                     plot=not args.no_plot)  # fmt: skip
    a = result.analysis
    for note in a.notes:
        print(f"moodtalk: warning: {args.input}: {note}", file=sys.stderr)
    n = len(a.blendshapes)
    print(f"{args.input}: {n} frames at {a.blendshapes.fps:g} fps, face in {int(a.landmarks.valid.sum())}, "
          f"median residual {100 * float(np.median(a.residual[a.landmarks.valid])):.2f}% of eye distance")  # fmt: skip
    for f in result.files:
        print(f"wrote {f}")
    return 0


ANIMATE_EPILOG = """\
Writes into OUTDIR:
  NAME.csv   --format moodtalk: time (s), one column per blendshape (ARKit names, 0..1), then
             headYaw, headPitch, headRoll (degrees, relative to the portrait's own pose), headX,
             headY (offsets in eye distances) and headScale (1 = unchanged).
             --format livelinkface: the columns of Apple's Live Link Face CSV (Timecode,
             BlendShapeCount, EyeBlinkLeft, ..., TongueOut, HeadYaw/Pitch/Roll and per-eye angles
             in radians), for tools that import Live Link Face recordings.
  NAME.json  the same motion plus fps, names, the speech/silence mask and recognised phones
  NAME.png   with --plot: the curves under the waveform

examples:
  moodtalk animate speech.wav -o out/
  moodtalk animate interview.mp4 -o out/ --plot             # a video's own sound track
  moodtalk animate speech.wav -o out/ --transcript "Peter bought a map"   # force-aligned phones
  moodtalk animate speech.wav -o out/ --format livelinkface --pose still
  moodtalk animate speech.wav -o out/ --pose-from talk.mp4  # copy head motion from a real video
"""


EMOTION_HELP = """\
emotion (choose at most one source; default neutral):
  --emotion happy --intensity 0.7          one emotion for the whole clip
  --emotion "neutral@0 happy:0.8@2.5 sad:1.0@6"   keyframes (name[:intensity]@seconds), smooth transitions
  --emotion curve.csv                      a curve: columns time, emotion, intensity (or one column per emotion)
  --emotion angry --intensity auto         intensity follows the voice frame by frame
  --emotion-from-text "I can't believe we won!"   --emotion-from-audio
  --emotion-from-image face.jpg            --emotion-from-video face.mp4   (upper face and mouth corners)
  emotions: neutral, angry, contempt, disgusted, fearful, happy, sad, surprised
"""


def _add_emotion_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("emotion")
    g.add_argument(
        "--emotion",
        default=None,
        metavar="SPEC",
        help="emotion name, name:intensity, keyframes, or a .csv curve (default: neutral)",
    )
    g.add_argument(
        "--intensity",
        default="1.0",
        metavar="X|auto",
        help="0..1.5 (1 = a full, clear expression), or auto = follow the voice (default: 1.0)",
    )
    g.add_argument("--intensity-scale", type=float, default=1.0, help="multiplier for --intensity auto (default: 1)")
    g.add_argument(
        "--emotion-from-text",
        default=None,
        metavar="TEXT",
        help="show the emotion of this English text (offline lexicon classifier) (default: off)",
    )
    g.add_argument(
        "--emotion-from-audio", action="store_true", help="guess the emotion from the voice's prosody (default: off)"
    )
    g.add_argument(
        "--emotion-from-image",
        type=Path,
        default=None,
        metavar="IMG",
        help="transfer the expression of the face in this photo (default: off)",
    )
    g.add_argument(
        "--emotion-from-video",
        type=Path,
        default=None,
        metavar="VID",
        help="transfer the expression of the face in this video, frame by frame (default: off)",
    )


def _emotion_options(args: argparse.Namespace):  # noqa: ANN202 - imported lazily
    from moodtalk.pipeline import EmotionOptions

    sources = [x for x in (args.emotion, args.emotion_from_text, args.emotion_from_audio or None,
                           args.emotion_from_image, args.emotion_from_video) if x]  # fmt: skip
    if len(sources) > 1:
        raise InputError(None, "give at most one of --emotion, --emotion-from-text, --emotion-from-audio, "
                               "--emotion-from-image, --emotion-from-video")  # fmt: skip
    if args.intensity.strip().lower() == "auto":
        intensity: float | str = "auto"
    else:
        try:
            intensity = float(args.intensity)
        except ValueError:
            raise InputError(
                None, f"--intensity must be a number in [0, 1.5] or 'auto', got {args.intensity!r}"
            ) from None
        if not 0.0 <= intensity <= 1.5:
            raise InputError(None, f"--intensity must be in [0, 1.5], got {intensity:g}")
    if not 0.0 <= args.intensity_scale <= 1.5:
        raise InputError(None, f"--intensity-scale must be in [0, 1.5], got {args.intensity_scale:g}")
    return EmotionOptions(emotion=args.emotion, intensity=intensity, intensity_scale=args.intensity_scale,
                          from_text=args.emotion_from_text, from_audio=args.emotion_from_audio,
                          from_image=args.emotion_from_image, from_video=args.emotion_from_video)  # fmt: skip


def _add_animate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "animate",
        help="turn speech into per-frame blendshape weights and head pose (no video)",
        description="Speech → motion: lips and jaw from the speech, head pose, blinks and gaze from a "
        "stochastic behaviour model tied to the speech rhythm, idle motion in silences.",
        epilog=ANIMATE_EPILOG + "\n" + EMOTION_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("audio", type=Path, help="speech: wav, mp3, m4a, flac, ogg, or a video file with sound")
    p.add_argument("-o", "--out", type=Path, required=True, metavar="OUTDIR", help="output folder (created if missing)")
    p.add_argument("--fps", type=float, default=25.0, help="motion frame rate (default: 25)")
    p.add_argument(
        "--lips",
        choices=("auto", "learned", "phonemes", "acoustic"),
        default="auto",
        help="mouth model: learned = a small model trained on real talking faces, from the sound (any "
        "language), plus the aligned English phones when --transcript is given; phonemes = English phone "
        "recognition (pocketsphinx) with coarticulation rules; acoustic = rules on loudness and formants, any "
        "language; auto = learned, the best of these on real clips (default: auto)",
    )
    p.add_argument(
        "--transcript",
        default=None,
        metavar="TEXT",
        help="what is said (English); phones are then force-aligned to it (default: none)",
    )
    p.add_argument(
        "--pose",
        choices=("still", "natural"),
        default="natural",
        help="head motion: still, or natural (drift, nods on stressed syllables, idle in pauses) (default: natural)",
    )
    p.add_argument(
        "--pose-from",
        type=Path,
        default=None,
        metavar="VIDEO",
        help="copy the head motion of a real video instead (default: none)",
    )
    p.add_argument("--blink-rate", type=float, default=15.0, help="blinks per minute (default: 15)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the behaviour model (default: 0)")
    p.add_argument(
        "--format",
        choices=("moodtalk", "livelinkface"),
        default="moodtalk",
        help="CSV column layout (default: moodtalk)",
    )
    p.add_argument("--plot", action="store_true", help="also write a PNG of the curves (default: off)")
    _add_emotion_options(p)


def _run_animate(args: argparse.Namespace) -> int:
    from moodtalk.pipeline import animate

    if args.fps <= 0 or args.fps > 240:
        raise InputError(None, f"--fps must be in (0, 240], got {args.fps}")
    if not 0 <= args.blink_rate <= 60:
        raise InputError(None, f"--blink-rate must be in [0, 60] per minute, got {args.blink_rate}")
    result, files = animate(args.audio, args.out, fps=args.fps, lips=args.lips, transcript=args.transcript,
                            pose=args.pose, pose_from=args.pose_from, blink_rate=args.blink_rate, seed=args.seed,
                            csv_format=args.format, plot=args.plot, emotion=_emotion_options(args))  # fmt: skip
    for note in result.notes:
        print(f"moodtalk: {note}", file=sys.stderr)
    n = len(result.motion)
    speech = float(result.features.speech.mean()) if n else 0.0
    print(f"{args.audio}: {n} frames at {args.fps:g} fps ({n / args.fps:.1f} s), speech in {100 * speech:.0f}%")
    for f in files:
        print(f"wrote {f}")
    return 0


GENERATE_EPILOG = """\
The portrait is cropped to a square around the face at --size, its own expression is measured
and replaced (a smiling photo can still talk neutrally), and every frame is warped from it with
a painted mouth interior. Audio is muxed from time 0; the video has the audio's duration.

examples:
  moodtalk generate --audio speech.wav -o out.mp4                      # the packaged NASA portrait
  moodtalk generate --audio speech.wav --portrait face.jpg -o out.mp4
  moodtalk generate --audio speech.wav --portrait face.jpg --size 256 --preview 3 -o quick.mp4
  moodtalk generate --audio speech.wav --portrait face.jpg --emotion happy --intensity 0.8 -o happy.mp4
"""


def _add_generate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="make a talking-head mp4 from speech and a portrait",
        description="Speech + portrait → lip-synced talking-head video with sound, on the CPU.",
        epilog=GENERATE_EPILOG + "\n" + EMOTION_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--audio", type=Path, required=True, help="speech: wav, mp3, m4a, flac, ogg, or a video with sound")
    p.add_argument(
        "--portrait",
        type=Path,
        default=None,
        help="photo of a face (or a video: its first frame) (default: NASA's public-domain astronaut "
        "portrait shipped with scikit-image)",
    )
    p.add_argument("-o", "--out", type=Path, required=True, help="the mp4 to write")
    p.add_argument(
        "--size", type=int, choices=(256, 512, 1024), default=512, help="output side in pixels (default: 512)"
    )
    p.add_argument("--fps", type=float, default=25.0, help="output frame rate (default: 25)")
    p.add_argument(
        "--lips",
        choices=("auto", "learned", "phonemes", "acoustic"),
        default="auto",
        help="mouth model, as in `moodtalk animate` (default: auto)",
    )
    p.add_argument("--transcript", default=None, metavar="TEXT", help="what is said (English), for aligned phones")
    p.add_argument("--pose", choices=("still", "natural"), default="natural", help="head motion (default: natural)")
    p.add_argument("--blink-rate", type=float, default=15.0, help="blinks per minute (default: 15)")
    p.add_argument("--seed", type=int, default=0, help="random seed of head motion and blinks (default: 0)")
    p.add_argument(
        "--preview",
        type=float,
        nargs="?",
        const=3.0,
        default=None,
        metavar="SECONDS",
        help="render only the first SECONDS (3 when given without a number) (default: all)",
    )
    p.add_argument(
        "--paste-back",
        action="store_true",
        help="output the whole photo with the animated face blended back in place, at the photo's "
        "size (default: the square face crop at --size)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file (default: refuse)")
    _add_emotion_options(p)


LONG_AUDIO_S = 2 * 3600
"""Audio longer than this gets a warning before generating: it runs for many minutes."""


def _warn_if_long(audio: Path, preview: float | None) -> None:
    """One warning line up front for audio over two hours (the container header says how long; cheap)."""
    from moodtalk.video import probe

    duration = probe(audio).duration
    if preview is None and duration > LONG_AUDIO_S:
        print(f"moodtalk: warning: {audio}: {duration / 3600:.1f} h of audio; generating takes about "
              f"{duration / 4 / 60:.0f} min at 512 px on 2 cores (--preview SECONDS renders only the start)",
              file=sys.stderr)  # fmt: skip


def _run_generate(args: argparse.Namespace) -> int:
    from moodtalk.pipeline import generate

    if args.fps <= 0 or args.fps > 60:
        raise InputError(None, f"--fps must be in (0, 60], got {args.fps}")
    if args.out.suffix.lower() not in (".mp4", ".mov", ".mkv"):
        raise InputError(args.out, "output must be an .mp4 (or .mov/.mkv) file")
    _warn_if_long(args.audio, args.preview)
    result = generate(args.audio, args.out, portrait=args.portrait, size=args.size, fps=args.fps, lips=args.lips,
                      transcript=args.transcript, pose=args.pose, blink_rate=args.blink_rate, seed=args.seed,
                      preview_seconds=args.preview, overwrite=args.overwrite,
                      emotion=_emotion_options(args), paste_back_full=args.paste_back)  # fmt: skip
    for note in result.notes:
        print(f"moodtalk: warning: {note}", file=sys.stderr)
    seconds = result.frames / args.fps
    print(f"wrote {result.video}: {result.frames} frames, {seconds:.1f} s of video in {result.seconds:.1f} s "
          f"({result.frames / result.seconds:.0f} fps, {seconds / result.seconds:.1f}x real time)")  # fmt: skip
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="moodtalk", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("version", help="print the version and the versions of the main components")
    for add, _ in _commands().values():
        add(sub)
    return parser


def _commands() -> dict:
    """Subcommand name → (add its parser, run it). Each stage or layer that owns a command keeps both
    functions in its own ``cli.py``; this table only wires them."""
    return {
        "analyze": (_add_analyze, _run_analyze),
        "animate": (_add_animate, _run_animate),
        "generate": (_add_generate, _run_generate),
        "eval": (add_eval_parser, run_eval_command),
        "prepare": (datasets_cli.add_parser, datasets_cli.run),
        "train": (train_cli.add_train_parser, train_cli.run_train),
        "models": (train_cli.add_models_parser, train_cli.run_models),
        "serve": (serve_cli.add_parser, serve_cli.run),
        "batch": (batch_cli.add_parser, batch_cli.run),
        "app": (app_cli.add_parser, app_cli.run),
    }


def _run_version() -> int:
    from importlib.metadata import version

    parts = [f"moodtalk {__version__}"]
    for dist in ("mediapipe", "torch", "numpy", "av", "pocketsphinx"):
        try:
            parts.append(f"{dist} {version(dist)}")
        except Exception:  # noqa: BLE001 - a missing component is reported, not fatal
            parts.append(f"{dist} missing")
    print(", ".join(parts))
    return 0


def _silence_native_logs() -> None:
    """Send C++ log lines (TFLite, absl: MediaPipe prints them from its threads straight to
    file descriptor 2) to /dev/null, while Python's own stderr (errors, warnings, progress
    bars) keeps writing to the terminal through a duplicate of the original descriptor."""
    sys.stderr.flush()
    original = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = os.fdopen(original, "w", buffering=1)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if argv is None:  # a real command line, not a test calling main() in-process
        _silence_native_logs()
    try:
        if args.command == "version":
            return _run_version()
        commands = _commands()
        if args.command in commands:
            return commands[args.command][1](args)
        parser.print_help()
        return 2
    except InputError as e:
        print(f"moodtalk: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("moodtalk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
