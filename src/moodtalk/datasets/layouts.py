"""One reader per dataset layout, each a (signature test, reader) pair in ``LAYOUTS``.

Speaker ids are ``<dataset>-<id>`` in lower case (``mead-M030``, ``cremad-1001``, ``ravdess-01``,
``emodb-03``, ``grid-s1``) so that the same actor gets the same id in every folder that holds them;
that is what speaker-disjoint splits group by. Where a layout gives no actor field, see
:func:`speaker_from_stem`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from moodtalk.evaluation.manifest import (
    AUDIO_EXTENSIONS,
    CREMA_EMOTIONS,
    CREMA_INTENSITY,
    RAVDESS_EMOTIONS,
    RAVDESS_INTENSITY,
    VIDEO_EXTENSIONS,
    emotion_class,
    label_from_name,
    read_manifest,
)

DATASET_IDS = {"MEAD": "mead", "CREMA-D": "cremad", "RAVDESS": "ravdess", "Emo-DB": "emodb", "GRID": "grid"}
"""Dataset name (as ``label_from_name`` gives it) → the speaker-id prefix."""

LEVELS = {"level 1": 1 / 3, "level 2": 2 / 3, "level 3": 1.0, "normal": 0.5, "strong": 1.0, "low": 1 / 3,
          "medium": 2 / 3, "high": 1.0}  # fmt: skip
"""Dataset intensity names → a level in [0, 1] (MEAD's 3 levels, RAVDESS's 2, CREMA-D's 3); neutral is 0."""

GRID_TIME_UNIT_S = 1 / 25000
"""GRID ``.align`` files count time in 1/25000 s (1000 units per 25 fps video frame)."""


@dataclass(frozen=True)
class Word:
    """One word of a transcript with its time span."""

    word: str
    start: float
    """Seconds."""
    end: float
    """Seconds."""


@dataclass(frozen=True)
class Clip:
    """One recording of a dataset."""

    name: str
    """Unique id within the dataset: the path relative to the folder, without extension, '/' separated."""
    video: Path | None
    """Face video, or None for speech-only recordings."""
    audio: Path | None
    """Sound: a separate file, the video itself when it carries its own track, or None (silent video)."""
    speaker: str
    """Speaker id for speaker-disjoint splits (see the module docstring)."""
    dataset: str
    """Dataset of origin ('MEAD', 'RAVDESS', 'LRC-AR', ...; the folder name when unknown)."""
    emotion: str | None = None
    """Raw emotion label (MEAD class names, plus 'calm' / 'boredom'); None when unlabelled."""
    intensity: str = ""
    """The dataset's intensity label ('level 3', 'strong', ...), '' when none."""
    transcript: str | None = None
    """Spoken text when the layout gives it."""
    words: tuple[Word, ...] = ()
    """Word timings when the layout gives them (GRID)."""
    pair_key: str = ""
    """RAVDESS: 'actor/emotion/statement/repetition', pairing the normal and strong takes of one sentence."""

    @property
    def level(self) -> float | None:
        """Intensity label as a level in [0, 1]: neutral 0; None when the dataset does not grade it."""
        if self.emotion in ("neutral", "calm"):
            return 0.0
        return LEVELS.get(self.intensity)

    @property
    def emotion_class(self) -> str | None:
        """The MEAD class of the label, or None."""
        return emotion_class(self.emotion)


def _media(root: Path, extensions: frozenset[str], pattern: str = "**/*") -> Iterator[Path]:
    return (p for p in sorted(root.glob(pattern)) if p.is_file() and p.suffix.lower() in extensions)


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix()


_CLIP_SUFFIX = re.compile(r"(?:[_-](?:clip|part|take|sample)?_?\d+|[_-]?(?:clip|part|take|sample)_?\d+|[_-]short"
                          r"|[_-]backward)+$", re.IGNORECASE)  # fmt: skip


def speaker_from_stem(stem: str) -> str:
    """A conservative speaker id for a file that names no actor: the file name after any ``source__``
    prefix, with clip numbers and suffixes removed (``styletalk__Obama_clip2`` → ``Obama``,
    ``WRA_KristiNoem_000`` → ``WRA_KristiNoem``); a name that is only a number keeps the source prefix
    (``deep_avsr__00016`` → ``deep_avsr``), so
    unnamed clips of one source share a speaker."""
    source, _, rest = stem.rpartition("__")
    base = _CLIP_SUFFIX.sub("", rest)
    if not base or base.isdigit():
        return source or stem
    return base


# --- manifest.csv -------------------------------------------------------------------------------------


def _is_manifest(root: Path) -> bool:
    """a manifest.csv in the folder (the format of ../shared/data/manifest.csv)"""
    return (root / "manifest.csv").is_file()


_ACTOR_NOTE = re.compile(r"actor\s+([A-Za-z]?\d+)", re.IGNORECASE)


def _manifest_speaker(entry_speaker: str, dataset: str, note: str, file: str) -> str:
    """Speaker of a manifest row: the ``speaker`` column; else an actor named by the file-name convention
    or in the ``dataset``/``note`` text ('MEAD (actor M030)'); else :func:`speaker_from_stem`."""
    if entry_speaker:
        return entry_speaker
    m = _ACTOR_NOTE.search(dataset) or _ACTOR_NOTE.search(note)
    if m:
        name = next((v for k, v in DATASET_IDS.items() if k.lower() in dataset.lower()), dataset.split()[0].lower())
        return f"{name}-{m[1]}"
    return speaker_from_stem(Path(file).stem)


def read_manifest_folder(root: Path) -> Iterator[Clip]:
    manifest = read_manifest(root)
    for e in manifest.entries:
        if not e.exists or e.kind not in ("video", "audio"):
            continue
        parsed = label_from_name(e.file)
        speaker = e.speaker_column
        if not speaker and parsed is not None and parsed.speaker:
            speaker = f"{DATASET_IDS.get(parsed.dataset, parsed.dataset.lower())}-{parsed.speaker}"
        speaker = _manifest_speaker(speaker, e.dataset, e.note, e.file)
        video = e.path if e.kind == "video" else None
        audio = e.path if (e.kind == "audio" or e.has_audio is not False) else None
        dataset = parsed.dataset if parsed else (e.dataset.split(" (")[0].split(",")[0] or e.folder)
        yield Clip(_rel(root, e.path), video, audio, speaker, dataset, e.label, e.intensity,
                   pair_key=parsed.key if parsed else "")  # fmt: skip


# --- MEAD -----------------------------------------------------------------------------------------------


def _is_mead(root: Path) -> bool:
    """MEAD: <actor>/video/front/<emotion>/level_<k>/<nnn>.mp4 (audio in <actor>/audio/...)"""
    return any(root.glob("*/video/front/*/level_*"))


def read_mead(root: Path) -> Iterator[Clip]:
    for video in _media(root, VIDEO_EXTENSIONS, "*/video/front/*/level_*/*"):
        actor, emotion, level = video.parts[-6], video.parts[-3], video.parts[-2]
        audio = None
        for ext in (".m4a", ".wav", ".aac", ".mp3"):
            candidate = root / actor / "audio" / emotion / level / (video.stem + ext)
            if candidate.is_file():
                audio = candidate
                break
        label = {"fear": "fearful", "disgust": "disgusted", "surprise": "surprised"}.get(emotion, emotion)
        yield Clip(_rel(root, video), video, audio or video, f"mead-{actor}", "MEAD", label,
                   level.replace("_", " "))  # fmt: skip


# --- CREMA-D ----------------------------------------------------------------------------------------------

_CREMA_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{1,2})$")


def _is_crema(root: Path) -> bool:
    """CREMA-D: VideoFlash/*.flv and/or AudioWAV/*.wav named AAAA_SSS_EMO_LVL"""
    return (root / "VideoFlash").is_dir() or (root / "AudioWAV").is_dir()


def read_crema(root: Path) -> Iterator[Clip]:
    videos = (
        {p.stem: p for p in _media(root / "VideoFlash", VIDEO_EXTENSIONS)} if (root / "VideoFlash").is_dir() else {}
    )
    audios = {p.stem: p for p in _media(root / "AudioWAV", AUDIO_EXTENSIONS)} if (root / "AudioWAV").is_dir() else {}
    for stem in sorted(set(videos) | set(audios)):
        m = _CREMA_NAME.match(stem)
        if m is None or m[3] not in CREMA_EMOTIONS:
            continue
        video = videos.get(stem)
        yield Clip(f"{stem}", video, audios.get(stem, video), f"cremad-{m[1]}", "CREMA-D", CREMA_EMOTIONS[m[3]],
                   CREMA_INTENSITY.get(m[4], ""))  # fmt: skip


# --- RAVDESS ----------------------------------------------------------------------------------------------

_RAVDESS_NAME = re.compile(r"^(0[1-3])-(0[12])-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d\d)$")
RAVDESS_STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
"""RAVDESS file-name field 5 (Livingstone & Russo 2018)."""


def _is_ravdess(root: Path) -> bool:
    """RAVDESS: Actor_NN/MM-VV-EE-II-SS-RR-AA.mp4|wav"""
    return any(p.is_dir() for p in root.glob("Actor_[0-9][0-9]"))


def read_ravdess(root: Path) -> Iterator[Clip]:
    for path in _media(root, VIDEO_EXTENSIONS | AUDIO_EXTENSIONS, "Actor_*/*"):
        m = _RAVDESS_NAME.match(path.stem)
        if m is None:
            continue
        modality = m[1]  # 01 audio-video, 02 video only, 03 audio only
        video = path if modality in ("01", "02") and path.suffix.lower() in VIDEO_EXTENSIONS else None
        audio = path if modality in ("01", "03") else None
        if video is None and audio is None:
            continue
        yield Clip(_rel(root, path), video, audio, f"ravdess-{m[7]}", "RAVDESS", RAVDESS_EMOTIONS[m[3]],
                   RAVDESS_INTENSITY[m[4]], transcript=RAVDESS_STATEMENTS[m[5]],
                   pair_key=f"{m[7]}/{m[3]}/{m[5]}/{m[6]}")  # fmt: skip


# --- GRID -------------------------------------------------------------------------------------------------


def _is_grid(root: Path) -> bool:
    """GRID: sN/*.mpg with alignments/sN/*.align word timings"""
    return any(root.glob("s[0-9]*/*.mpg"))


def read_align(path: Path) -> tuple[Word, ...]:
    """Words of a GRID ``.align`` file ('start end word' per line), without the silence markers."""
    words = []
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] not in ("sil", "sp"):
            words.append(Word(parts[2], int(parts[0]) * GRID_TIME_UNIT_S, int(parts[1]) * GRID_TIME_UNIT_S))
    return tuple(words)


def read_grid(root: Path) -> Iterator[Clip]:
    for video in _media(root, VIDEO_EXTENSIONS, "s[0-9]*/*"):
        speaker = video.parent.name
        align = root / "alignments" / speaker / f"{video.stem}.align"
        words = read_align(align) if align.is_file() else ()
        transcript = " ".join(w.word for w in words) or None
        yield Clip(_rel(root, video), video, video, f"grid-{speaker}", "GRID", transcript=transcript, words=words)


# --- HDTF-style folder of clips -----------------------------------------------------------------------------


def _is_clip_folder(root: Path) -> bool:
    """HDTF-style: a folder of talking-face video files (any depth)"""
    return next(_media(root, VIDEO_EXTENSIONS), None) is not None


def read_clip_folder(root: Path) -> Iterator[Clip]:
    for video in _media(root, VIDEO_EXTENSIONS):
        dataset = "HDTF" if re.match(r"^(WRA|WDA|RD)_", video.stem) else root.name
        yield Clip(_rel(root, video), video, video, speaker_from_stem(video.stem), dataset)


LAYOUTS: dict[str, tuple[Callable[[Path], bool], Callable[[Path], Iterator[Clip]]]] = {
    "manifest": (_is_manifest, read_manifest_folder),
    "MEAD": (_is_mead, read_mead),
    "CREMA-D": (_is_crema, read_crema),
    "RAVDESS": (_is_ravdess, read_ravdess),
    "GRID": (_is_grid, read_grid),
    "clips": (_is_clip_folder, read_clip_folder),
}
"""Layout name → (does the folder look like it, read it). Tried in this order: a manifest wins, the generic
folder of clips comes last."""
