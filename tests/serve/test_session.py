"""``moodtalk.serve.Session`` on a simulated clock: frame timing, idle, mouth, interrupt, emotion, limits."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from moodtalk.errors import InputError
from moodtalk.serve import Session, SessionConfig
from tests.serve.conftest import pcm16, speechlike

CHUNK_S = 0.02


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def stream(session: Session, clock: Clock, audio: np.ndarray | None, then_s: float, sr: int = 24000) -> list:
    """Send ``audio`` in 20 ms chunks at real-time pace, then let ``then_s`` seconds pass; all frames made."""
    frames = []
    if audio is not None:
        step = int(CHUNK_S * sr)
        for i in range(0, audio.size, step):
            session.push_audio(pcm16(audio[i : i + step]))
            clock.t += CHUNK_S
            frames += session.advance()
    for _ in range(int(round(then_s / CHUNK_S))):
        clock.t += CHUNK_S
        frames += session.advance()
    return frames


def decode(frame) -> np.ndarray:  # noqa: ANN001
    return cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR)


@pytest.fixture()
def clock() -> Clock:
    return Clock()


def test_frames_follow_the_audio_clock_at_25_fps_and_idle_after_it(stream_portrait, clock: Clock) -> None:
    session = Session(stream_portrait, clock=clock)
    assert session.advance() == []  # nothing before the first audio: the timeline starts with it
    frames = stream(session, clock, speechlike(2.0), then_s=2.0)
    pts = np.array([f.pts_us for f in frames])
    assert pts[0] == 0
    assert set(np.diff(pts)) == {40_000}  # no gap, no repeat, 25 fps
    assert len(frames) >= 95  # 2 s of speech + idle frames after it (minus the jitter allowance)
    image = decode(frames[0])
    assert image.shape == (256, 256, 3)
    jaw = np.array([f.jaw_open for f in frames])
    speech = np.array([f.speech for f in frames])
    assert jaw[:50].max() > 0.2  # the mouth moves while the voice does
    assert speech[:50].mean() > 0.5 and not speech[60:].any()
    assert np.all(jaw[60:] < 0.01)  # closed in silence
    # Idle is not a frozen picture: the head keeps moving (breathing, small motion).
    idle = [decode(f).astype(float) for f in frames[60:]]
    assert max(np.abs(a - idle[0]).mean() for a in idle) > 0.3


def test_interrupt_drops_queued_audio_and_returns_to_idle(stream_portrait, clock: Clock) -> None:
    session = Session(stream_portrait, clock=clock)
    session.push_audio(pcm16(speechlike(10.0)))  # a burst far ahead of real time
    frames = stream(session, clock, None, then_s=1.0)
    assert frames and frames[-1].pts_us <= 1_200_000  # frames come at real-time pace, not as fast as audio
    idle_from = session.interrupt()
    later = stream(session, clock, None, then_s=1.0)
    after = [f for f in later if f.pts_us >= idle_from]
    assert after and not any(f.speech for f in after)
    assert after[0].pts_us - idle_from <= 200_000
    closed = [f for f in after if f.pts_us >= idle_from + 200_000]
    assert closed and max(f.jaw_open for f in closed) < 0.02


def test_emotion_change_is_a_smooth_transition(stream_portrait, clock: Clock) -> None:
    session = Session(stream_portrait, "neutral", config=SessionConfig(transition_s=0.5), clock=clock)
    before = stream(session, clock, np.zeros(24000, np.float32), then_s=0.0)
    session.set_emotion("happy", 1.0)
    after = stream(session, clock, np.zeros(24000 * 2, np.float32), then_s=0.0)
    start, end = decode(before[-1]).astype(float), decode(after[-1]).astype(float)
    total = np.abs(end - start).mean()
    assert total > 2.0  # the face visibly changed
    images = [start] + [decode(f).astype(float) for f in after[:20]]
    steps = [np.abs(b - a).mean() for a, b in zip(images, images[1:], strict=False)]
    assert max(steps) < 0.5 * total  # over several frames, not one jump
    assert session.emotion == "happy"


def test_bad_inputs_are_refused_with_one_clear_message(stream_portrait, clock: Clock) -> None:
    with pytest.raises(InputError, match="unknown emotion"):
        Session(stream_portrait, "furious-ish", clock=clock)
    with pytest.raises(InputError, match="sample_rate"):
        Session(stream_portrait, config=SessionConfig(sample_rate=12345), clock=clock)
    session = Session(stream_portrait, clock=clock)
    with pytest.raises(InputError, match="even number"):
        session.push_audio(b"\x00\x01\x02")
    with pytest.raises(InputError, match="unknown emotion"):
        session.set_emotion("hapy")
    with pytest.raises(InputError, match="outside"):
        session.set_emotion("happy", 3.0)
    small = Session(stream_portrait, config=SessionConfig(max_queued_s=1.0), clock=clock)
    small.push_audio(pcm16(np.zeros(12000, np.float32)))
    with pytest.raises(InputError, match="queued"):
        small.push_audio(pcm16(np.zeros(24000, np.float32)))


def test_other_sample_rates_and_bounded_memory(stream_portrait, clock: Clock) -> None:
    session = Session(stream_portrait, config=SessionConfig(sample_rate=16000), clock=clock)
    frames = stream(session, clock, speechlike(6.0, sr=16000), then_s=0.0, sr=16000)
    assert len(frames) >= 145
    assert max(f.jaw_open for f in frames) > 0.2
    # Only the analysis window is kept, however long the stream.
    assert session._audio.size <= (session.config.context_s + 0.5) * 16000


def test_end_plays_out_the_queue_then_finishes(stream_portrait, clock: Clock) -> None:
    session = Session(stream_portrait, clock=clock)
    session.push_audio(pcm16(speechlike(1.0)))
    session.end()
    with pytest.raises(InputError, match="ended"):
        session.push_audio(pcm16(speechlike(0.1)))
    frames = stream(session, clock, None, then_s=1.5)
    assert session.finished
    assert len(frames) == 25  # exactly the audio's frames
