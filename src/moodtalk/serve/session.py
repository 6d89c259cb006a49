"""One streaming avatar: PCM16 audio chunks in, JPEG frames with presentation times out, at 25 fps.

The incremental path reuses the pipeline's stages frame block by frame block:

1. audio chunks are *placed* on a timeline (sample 0 = the first sample received). Queued audio is
   placed at the wall clock's pace, a little ahead of it; when the queue runs dry the timeline is
   filled with silence, so frames (idle ones) keep coming at 25 fps.
2. a frame is made once the timeline holds its audio plus ``lookahead_frames`` more: speech features
   and the learned mouth (``speech_features`` + ``speech_motion``) are computed on a window of the last
   ``context_s`` seconds, and only the new frames' rows are kept.
3. head pose, blinks and gaze come from two behaviour tracks made once per session by the behaviour
   stage (a talking one and an idle one, played ping-pong), cross-faded by whether the voice is active;
   breathing is a slow vertical sway on top.
4. the emotion (changed at any time, with a raised-cosine transition) is laid over with
   ``apply_emotion``; frames are rendered with the portrait's render rig and JPEG-encoded.

``Session`` holds no thread or file: the server calls :meth:`Session.advance` from its worker pool.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from moodtalk.audio import speech_features
from moodtalk.behaviour import BehaviourConfig, behaviour
from moodtalk.emotion import apply_emotion, normalize_emotion
from moodtalk.emotion.track import MAX_INTENSITY
from moodtalk.errors import InputError
from moodtalk.motion import MotionConfig, speech_motion
from moodtalk.pipeline import PortraitRig, target_landmarks
from moodtalk.render import RenderRig, render
from moodtalk.types import (
    BLENDSHAPE_NAMES,
    EMOTIONS,
    AudioTrack,
    BlendshapeTrack,
    EmotionTrack,
    MotionTrack,
    SpeechFeatures,
)

FPS = 25
"""Output frame rate (the pipeline's); every supported sample rate is a multiple of it."""
SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)
"""Accepted PCM rates. Audio stays at its own rate: ``speech_features`` resamples its analysis itself."""
EYE_SHAPES = tuple(n for n in BLENDSHAPE_NAMES if n.startswith(("eyeBlink", "eyeLook", "brow")))
"""Shapes the behaviour tracks own (lids, gaze, brow raises)."""
BREATH_HZ = 0.25
"""Breathing rate of the idle sway (15 breaths a minute)."""
BREATH_IOD = 0.012
"""Vertical head sway of a breath, eye distances (about 1 px at 256 px)."""
JAW = BLENDSHAPE_NAMES.index("jawOpen")


@dataclass(frozen=True)
class SessionConfig:
    """How one stream is made; the defaults meet the latency targets in ``benchmarks/bm_serve.py``."""

    sample_rate: int = 24000
    """Rate of the client's PCM16 mono little-endian audio (one of ``SAMPLE_RATES``)."""
    lookahead_frames: int = 1
    """Frames of audio after a frame that its mouth sees before it is made. 1 = 40 ms: the mouth opening
    correlates 0.82 with the whole-file one (0 frames: 0.73 and one frame late; 2: 0.85 but frames would
    come 120+ ms after their audio)."""
    context_s: float = 2.0
    """Seconds of past audio each block's speech features and mouth are computed on (per-utterance
    normalisation and voice activity need some history; 4 s gains 0.04 correlation at twice the CPU)."""
    jitter_s: float = 0.08
    """A queue that runs dry is given this long before silence is inserted (late network chunks)."""
    lead_frames: int = 2
    """Queued audio is placed at most this many frames beyond ``lookahead_frames`` ahead of the clock:
    frames come at real-time pace whatever pace audio arrives at, and an interrupt has little to undo."""
    max_queued_s: float = 120.0
    """Audio queued ahead of the clock beyond this is refused (bounded memory per session)."""
    max_behind_s: float = 0.5
    """Frames further than this behind the clock (a stalled client or CPU) are skipped, not rendered."""
    max_block_frames: int = 12
    """Frames made in one step at most (bounded time per step)."""
    transition_s: float = 0.5
    """Duration of the raised-cosine transition to a new emotion."""
    jpeg_quality: int = 85
    """JPEG quality of the frames."""
    seed: int = 0
    """Seed of the behaviour tracks (head motion, blinks)."""
    loop_s: float = 60.0
    """Length of the behaviour tracks; they play forwards then backwards (no jump)."""


@dataclass(frozen=True)
class StreamFrame:
    """One frame of the stream."""

    pts_us: int
    """Presentation time in microseconds on the audio timeline (0 = the first sample received)."""
    jpeg: bytes
    """The frame, JPEG."""
    speech: bool
    """Whether the voice was active at this frame (the mouth is closed when not)."""
    jaw_open: float
    """jawOpen weight of the frame (for measurements)."""

    def message(self) -> bytes:
        """The wire form: 8-byte little-endian unsigned pts in microseconds, then the JPEG bytes."""
        return int(self.pts_us).to_bytes(8, "little") + self.jpeg


@dataclass(frozen=True)
class StreamPortrait:
    """A portrait prepared once for any number of sessions (read-only, shared between them)."""

    rig: PortraitRig
    """The face crop and its analysis."""
    render_rig: RenderRig
    """The renderer's per-portrait data."""
    name: str
    """Display name."""


def prepare_stream_portrait(image: np.ndarray, size: int, name: str) -> StreamPortrait:
    """Find the face of ``image`` (H, W, 3) uint8 RGB and prepare it for streaming at ``size`` px.

    Raises:
        InputError: no face, or a face too small to animate.
    """
    from moodtalk.pipeline import neutral_landmarks, prepare_portrait
    from moodtalk.render import prepare

    rig = prepare_portrait(image, size, name, warn_small=False)
    render_rig = prepare(rig.image, rig.face.landmarks.points[0], neutral=neutral_landmarks(rig))
    return StreamPortrait(rig=rig, render_rig=render_rig, name=name)


def _constant_features(n: int, speaking: bool) -> SpeechFeatures:
    """Features of ``n`` frames of steady speech (or silence): drives the behaviour stage's talking (idle) mode."""
    from moodtalk.audio import SPECTRAL_NAMES

    level = -20.0 if speaking else -90.0
    return SpeechFeatures(
        mel=np.full((n, 80), level, np.float32), rms=np.full(n, level, np.float32),
        f0=np.full(n, 150.0 if speaking else np.nan, np.float32), voiced=np.full(n, speaking),
        speech=np.full(n, speaking), spectral=np.zeros((n, len(SPECTRAL_NAMES)), np.float32),
        spectral_names=SPECTRAL_NAMES, fps=float(FPS),
    )  # fmt: skip


def _ping_pong(k: np.ndarray, n: int) -> np.ndarray:
    """Indices 0, 1, ..., n-1, n-2, ..., 1, 0, 1, ... of frames ``k`` in a track of ``n``."""
    period = max(1, 2 * n - 2)
    i = np.asarray(k) % period
    return np.where(i < n, i, period - i)


class Session:
    """A streaming avatar: feed audio and control messages, call :meth:`advance` to get due frames.

    Thread-safe: audio and control calls may come from one thread while another calls ``advance``.

    Args:
        portrait: from :func:`prepare_stream_portrait` (shared between sessions).
        emotion: starting emotion (a MEAD name or synonym).
        intensity: 0..1.5.
        config: stream settings (sample rate, latency, limits).
        clock: seconds, monotonic (injectable for tests).

    Raises:
        InputError: unknown emotion, intensity out of range, unsupported sample rate.
    """

    def __init__(
        self,
        portrait: StreamPortrait,
        emotion: str = "neutral",
        intensity: float = 1.0,
        config: SessionConfig = SessionConfig(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        Session.check(config, emotion, intensity)
        self.portrait = portrait
        self.config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._spf = config.sample_rate // FPS  # samples per frame
        self._queue: deque[np.ndarray] = deque()
        self._queued = 0  # samples in the queue
        self._audio = np.zeros(0, np.float32)  # placed samples from _audio_start on
        self._audio_start = 0
        self._placed = 0  # samples placed on the timeline (audio or inserted silence)
        self._origin: float | None = None  # clock time of timeline sample 0
        self._next = 0  # next frame to make
        self._ended = False
        self._utterances: list[int] = []  # pts_us where audio resumed after inserted silence (unreported)
        self._after_silence = True
        self.frames_made = 0
        self.frames_skipped = 0
        weights, level = self._target(emotion, intensity)
        self._emotion_from = self._emotion_to = (weights, level)
        self._emotion_frame = 0
        self._tracks = self._behaviour_tracks()
        self._idle_weight = 1.0

    @staticmethod
    def check(config: SessionConfig, emotion: str, intensity: float) -> None:
        """Validate a session's settings without making one (cheap: before a portrait is prepared).

        Raises:
            InputError: unsupported sample rate, unknown emotion, intensity outside [0, 1.5].
        """
        if config.sample_rate not in SAMPLE_RATES:
            raise InputError(None, f"sample_rate {config.sample_rate} is not supported (use one of "
                                   f"{', '.join(map(str, SAMPLE_RATES))})")  # fmt: skip
        Session._target(emotion, intensity)

    @property
    def emotion(self) -> str:
        """The emotion shown (or being transitioned to)."""
        return EMOTIONS[int(np.argmax(self._emotion_to[0]))]

    # -- inputs -----------------------------------------------------------------------------------------------

    def push_audio(self, pcm: bytes) -> None:
        """Queue a chunk of PCM16 mono little-endian audio (any length, any pace).

        Raises:
            InputError: odd byte count, the session has ended, or the queue is over ``max_queued_s``.
        """
        if len(pcm) % 2:
            raise InputError(None, f"audio chunk has {len(pcm)} bytes: PCM16 needs an even number")
        samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
        with self._lock:
            if self._ended:
                raise InputError(None, "the stream has ended; no more audio is accepted")
            if (self._queued + samples.size) / self.config.sample_rate > self.config.max_queued_s:
                raise InputError(None, f"more than {self.config.max_queued_s:g} s of audio queued ahead of "
                                       "playback; chunk dropped (send at real-time pace)")  # fmt: skip
            if self._origin is None:
                self._origin = self._clock()
            if samples.size:
                self._queue.append(samples)
                self._queued += samples.size

    def set_emotion(self, emotion: str, intensity: float | None = None) -> None:
        """Change the emotion from the next frame on, with a ``transition_s`` raised-cosine transition.

        Raises:
            InputError: unknown emotion or intensity outside [0, 1.5].
        """
        with self._lock:
            level = self._emotion_to[1] if intensity is None else intensity
            target = self._target(emotion, level)
            self._emotion_from = self._emotion_at(np.array([self._next]))
            self._emotion_from = (self._emotion_from[0][0], float(self._emotion_from[1][0]))
            self._emotion_to = target
            self._emotion_frame = self._next

    def interrupt(self) -> int:
        """Drop the queued audio and the placed audio not yet shown: the face returns to idle.

        Returns:
            pts_us from which the frames are made from silence.
        """
        with self._lock:
            self._queue.clear()
            self._queued = 0
            keep = self._next * self._spf  # frames not made yet hear silence
            if self._placed > keep:
                cut = keep - self._audio_start
                self._audio[cut:] = 0.0
            return self._pts(self._next)

    def end(self) -> None:
        """No more audio: the queued audio is still played, then :attr:`finished` turns true."""
        with self._lock:
            self._ended = True

    @property
    def finished(self) -> bool:
        """True after :meth:`end` once every queued sample has been shown."""
        with self._lock:
            return self._ended and not self._queue and self._next * self._spf >= self._placed

    @property
    def started(self) -> bool:
        """Whether any audio has arrived (the timeline starts with it)."""
        return self._origin is not None

    def take_utterances(self) -> list[int]:
        """pts_us of each point where audio started after silence (first audio included), since the last call."""
        with self._lock:
            out, self._utterances = self._utterances, []
            return out

    # -- output -----------------------------------------------------------------------------------------------

    def advance(self) -> list[StreamFrame]:
        """Place due audio and make every frame whose audio (and lookahead) is on the timeline.

        Returns:
            New frames in pts order (empty before the first audio and between frame times).
        """
        with self._lock:
            if self._origin is None:
                return []
            now = self._clock() - self._origin
            self._place(now)
            self._skip_stale(now)
            first = self._next
            last = min(self._placed // self._spf - self.config.lookahead_frames, first + self.config.max_block_frames)
            if self._ended and not self._queue:
                last = min(-(-self._placed // self._spf), first + self.config.max_block_frames)
            if last <= first:
                return []
            self._next = last
            window, w0 = self._window(first, last)
            emotion = self._emotion_at(np.arange(first, last))
            self._trim(first)
        return self._make(first, last, window, w0, emotion)

    # -- internals --------------------------------------------------------------------------------------------

    def _pts(self, frame: int) -> int:
        return round(frame * 1_000_000 / FPS)

    @staticmethod
    def _target(emotion: str, intensity: float) -> tuple[np.ndarray, float]:
        if not isinstance(emotion, str):
            raise InputError(None, f"emotion must be a name, got {emotion!r}")
        if isinstance(intensity, bool) or not isinstance(intensity, int | float):
            raise InputError(None, f"intensity must be a number in [0, {MAX_INTENSITY:g}], got {intensity!r}")
        name = normalize_emotion(emotion)
        level = float(intensity)
        if not np.isfinite(level) or not 0.0 <= level <= MAX_INTENSITY:
            raise InputError(None, f"intensity {level:g} is outside [0, {MAX_INTENSITY:g}]")
        weights = np.zeros(len(EMOTIONS))
        weights[EMOTIONS.index(name)] = 1.0
        return weights, level

    def _emotion_at(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, 8) weights and (n,) intensity at ``frames``: the transition from the last change on."""
        span = max(1.0, self.config.transition_s * FPS)
        s = np.clip((frames - self._emotion_frame) / span, 0.0, 1.0)
        s = (0.5 - 0.5 * np.cos(np.pi * s))[:, None]
        (w0, i0), (w1, i1) = self._emotion_from, self._emotion_to
        return (1 - s) * w0 + s * w1, ((1 - s) * i0 + s * i1)[:, 0]

    def _behaviour_tracks(self) -> tuple[MotionTrack, MotionTrack]:
        """(talking, idle) behaviour of ``loop_s`` seconds from the behaviour stage."""
        n = int(self.config.loop_s * FPS)
        out = []
        for speaking in (True, False):
            b = behaviour(_constant_features(n, speaking), BehaviourConfig(), seed=self.config.seed)
            out.append(MotionTrack(b.blendshapes, b.head_rotation, b.head_translation))
        return out[0], out[1]

    def _place(self, now: float) -> None:
        """Move queued audio onto the timeline up to a little ahead of ``now``; fill silence when it runs dry."""
        rate = self.config.sample_rate
        ahead = (self.config.lookahead_frames + self.config.lead_frames) * self._spf
        limit = int(now * rate) + ahead
        parts = []
        while self._queue and self._placed < limit:
            chunk = self._queue[0]
            take = min(chunk.size, limit - self._placed)
            if self._after_silence:
                self._utterances.append(round(self._placed * 1_000_000 / rate))
                self._after_silence = False
            parts.append(chunk[:take])
            self._placed += take
            self._queued -= take
            if take == chunk.size:
                self._queue.popleft()
            else:
                self._queue[0] = chunk[take:]
        silence_to = int((now - self.config.jitter_s) * rate)
        if not self._queue and self._placed < silence_to and not self._ended:
            parts.append(np.zeros(silence_to - self._placed, np.float32))
            self._placed = silence_to
            self._after_silence = True
        if parts:
            self._audio = np.concatenate([self._audio, *parts])

    def _skip_stale(self, now: float) -> None:
        """Frames far behind the clock (stalled client or CPU) are dropped so the stream catches up."""
        due = int((now - self.config.max_behind_s) * FPS)
        ready = self._placed // self._spf - self.config.lookahead_frames
        skip_to = min(due, ready)
        if skip_to > self._next:
            self.frames_skipped += skip_to - self._next
            self._next = skip_to

    def _window(self, first: int, last: int) -> tuple[np.ndarray, int]:
        """Samples of the analysis window of frames [first, last) and the window's first frame."""
        context = int(self.config.context_s * FPS)
        w0 = max(first - context, self._audio_start // self._spf)
        end = min((last + self.config.lookahead_frames) * self._spf, self._placed)
        a = self._audio[w0 * self._spf - self._audio_start : end - self._audio_start]
        # The last frame may be partial at the end of a stream: pad it to whole frames with silence.
        padded = np.zeros((-(-a.size // self._spf)) * self._spf, np.float32)
        padded[: a.size] = a
        return padded, w0

    def _trim(self, first: int) -> None:
        """Forget audio older than the next window needs (bounded memory)."""
        keep_from = max(0, (first - int(self.config.context_s * FPS) - 1) * self._spf)
        if keep_from > self._audio_start:
            self._audio = self._audio[keep_from - self._audio_start :]
            self._audio_start = keep_from

    def _make(self, first: int, last: int, window: np.ndarray, w0: int,
              emotion: tuple[np.ndarray, np.ndarray]) -> list[StreamFrame]:  # fmt: skip
        """Frames [first, last): mouth from the window's speech, behaviour, emotion, render, JPEG."""
        n = last - first
        rows = slice(first - w0, last - w0)
        features = speech_features(AudioTrack(window, self.config.sample_rate), float(FPS))
        mouth = speech_motion(features, None, MotionConfig(path="learned")).weights[rows]
        speaking = features.speech[rows]
        talk, idle = self._tracks
        k = _ping_pong(np.arange(first, last), len(talk))
        # Idle weight follows the voice causally: a cosine-like ramp, not a step, between the two head tracks.
        ramp = 1.0 / max(1.0, BehaviourConfig().idle_ramp_s * FPS)
        idle_w = np.empty(n)
        for i in range(n):
            self._idle_weight = float(np.clip(self._idle_weight + (-ramp if speaking[i] else ramp), 0.0, 1.0))
            idle_w[i] = self._idle_weight
        s = (0.5 - 0.5 * np.cos(np.pi * idle_w))[:, None]
        rotation = (1 - s) * talk.head_rotation[k] + s * idle.head_rotation[k]
        translation = (1 - s) * talk.head_translation[k] + s * idle.head_translation[k]
        t = np.arange(first, last) / FPS
        translation[:, 1] += BREATH_IOD * np.sin(2 * np.pi * BREATH_HZ * t) * s[:, 0]
        weights = mouth.copy()
        eyes = [BLENDSHAPE_NAMES.index(name) for name in EYE_SHAPES]
        weights[:, eyes] = idle.blendshapes.weights[k][:, eyes]  # one blink process: no half blinks at switches
        motion = MotionTrack(BlendshapeTrack(np.clip(weights, 0, 1).astype(np.float32), BLENDSHAPE_NAMES, FPS),
                             rotation.astype(np.float32), translation.astype(np.float32))  # fmt: skip
        mix, level = emotion
        mix = mix / mix.sum(1, keepdims=True)
        motion = apply_emotion(motion, EmotionTrack(mix.astype(np.float32), level.astype(np.float32), float(FPS)))
        images = render(self.portrait.render_rig, target_landmarks(self.portrait.rig, motion, 0, n))
        quality = [cv2.IMWRITE_JPEG_QUALITY, int(self.config.jpeg_quality)]
        out = []
        for i in range(n):
            ok, jpeg = cv2.imencode(".jpg", np.ascontiguousarray(images[i][..., ::-1]), quality)
            if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
                raise RuntimeError("JPEG encoding failed")
            out.append(StreamFrame(self._pts(first + i), jpeg.tobytes(), bool(speaking[i]),
                                   float(motion.blendshapes.weights[i, JAW])))  # fmt: skip
        self.frames_made += n
        return out
