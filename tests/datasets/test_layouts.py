"""Dataset readers: every layout is recognised from its folder and yields the right speakers and labels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from moodtalk.datasets import detect_layout, find_clips
from moodtalk.datasets.layouts import read_align, speaker_from_stem
from moodtalk.errors import InputError


def touch(root: Path, *names: str) -> None:
    for n in names:
        p = root / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")


def test_mead_layout_pairs_video_with_audio_and_reads_level(tmp_path: Path) -> None:
    touch(tmp_path, "M030/video/front/angry/level_3/001.mp4", "M030/audio/angry/level_3/001.m4a",
          "W009/video/front/neutral/level_1/002.mp4")  # fmt: skip
    layout, clips = find_clips(tmp_path)
    assert layout == "MEAD"
    angry, neutral = clips
    assert (angry.speaker, angry.emotion, angry.intensity, angry.level) == ("mead-M030", "angry", "level 3", 1.0)
    assert angry.audio.suffix == ".m4a" and angry.video.suffix == ".mp4"
    assert neutral.audio == neutral.video  # no separate audio: the video's own track
    assert neutral.level == 0.0


def test_crema_layout_joins_flv_and_wav_by_name(tmp_path: Path) -> None:
    touch(tmp_path, "VideoFlash/1001_DFA_ANG_XX.flv", "AudioWAV/1001_DFA_ANG_XX.wav", "AudioWAV/1002_IEO_HAP_HI.wav")
    layout, clips = find_clips(tmp_path)
    assert layout == "CREMA-D"
    a, b = clips
    assert a.video.name == "1001_DFA_ANG_XX.flv" and a.audio.name == "1001_DFA_ANG_XX.wav"
    assert (a.speaker, a.emotion) == ("cremad-1001", "angry")
    assert b.video is None and (b.speaker, b.emotion, b.level) == ("cremad-1002", "happy", 1.0)


def test_ravdess_layout_reads_modality_actor_and_pairs(tmp_path: Path) -> None:
    touch(tmp_path, "Actor_07/01-01-05-02-01-01-07.mp4", "Actor_07/02-01-05-01-01-01-07.mp4",
          "Actor_07/03-01-05-01-01-01-07.wav")  # fmt: skip
    layout, clips = find_clips(tmp_path)
    assert layout == "RAVDESS"
    by_mod = {c.name.split("/")[1][:2]: c for c in clips}
    assert by_mod["01"].video and by_mod["01"].audio  # audio-video
    assert by_mod["02"].audio is None  # video only
    assert by_mod["03"].video is None  # audio only
    assert {c.speaker for c in clips} == {"ravdess-07"}
    assert by_mod["01"].intensity == "strong" and by_mod["03"].intensity == "normal"
    assert by_mod["01"].pair_key == by_mod["03"].pair_key  # same actor, emotion, sentence, take
    assert by_mod["01"].transcript == "Kids are talking by the door"


def test_grid_layout_reads_word_timings(tmp_path: Path) -> None:
    touch(tmp_path, "s3/bbaf2n.mpg")
    (tmp_path / "alignments/s3").mkdir(parents=True)
    (tmp_path / "alignments/s3/bbaf2n.align").write_text("0 23750 sil\n23750 29500 bin\n29500 34000 blue\n34000 "
                                                         "74500 sil\n")  # fmt: skip
    layout, clips = find_clips(tmp_path)
    assert layout == "GRID"
    (clip,) = clips
    assert clip.speaker == "grid-s3" and clip.transcript == "bin blue"
    assert clip.words[0].start == pytest.approx(0.95) and clip.words[1].end == pytest.approx(1.36)
    assert read_align(tmp_path / "alignments/s3/bbaf2n.align")[0].word == "bin"


def test_folder_of_clips_groups_speakers_by_name(tmp_path: Path) -> None:
    touch(tmp_path, "WRA_KristiNoem_000.mp4", "WRA_KristiNoem_001.mp4", "RD_Radio34_000.mp4")
    layout, clips = find_clips(tmp_path)
    assert layout == "clips"
    assert [c.speaker for c in clips] == ["RD_Radio34", "WRA_KristiNoem", "WRA_KristiNoem"]
    assert clips[0].dataset == "HDTF"


def test_speaker_from_stem_keeps_names_and_groups_numbers() -> None:
    assert speaker_from_stem("styletalk__Obama_clip2") == "Obama"
    assert speaker_from_stem("deep_avsr__00016") == "deep_avsr"
    assert speaker_from_stem("RD_Radio34_000") == "RD_Radio34"  # a number inside the name stays


def test_manifest_folder_takes_speaker_column_then_name_then_note(tmp_path: Path) -> None:
    touch(tmp_path, "a/x__03-01-05-02-01-01-07.wav", "b/clip_one.mp4", "b/other.mp4", "c/face.png")
    (tmp_path / "manifest.csv").write_text(
        "file,has_audio,emotion,intensity,dataset,note,speaker\n"
        "a/x__03-01-05-02-01-01-07.wav,yes,,,,,\n"
        "b/clip_one.mp4,yes,,,MEAD (actor W009),,\n"
        "b/other.mp4,no,,,,,anchor-7\n"
        "c/face.png,,,,,,\n"
    )
    layout, clips = find_clips(tmp_path)
    assert layout == "manifest"
    by = {c.name: c for c in clips}
    assert set(by) == {"a/x__03-01-05-02-01-01-07", "b/clip_one", "b/other"}  # the photo is not a clip
    assert by["a/x__03-01-05-02-01-01-07"].speaker == "ravdess-07"
    assert by["a/x__03-01-05-02-01-01-07"].level == 1.0
    assert by["b/clip_one"].speaker == "mead-W009"
    assert by["b/other"].speaker == "anchor-7" and by["b/other"].audio is None  # silent video


def test_unknown_layout_names_every_layout_looked_for(tmp_path: Path) -> None:
    touch(tmp_path, "notes.txt")
    with pytest.raises(InputError) as e:
        detect_layout(tmp_path)
    for name in ("manifest.csv", "MEAD", "CREMA-D", "RAVDESS", "GRID", "HDTF"):
        assert name in str(e.value)


def test_prepare_cli_refuses_unknown_layout_in_one_line(tmp_path: Path) -> None:
    touch(tmp_path, "readme.txt")
    r = subprocess.run([sys.executable, "-m", "moodtalk", "prepare", str(tmp_path), "-o", str(tmp_path / "c")],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 2
    assert "no known dataset layout" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "c").exists()
