"""The pipelines behind the CLI and the Python API: each wires the stages in one short function."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moodtalk import export
from moodtalk.audio import recognize_phones, speech_features
from moodtalk.behaviour import BehaviourConfig, behaviour
from moodtalk.errors import InputError
from moodtalk.face import analyze_face
from moodtalk.geometry import matrix_to_euler
from moodtalk.motion import MotionConfig, speech_motion
from moodtalk.types import (
    BLENDSHAPE_NAMES,
    DEFAULT_FPS,
    EMOTIONS,
    AudioTrack,
    BlendshapeTrack,
    EmotionTrack,
    FaceAnalysis,
    Frames,
    LandmarkTrack,
    MotionTrack,
    PhoneTimeline,
    SpeechFeatures,
)
from moodtalk.video import VideoWriter, iter_frames, probe, read_audio


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
    export.write_atomic(files[0], lambda f: export.write_motion_csv(f, blend, table))
    export.write_atomic(files[1], lambda f: export.write_motion_json(f, blend, table, extra))
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


@dataclass(frozen=True)
class EmotionOptions:
    """How the user asked for emotion. At most one source; none = neutral."""

    emotion: str | None = None
    """Label ("happy", "happy:0.7"), keyframes ("neutral@0 happy:0.8@2.5") or a .csv curve file."""
    intensity: float | str = 1.0
    """0..1.5, or "auto" (frame-wise from the voice's prosody, scaled by ``intensity_scale``)."""
    intensity_scale: float = 1.0
    """Multiplier of the automatic intensity."""
    from_text: str | None = None
    """Text whose emotion to show (English lexicon classifier)."""
    from_audio: bool = False
    """Guess the emotion from the voice."""
    from_image: str | Path | None = None
    """Photo of a face whose expression to transfer (upper face and mouth corners)."""
    from_video: str | Path | None = None
    """Video of a face whose expression to transfer frame by frame."""

    @property
    def wanted(self) -> bool:
        return any((self.emotion, self.from_text, self.from_audio, self.from_image, self.from_video))


def emotion_for(options: EmotionOptions, features: SpeechFeatures, fps: float) -> tuple[EmotionTrack, list[str]]:
    """The EmotionTrack the user asked for, at the speech's frame count, and notes for the user."""
    from moodtalk.emotion import (
        constant_track,
        emotion_from_face,
        emotion_from_speech,
        emotion_from_text,
        emotion_track,
        intensity_from_speech,
        with_intensity,
    )

    n = len(features)
    notes: list[str] = []
    auto = isinstance(options.intensity, str)
    level = 1.0 if auto else float(options.intensity)
    curve = np.clip(intensity_from_speech(features) * options.intensity_scale, 0, 1.5) if auto else None
    if options.from_image is not None or options.from_video is not None:
        path = Path(options.from_image or options.from_video)
        face = _analyze_path(path, fps, 720, None, progress=True)
        track, _ = emotion_from_face(face.blendshapes.weights, fps)
        # A reference clip shorter than the speech loops; a photo is one frame held throughout.
        idx = np.arange(n) % len(track)
        track = EmotionTrack(track.weights[idx], np.clip(track.intensity[idx] * level, 0, 1.5), fps)
        top = EMOTIONS[int(np.argmax(track.weights.mean(0)))]
        notes.append(f"emotion from {path.name}: mostly {top}, mean intensity {track.intensity.mean():.2f}")
    elif options.from_text or options.from_audio:
        if options.from_text:
            probs, warning = emotion_from_text(options.from_text)
            if warning:
                notes.append(warning)
            source = "text"
        else:
            probs, arousal = emotion_from_speech(features)
            source = f"voice (arousal {arousal:.2f})"
        label = EMOTIONS[int(np.argmax(probs))]
        notes.append(f"emotion from {source}: {label} (p={probs.max():.2f})")
        track = constant_track(label, 0.0 if label == "neutral" else level, n, fps)
    else:
        track = emotion_track(options.emotion or "neutral", n, fps, level, duration=n / fps)
    if curve is not None:
        track = with_intensity(track, curve)
    return track, notes


@dataclass(frozen=True)
class SpeechMotion:
    """Motion made from speech, with what it was made from."""

    motion: MotionTrack
    """Blendshapes (mouth from speech; blinks, gaze, brows from behaviour) and head pose."""
    features: SpeechFeatures
    """Speech features at the motion's frame rate."""
    phones: PhoneTimeline | None
    """Recognised phones, when the phoneme path ran."""
    emotion: EmotionTrack | None = None
    """The emotion applied, if any."""
    notes: tuple[str, ...] = ()
    """Messages for the user (emotion guessed from text/audio, ...)."""


def speech_to_motion(
    audio: AudioTrack,
    fps: float = DEFAULT_FPS,
    lips: str = "auto",
    transcript: str | None = None,
    pose: str = "natural",
    reference_rotation: np.ndarray | None = None,
    blink_rate: float = 15.0,
    seed: int = 0,
    emotion: EmotionOptions | None = None,
) -> SpeechMotion:
    """Speech → talking motion: lips and jaw, head pose, blinks, gaze, and the asked emotion.

    Args:
        audio: mono speech.
        fps: motion frame rate.
        lips: mouth model, one of ``MotionConfig.path`` ("auto" picks the best available).
        transcript: optional text of the speech (English): phones are then force-aligned.
        pose: "still" or "natural".
        reference_rotation: (T', 3) yaw/pitch/roll degrees to copy instead of the stochastic head.
        blink_rate: blinks per minute.
        seed: random seed of the behaviour model.
        emotion: what emotion to show (neutral when None).

    Returns:
        SpeechMotion.
    """
    features = speech_features(audio, fps)
    phones = None
    if lips == "phonemes" or transcript:
        phones = recognize_phones(audio, transcript)
    mouth = speech_motion(features, phones, MotionConfig(path=lips))
    beh = behaviour(features, BehaviourConfig(pose=pose, blink_rate_per_min=blink_rate,
                                              reference_rotation=reference_rotation), seed=seed)  # fmt: skip
    # The two tracks own different shapes (mouth/jaw vs lids/gaze/brows); adding keeps both.
    weights = np.clip(mouth.weights + beh.blendshapes.weights, 0.0, 1.0)
    motion = MotionTrack(BlendshapeTrack(weights, mouth.names, fps), beh.head_rotation, beh.head_translation)
    track, notes = None, []
    if emotion is not None and emotion.wanted:
        from moodtalk.emotion import apply_emotion

        track, notes = emotion_for(emotion, features, fps)
        motion = apply_emotion(motion, track)
    return SpeechMotion(motion=motion, features=features, phones=phones, emotion=track, notes=tuple(notes))


def motion_pose_table(motion: MotionTrack) -> np.ndarray:
    """(T, 6) pose columns of generated motion: yaw/pitch/roll degrees relative to the portrait,
    x/y offset in eye distances, scale relative to the portrait (1 = unchanged)."""
    t = motion.head_translation
    return np.column_stack([motion.head_rotation, t[:, 0], t[:, 1], np.ones(len(t))])


def reference_head_rotation(video: Path, fps: float) -> np.ndarray:
    """(T, 3) head yaw/pitch/roll of a real video, relative to its median pose."""
    analysis = _analyze_path(video, fps, 720, None, progress=True)
    euler = matrix_to_euler(analysis.pose.rotation)
    return (euler - np.median(euler, axis=0)).astype(np.float32)


def animate(
    audio_path: str | Path,
    out_dir: str | Path,
    fps: float = DEFAULT_FPS,
    lips: str = "auto",
    transcript: str | None = None,
    pose: str = "natural",
    pose_from: str | Path | None = None,
    blink_rate: float = 15.0,
    seed: int = 0,
    csv_format: str = "moodtalk",
    plot: bool = False,
    emotion: EmotionOptions | None = None,
) -> tuple[SpeechMotion, tuple[Path, ...]]:
    """Speech file → motion files (CSV in moodtalk or Live Link Face layout, JSON, optional PNG).

    Raises:
        InputError: unreadable audio, no audio stream, empty audio, unwritable output.
    """
    audio_path = Path(audio_path)
    audio = read_audio(audio_path, 16000)
    if audio.samples.size == 0:
        raise InputError(audio_path, "audio is empty")
    out_dir = prepare_out_dir(Path(out_dir))
    reference = reference_head_rotation(Path(pose_from), fps) if pose_from is not None else None
    result = speech_to_motion(audio, fps, lips, transcript, pose, reference, blink_rate, seed, emotion)
    motion = result.motion
    table = motion_pose_table(motion)
    stem = audio_path.stem
    files = [out_dir / f"{stem}.csv", out_dir / f"{stem}.json"]
    write_csv = export.write_live_link_face_csv if csv_format == "livelinkface" else export.write_motion_csv
    export.write_atomic(files[0], lambda f: write_csv(f, motion.blendshapes, table))
    extra = {
        "source": str(audio_path),
        "pose_note": "head pose relative to the portrait: degrees, and x/y offsets in eye distances",
        "speech": result.features.speech.astype(int).tolist(),
        "phones": [(p.phone, round(p.start, 3), round(p.end, 3)) for p in result.phones.segments]
        if result.phones
        else None,
        "emotions": list(EMOTIONS),
        "emotion_weights": np.round(result.emotion.weights, 3).tolist() if result.emotion else None,
        "emotion_intensity": np.round(result.emotion.intensity, 3).tolist() if result.emotion else None,
    }
    export.write_atomic(files[1], lambda f: export.write_motion_json(f, motion.blendshapes, table, extra))
    if plot:
        files.append(out_dir / f"{stem}.png")
        png = export.motion_png(motion.blendshapes, table, f"{audio_path.name}: motion from speech", audio.samples,
                                audio.sample_rate, result.emotion)  # fmt: skip
        export.write_atomic(files[2], png)
    return result, tuple(files)


__all__ = ["AnalyzeResult", "SpeechMotion", "analyze", "animate", "pose_table", "speech_to_motion"]


DEFAULT_PORTRAIT = "astronaut"
"""The portrait used when none is given: NASA's photo of astronaut Eileen Collins (public domain,
NASA image S94-34193), shipped inside scikit-image as ``skimage.data.astronaut()``."""
MAX_PORTRAIT_SIDE = 2048
"""Larger portraits are downscaled to this before tracking."""
MIN_FACE_EYE_DISTANCE = 24
"""Faces with a smaller eye distance in pixels are too small to track reliably."""
CHUNK_FRAMES = 64
"""Frames rendered and encoded per step: bounded memory."""
FIRST_CHUNK_FRAMES = 1
"""Frames of the first step, small so the first frame is out early."""
FIRST_BLOCK_S = 4.0
"""Seconds of motion made from the start of the audio alone, so the first frame never waits for the
whole file's reading and analysis (both grow with its length); the join to the whole file's motion
lies in this block's second half."""
BLOCK_MARGIN_S = 4.0
"""Audio analysed past the first block, so that its frames see the same context as in the whole file:
half of voice activity's 8 s noise-floor window (``FeatureConfig.noise_window_s``); with 2 s, a clip's
voice activity near the block end differed and its mouth curve correlated only 0.62 with the whole's."""
JOIN_FADE_S = 0.24
"""Crossfade of the blendshape weights from the first block's motion to the whole file's. Their mouths
are near-identical (same audio, only the normalisation statistics differ); their gaze differs, and a
short fade turns that into a saccade-like shift."""
JOIN_POSE_FADE_S = 1.6
"""Crossfade of the head pose. The two heads are different (both natural) random trajectories, often
5 degrees apart: over 1.6 s that adds at most about 0.2 degrees per frame, a slow drift."""
JOIN_SEARCH_S = 1.0
"""The join may start anywhere in this many seconds; it must end (pose fade included) in the first block."""
JOIN_BLINK_COST = 10.0
"""Cost of a blink (weight 1) inside the weight crossfade, in degrees of head difference: a blink in
one track only would come out as a half blink, so the join avoids blinks."""


def join_motion(first: MotionTrack, full: MotionTrack, earliest: int, latest: int, fade: int, pose_fade: int
                ) -> MotionTrack:  # fmt: skip
    """Motion that is ``first`` up to a join frame J and ``full`` after it, crossfaded from J on.

    J is chosen in [earliest, latest] where the two heads are closest and neither track blinks, so the
    crossfade neither turns the head visibly nor leaves half a blink.

    Args:
        first: motion of the first block (at least ``latest + pose_fade`` frames; later frames are unused).
        full: motion of the whole file, T frames (T ≥ ``latest + pose_fade``).
        earliest, latest: range of J.
        fade: crossfade frames of the blendshape weights (1 ≤ fade ≤ pose_fade).
        pose_fade: crossfade frames of the head rotation and translation.

    Returns:
        MotionTrack of T frames at ``full``'s rate.
    """
    a, b = first.blendshapes.weights, full.blendshapes.weights
    blink = [BLENDSHAPE_NAMES.index(n) for n in ("eyeBlinkLeft", "eyeBlinkRight")]
    starts = np.arange(earliest, latest + 1)
    pose_window = starts[:, None] + np.arange(pose_fade)
    head_gap = np.linalg.norm(first.head_rotation[pose_window] - full.head_rotation[pose_window], axis=-1).mean(1)
    window = starts[:, None] + np.arange(fade)
    blinking = np.maximum(a[window][..., blink], b[window][..., blink]).max(axis=(1, 2))
    j = int(starts[np.argmin(head_gap + JOIN_BLINK_COST * blinking)])

    def mix(x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
        """``x`` before J, ``y`` after J + n, a raised cosine between (no step in value or slope)."""
        w = (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)).reshape((-1,) + (1,) * (y.ndim - 1))
        out = y.copy()
        out[:j] = x[:j]
        out[j : j + n] = (1 - w) * x[j : j + n] + w * y[j : j + n]
        return out

    weights = BlendshapeTrack(mix(a, b, fade), full.blendshapes.names, full.blendshapes.fps)
    return MotionTrack(weights, mix(first.head_rotation, full.head_rotation, pose_fade),
                       mix(first.head_translation, full.head_translation, pose_fade))  # fmt: skip


def _streams(lips: str, transcript: str | None, emotion: EmotionOptions | None) -> bool:
    """Whether the first block's motion can stand for the start of the whole file's: not when the
    motion needs the whole recording (phone alignment of a transcript, emotion guessed from the
    voice, keyframes checked against its length) or another file's analysis (a reference face)."""
    if lips == "phonemes" or transcript:
        return False
    if emotion is None:
        return True
    whole = emotion.from_audio or emotion.from_image is not None or emotion.from_video is not None
    spec = str(emotion.emotion or "").strip()
    keyframes = "@" in spec or spec.lower().endswith(".csv")
    return not (whole or keyframes)


@dataclass(frozen=True)
class PortraitRig:
    """A portrait prepared for animation."""

    image: np.ndarray
    """(S, S, 3) uint8 the face crop the video is rendered in."""
    face: FaceAnalysis
    """The crop's face: landmarks, pose, neutral identity and its own expression weights."""
    notes: tuple[str, ...]
    """Warnings for the user (several faces, upscaled tiny face, ...)."""
    photo: np.ndarray
    """(H, W, 3) uint8 the whole photo (as loaded, at most ``MAX_PORTRAIT_SIDE``)."""
    crop_affine: np.ndarray
    """(2, 3) map from photo pixels to crop pixels."""


PASTE_FEATHER = 0.06
"""Width of the soft border, as a fraction of the crop side, where a pasted-back crop blends into the photo."""


def paste_back(frames: np.ndarray, rig: PortraitRig) -> np.ndarray:
    """(n, S, S, 3) rendered crops → (n, H, W, 3) the whole photo with each crop blended in place."""
    import cv2

    height, width = rig.photo.shape[:2]
    size = frames.shape[1]
    inverse = cv2.invertAffineTransform(rig.crop_affine)
    edge = max(1, int(PASTE_FEATHER * size))
    mask = np.zeros((size, size), np.float32)
    mask[edge:-edge, edge:-edge] = 1.0
    mask = cv2.GaussianBlur(mask, (0, 0), edge / 2)
    alpha = cv2.warpAffine(mask, inverse, (width, height), flags=cv2.INTER_LINEAR)[..., None]
    out = np.empty((len(frames), height, width, 3), np.uint8)
    for i, frame in enumerate(frames):
        placed = cv2.warpAffine(frame, inverse, (width, height), flags=cv2.INTER_LINEAR)
        out[i] = (alpha * placed + (1 - alpha) * rig.photo).astype(np.uint8)
    return out


def load_portrait(portrait: str | Path | None) -> tuple[np.ndarray, str]:
    """(H, W, 3) uint8 RGB portrait (first frame of a video) and its display name."""
    if portrait is None or str(portrait) == DEFAULT_PORTRAIT:
        from skimage import data

        return data.astronaut(), "astronaut (NASA, public domain)"
    path = Path(portrait)
    info = probe(path)
    if not info.has_video:
        raise InputError(path, "has no image or video stream (give a photo of a face)")
    first = next(iter_frames(path, fps=None, chunk=1, max_size=MAX_PORTRAIT_SIDE))
    return first.images[0], path.name


def prepare_portrait(image: np.ndarray, size: int, name: str, warn_small: bool = True) -> PortraitRig:
    """Find the largest face, crop a square around it at ``size`` and measure it there."""
    from moodtalk.geometry.crop import face_crop
    from moodtalk.geometry.landmarks import interocular

    found = analyze_face([Frames(image[None], DEFAULT_FPS)], static=True, source=name)
    notes = list(found.notes)
    iod = float(interocular(found.landmarks.points[0]))
    if iod < MIN_FACE_EYE_DISTANCE:
        raise InputError(name, f"the face is too small to animate ({iod:.0f} px between the eyes; need "
                               f"{MIN_FACE_EYE_DISTANCE}); use a larger photo")  # fmt: skip
    affine = face_crop(found.landmarks.points[0], size, found.landmarks.image_size)
    if warn_small and affine[0, 0] > 1.5:
        notes.append(f"the face is small ({iod:.0f} px between the eyes): upscaled {affine[0, 0]:.1f}x, "
                     "expect a soft picture")  # fmt: skip
    import cv2

    from moodtalk.face import solve_landmarks
    from moodtalk.geometry.crop import apply_affine

    interp = cv2.INTER_AREA if affine[0, 0] < 1 else cv2.INTER_CUBIC
    crop = cv2.warpAffine(image, affine, (size, size), flags=interp, borderMode=cv2.BORDER_REPLICATE)
    # The crop is a scale and shift of the photo: map the landmarks instead of tracking again.
    points = apply_affine(found.landmarks.points, affine).astype(np.float32)
    track = LandmarkTrack(points=points, valid=found.landmarks.valid, image_size=(size, size), fps=DEFAULT_FPS)
    face = solve_landmarks(track, source=name)
    return PortraitRig(image=crop, face=face, notes=tuple(notes), photo=image, crop_affine=affine)


def target_landmarks(rig: PortraitRig, motion: MotionTrack, start: int, stop: int) -> np.ndarray:
    """(n, 478, 3) pixel landmarks of frames [start, stop) of the motion on the portrait (see
    :func:`moodtalk.face.retarget`: the portrait's own expression is replaced, not added to)."""
    from moodtalk.face import retarget

    return retarget(rig.face, motion.blendshapes.weights[start:stop], motion.head_rotation[start:stop],
                    motion.head_translation[start:stop])  # fmt: skip


def neutral_landmarks(rig: PortraitRig) -> np.ndarray:
    """(478, 3) pixel landmarks of the portrait's person with a neutral face (all-zero weights, the photo's
    head pose): the reference of the renderer's expression shading."""
    from moodtalk.face import retarget
    from moodtalk.types import BLENDSHAPE_NAMES

    return retarget(rig.face, np.zeros((1, len(BLENDSHAPE_NAMES)), np.float32))[0]


@dataclass(frozen=True)
class GenerateResult:
    """What ``generate`` made."""

    video: Path
    """The mp4 written."""
    motion: MotionTrack
    """The motion that drove it."""
    frames: int
    """Frames rendered."""
    seconds: float
    """Wall-clock time of the whole run."""
    first_frame_seconds: float
    """Wall-clock time until the first frame was encoded."""
    notes: tuple[str, ...]
    """Warnings given."""


def generate(
    audio: str | Path,
    out: str | Path,
    portrait: str | Path | None = None,
    size: int = 512,
    fps: float = DEFAULT_FPS,
    lips: str = "auto",
    transcript: str | None = None,
    pose: str = "natural",
    blink_rate: float = 15.0,
    seed: int = 0,
    preview_seconds: float | None = None,
    overwrite: bool = False,
    progress: bool = True,
    emotion: EmotionOptions | None = None,
    paste_back_full: bool = False,
) -> GenerateResult:
    """Speech + portrait → talking-head mp4 (H.264 + AAC, audio muxed from time 0).

    Streaming: the first frames are made from the first ``FIRST_BLOCK_S`` seconds of audio alone (read
    and analysed with a margin beside the portrait's face tracking), so the first frame is out after the
    same time for any audio length; the whole file is read and analysed while they render, and its
    motion takes over with a crossfade (:func:`join_motion`). Not when the motion needs the whole
    recording first: a transcript, ``lips="phonemes"``, emotion keyframes or curves, emotion from the
    voice or from a reference face.

    Args:
        audio: speech file (or a video with sound).
        out: the mp4 to write.
        portrait: photo (or video: its first frame) of a face; the packaged astronaut portrait when None.
        size: side of the square output in pixels (256, 512 or 1024).
        fps: output frame rate.
        lips, transcript, pose, blink_rate, seed, emotion: see :func:`speech_to_motion`.
        preview_seconds: render only the first seconds (fast look).
        paste_back_full: write the whole photo with the animated crop blended back in place,
            instead of the square crop (the video then has the photo's size).
        overwrite: replace an existing ``out``.
        progress: show a progress bar on a terminal.

    Returns:
        GenerateResult.

    Raises:
        InputError: bad audio or portrait, no face, existing or unwritable output.
    """
    import time
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    from moodtalk.render import prepare, render

    started = time.perf_counter()
    out = Path(out)
    if out.exists() and not overwrite:
        raise InputError(out, "already exists (use --overwrite to replace it)")
    if not out.parent.is_dir():
        raise InputError(out, "output folder does not exist")
    if not os.access(out.parent, os.W_OK):
        raise InputError(out, "output folder is not writable")
    block = round(FIRST_BLOCK_S * fps)
    fade, pose_fade = max(1, round(JOIN_FADE_S * fps)), max(1, round(JOIN_POSE_FADE_S * fps))
    latest = block - pose_fade
    earliest = latest - round(JOIN_SEARCH_S * fps)
    head_seconds = FIRST_BLOCK_S + BLOCK_MARGIN_S
    head = read_audio(audio, 16000, max_seconds=head_seconds) if _streams(lips, transcript, emotion) else None
    if head is not None and head.samples.size == 0:
        raise InputError(audio, "audio is empty")
    # Streaming pays off only when the audio (or the preview) is longer than the first block.
    long_enough = preview_seconds is None or preview_seconds > head_seconds
    streaming = head is not None and head.duration >= head_seconds and long_enough
    motion_args = (fps, lips, transcript, pose, None, blink_rate, seed, emotion)

    def read_whole() -> AudioTrack:
        # A preview decodes only its own seconds, not the whole (possibly hour-long) file.
        track = read_audio(Path(audio), 16000, max_seconds=preview_seconds)
        if track.samples.size == 0:
            raise InputError(audio, "audio is empty")
        if preview_seconds is None:
            return track
        return AudioTrack(track.samples[: int(preview_seconds * track.sample_rate)], track.sample_rate)

    def analyse_whole() -> tuple[AudioTrack, SpeechMotion]:
        track = read_whole()
        return track, speech_to_motion(track, *motion_args)

    with ThreadPoolExecutor(1) as helper:
        # Speech analysis and the portrait's face tracking are independent: run them side by side
        # (both spend their time in native code), so the first frame comes sooner. When streaming,
        # that is only the first block's analysis; the whole file's follows while the block renders.
        if streaming:
            job = helper.submit(speech_to_motion, head, *motion_args)
        else:
            track = read_whole()
            job = helper.submit(speech_to_motion, track, *motion_args)
        image, name = load_portrait(portrait)
        # The packaged portrait is small (512 px); warning about it would only be noise.
        rig = prepare_portrait(image, size, name, warn_small=portrait is not None)
        render_rig = prepare(rig.image, rig.face.landmarks.points[0], neutral=neutral_landmarks(rig))
        made = job.result()
        bar = tqdm(total=None, desc="rendering", unit="frame", disable=None if progress else True, leave=False)
        first_frame = None
        frame_size = (rig.photo.shape[1], rig.photo.shape[0]) if paste_back_full else (size, size)
        # The audio is handed over once the whole file is read (seconds for long files, after the first frames).
        silent = AudioTrack(np.zeros(0, np.float32), 16000)
        with VideoWriter(out, frame_size, fps, audio=silent) as writer, ThreadPoolExecutor(1) as encoder:
            pending = None  # the encoder (x264 releases the GIL) works on one chunk while the next renders

            def emit(motion: MotionTrack, start: int, stop: int) -> None:
                """Render and encode frames [start, stop) of ``motion``, in chunks."""
                nonlocal pending, first_frame
                while start < stop:
                    # A short first chunk puts the first frame out early; later chunks are larger for throughput.
                    end = min(stop, start + (FIRST_CHUNK_FRAMES if first_frame is None else CHUNK_FRAMES))
                    frames = render(render_rig, target_landmarks(rig, motion, start, end))
                    if paste_back_full:
                        frames = paste_back(frames, rig)
                    if pending is not None:
                        pending.result()
                    pending = encoder.submit(writer.write, frames)
                    if first_frame is None:
                        pending.result()
                        first_frame = time.perf_counter() - started
                    bar.update(end - start)
                    start = end

            if streaming:
                emit(made.motion, 0, FIRST_CHUNK_FRAMES)
                job = helper.submit(analyse_whole)  # only now, so that nothing competes with the first frame
                emit(made.motion, FIRST_CHUNK_FRAMES, earliest)  # frames before any possible join
                track, whole = job.result()
                motion = join_motion(made.motion, whole.motion, earliest, latest, fade, pose_fade)
                made = whole
            else:
                motion, earliest = made.motion, 0
            writer.set_audio(track)
            bar.total = len(motion)
            emit(motion, earliest, len(motion))
            if pending is not None:
                pending.result()
    bar.close()
    return GenerateResult(video=out, motion=motion, frames=len(motion), seconds=time.perf_counter() - started,
                          first_frame_seconds=first_frame or 0.0, notes=rig.notes + made.notes)  # fmt: skip
