"""Streaming ``generate``: the first block's motion, its join to the whole file's, and the video written."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from moodtalk.audio import frame_count
from moodtalk.pipeline import (
    BLOCK_MARGIN_S,
    FIRST_BLOCK_S,
    JOIN_FADE_S,
    JOIN_POSE_FADE_S,
    JOIN_SEARCH_S,
    EmotionOptions,
    generate,
    join_motion,
    speech_to_motion,
)
from moodtalk.types import BLENDSHAPE_NAMES, BlendshapeTrack, MotionTrack
from moodtalk.video import read_audio
from tests.helpers import shared_file

FPS = 25.0
BLOCK = round(FIRST_BLOCK_S * FPS)
FADE, POSE_FADE = round(JOIN_FADE_S * FPS), round(JOIN_POSE_FADE_S * FPS)
LATEST = BLOCK - POSE_FADE
EARLIEST = LATEST - round(JOIN_SEARCH_S * FPS)
BLINK = BLENDSHAPE_NAMES.index("eyeBlinkLeft")
JAW = BLENDSHAPE_NAMES.index("jawOpen")


def speechlike(seconds: float, sr: int = 16000) -> np.ndarray:
    """Voiced 'syllables' (150-250 Hz buzz, 120-300 ms) in phrases separated by pauses, reproducible."""
    rng = np.random.default_rng(1)
    out = []
    while sum(map(len, out)) < seconds * sr:
        for _ in range(rng.integers(3, 8)):
            t = np.arange(int(rng.uniform(0.12, 0.3) * sr)) / sr
            out.append(0.3 * np.sign(np.sin(2 * np.pi * rng.uniform(150, 250) * t)) * np.hanning(len(t)))
            out.append(np.zeros(int(rng.uniform(0.05, 0.15) * sr)))
        out.append(np.zeros(int(rng.uniform(0.3, 0.8) * sr)))
    return np.concatenate(out)[: int(seconds * sr)].astype(np.float32)


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("streaming") / "long.wav"
    sf.write(path, speechlike(12.0), 16000)
    return path


def constant_motion(n: int, yaw: float, blink_at: tuple[int, ...] = ()) -> MotionTrack:
    weights = np.full((n, len(BLENDSHAPE_NAMES)), 0.2, np.float32)
    weights[list(blink_at), BLINK] = 1.0
    rotation = np.zeros((n, 3), np.float32)
    rotation[:, 0] = yaw
    return MotionTrack(BlendshapeTrack(weights, BLENDSHAPE_NAMES, FPS), rotation, np.zeros((n, 3), np.float32))


def join_frame(joined: MotionTrack, full: MotionTrack) -> int:
    """First frame where the joined head differs from the whole file's, counted from the end of the fade."""
    return int(np.flatnonzero(np.any(joined.head_rotation != full.head_rotation, axis=1)).max()) - POSE_FADE + 1


def test_join_is_first_then_full_with_a_smooth_bounded_fade() -> None:
    first, full = constant_motion(150, yaw=-3.0), constant_motion(300, yaw=5.0)
    joined = join_motion(first, full, EARLIEST, LATEST, FADE, POSE_FADE)
    assert len(joined) == len(full)
    yaw = joined.head_rotation[:, 0]
    j = int(np.flatnonzero(yaw > -3.0)[0])
    assert EARLIEST <= j <= LATEST
    assert np.all(yaw[:j] == -3.0) and np.all(yaw[j + POSE_FADE :] == 5.0)
    step = np.diff(yaw)
    assert np.all(step >= 0)  # no overshoot or wobble
    # A raised cosine over the fade: the steepest step is gap * pi / (2 * frames), about 0.3 deg here.
    assert step.max() <= 8.0 * np.pi / (2 * POSE_FADE) + 1e-6


def test_join_avoids_a_blink_in_either_track() -> None:
    # Blinks (3 frames each) everywhere in the search range except one gap: the weight fade must land there.
    blinks = tuple(k for k in range(EARLIEST - 5, LATEST + FADE + 5) if k % 12 < 3)
    first, full = constant_motion(150, 0.0, blinks), constant_motion(300, 0.0)
    joined = join_motion(first, full, EARLIEST, LATEST, FADE, POSE_FADE)
    lids = joined.blendshapes.weights[:, BLINK]
    partial = (lids > 0.25) & (lids < 0.95)  # a blink faded halfway, which neither track has
    assert not partial.any()


def test_reading_only_the_start_gives_the_start_of_the_audio(tmp_path: Path) -> None:
    y = speechlike(10.0)
    path = tmp_path / "a.wav"
    sf.write(path, y, 16000)
    head = read_audio(path, 16000, max_seconds=3.0)
    assert head.sample_rate == 16000 and head.samples.size == 48000
    np.testing.assert_allclose(head.samples, read_audio(path, 16000).samples[:48000], atol=1e-4)
    # Another rate and stereo: resampled and mixed like the whole file, up to the resampler's last samples.
    stereo = tmp_path / "b.wav"
    sf.write(stereo, np.stack([np.interp(np.arange(441000) / 44.1, np.arange(160000) / 16, y)] * 2, 1), 44100)
    head = read_audio(stereo, 16000, max_seconds=3.0)
    whole = read_audio(stereo, 16000).samples[:48000]
    assert head.samples.size == 48000 and np.abs(head.samples[:47000] - whole[:47000]).max() < 0.02
    short = read_audio(path, 16000, max_seconds=30.0)
    assert short.samples.size == y.size  # a shorter file comes out whole


def test_streamed_generate_is_the_whole_file_motion_after_the_join(tmp_path: Path, long_speech: Path) -> None:
    out = tmp_path / "long.mp4"
    result = generate(long_speech, out, size=256, progress=False)
    whole = speech_to_motion(read_audio(long_speech, 16000)).motion
    first = speech_to_motion(read_audio(long_speech, 16000, max_seconds=FIRST_BLOCK_S + BLOCK_MARGIN_S)).motion
    n = frame_count(12.0, FPS)
    assert result.frames == len(result.motion) == len(whole) == n
    motion = result.motion
    j = join_frame(motion, whole)
    assert EARLIEST <= j <= LATEST
    np.testing.assert_array_equal(motion.blendshapes.weights[:j], first.blendshapes.weights[:j])
    np.testing.assert_array_equal(
        motion.blendshapes.weights[j + POSE_FADE :], whole.blendshapes.weights[j + POSE_FADE :]
    )
    # Lip sync of the first block matches the whole file's.
    assert np.corrcoef(first.blendshapes.weights[:BLOCK, JAW], whole.blendshapes.weights[:BLOCK, JAW])[0, 1] > 0.95
    # No pop at the join: no head step larger than either track's own there.
    span = slice(j - 1, j + POSE_FADE + 1)

    def steps(m: MotionTrack) -> np.ndarray:
        return np.linalg.norm(np.diff(m.head_rotation, axis=0), axis=1)[span]

    assert steps(motion).max() <= max(steps(first).max(), steps(whole).max()) + 0.05
    with av.open(str(out)) as c:
        video = [f for f in c.decode(video=0)]
        c.seek(0)
        sound = np.concatenate([f.to_ndarray().mean(0) for f in c.decode(audio=0)])
        rate = c.streams.audio[0].sample_rate
    assert len(video) == n
    assert abs(sound.size / rate - 12.0) <= 1 / FPS
    # The sound is there from the start (the writer gets it only after the first frames), not shifted.
    source = read_audio(long_speech, rate).samples
    envelope = [np.convolve(np.abs(x[: 3 * rate]), np.ones(rate // 100), "same") for x in (sound, source)]
    assert np.corrcoef(*envelope)[0, 1] > 0.95


def test_keyframes_past_the_first_block_are_accepted(tmp_path: Path, long_speech: Path) -> None:
    emotion = EmotionOptions("neutral@0 happy:0.8@10")
    result = generate(long_speech, tmp_path / "k.mp4", size=256, progress=False, emotion=emotion)
    assert result.frames == frame_count(12.0, FPS)


@pytest.mark.real
def test_first_block_mouth_follows_the_whole_file_on_real_speech() -> None:
    path = shared_file("speech/styletalk__Obama_clip1.wav")
    first = speech_to_motion(read_audio(path, 16000, max_seconds=FIRST_BLOCK_S + BLOCK_MARGIN_S)).motion
    whole = speech_to_motion(read_audio(path, 16000)).motion
    r = np.corrcoef(first.blendshapes.weights[:BLOCK, JAW], whole.blendshapes.weights[:BLOCK, JAW])[0, 1]
    assert r > 0.98
    joined = join_motion(first, whole, EARLIEST, LATEST, FADE, POSE_FADE)
    j = join_frame(joined, whole)
    assert (
        max(first.blendshapes.weights[j : j + FADE, BLINK].max(), whole.blendshapes.weights[j : j + FADE, BLINK].max())
        < 0.05
    )
    span = slice(j - 1, j + POSE_FADE + 1)
    steps = [np.linalg.norm(np.diff(m.head_rotation, axis=0), axis=1)[span].max() for m in (joined, first, whole)]
    assert steps[0] <= max(steps[1:]) + 0.05
