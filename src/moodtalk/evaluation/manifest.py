"""Read and validate an evaluation folder's ``manifest.csv``; parse emotion labels from dataset file names.

The format is the one of ``../shared/data/manifest.csv``: one row per media file, ``file`` relative to the
folder, plus ``category``, ``has_audio``, ``emotion``, ``intensity``, ``dataset`` and any number of other
columns (ignored). Only ``file`` is required; the other known columns are used when present, and labels
missing from the manifest are parsed from the dataset naming conventions of the file name:

* MEAD: ``M030_front_angry_level3_001`` (and the ``M030_sad_3_001`` form of MEAD-derived repositories);
* CREMA-D: ``1001_DFA_ANG_XX`` (emotion code ANG/DIS/FEA/HAP/NEU/SAD, intensity LO/MD/HI/XX);
* RAVDESS: ``03-01-05-02-01-01-01`` (modality-channel-emotion-intensity-statement-repetition-actor);
* Emo-DB: ``03a01Wa`` (speaker, text, emotion letter W/L/E/A/F/T/N, version).
"""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from moodtalk.errors import InputError
from moodtalk.types import EMOTIONS

REQUIRED_COLUMNS: tuple[str, ...] = ("file",)
"""Columns without which the manifest is rejected."""
KNOWN_COLUMNS: tuple[str, ...] = ("file", "category", "has_audio", "emotion", "intensity", "dataset", "note", "speaker")
"""Columns the evaluation reads when present; any other column is ignored."""

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".mkv", ".webm", ".flv", ".avi", ".m4v", ".mpg", ".mpeg"})
AUDIO_EXTENSIONS = frozenset({".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus"})
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})

LABEL_SYNONYMS: dict[str, str] = {
    "fear": "fearful",
    "afraid": "fearful",
    "disgust": "disgusted",
    "surprise": "surprised",
    "anger": "angry",
    "happiness": "happy",
    "sadness": "sad",
    "calm": "neutral",  # RAVDESS 'calm' is folded into neutral for the 8 MEAD classes (as in training)
}
"""Dataset label spellings → moodtalk's ``EMOTIONS``. Labels with no MEAD class (Emo-DB 'boredom') map to None."""
LOW_AROUSAL_LABELS = frozenset({"neutral", "calm", "sad", "boredom"})
"""Raw labels of low arousal (Russell's circumplex; see ``moodtalk.emotion.prosody.LOW_AROUSAL``)."""
HIGH_AROUSAL_LABELS = frozenset({"angry", "fearful", "happy", "surprised"})
"""Raw labels (after synonyms) of high arousal; disgust and contempt sit mid-axis and get no arousal label."""

RAVDESS_EMOTIONS = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry", "06": "fearful",
                    "07": "disgusted", "08": "surprised"}  # fmt: skip
"""RAVDESS file-name field 3 (Livingstone & Russo 2018)."""
RAVDESS_INTENSITY = {"01": "normal", "02": "strong"}
"""RAVDESS file-name field 4."""
CREMA_EMOTIONS = {"ANG": "angry", "DIS": "disgusted", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
"""CREMA-D file-name field 3 (Cao et al. 2014)."""
CREMA_INTENSITY = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified", "X": "unspecified"}
"""CREMA-D file-name field 4."""
EMODB_EMOTIONS = {"W": "angry", "L": "boredom", "E": "disgusted", "A": "fearful", "F": "happy", "T": "sad",
                  "N": "neutral"}  # fmt: skip
"""Emo-DB file-name character 6 (Burkhardt et al. 2005; German initials)."""
MEAD_EMOTION_WORDS = "angry|contempt|disgusted|fear|happy|neutral|sad|surprised"

_MEAD_FRONT = re.compile(rf"(?:^|_)(?:front|down|left_\d+|right_\d+|top)_({MEAD_EMOTION_WORDS})_level_?(\d)(?:_|$)")
_MEAD_SHORT = re.compile(rf"(?:^|_)[MW]\d{{3}}_({MEAD_EMOTION_WORDS})_(\d)_\d{{3}}$")
_CREMA = re.compile(r"(?:^|_)(\d{4})_[A-Z]{3}_(ANG|DIS|FEA|HAP|NEU|SAD)_(LO|MD|HI|XX|X)$")
_RAVDESS = re.compile(r"(?:^|_)(0[1-3])-(0[12])-(0[1-8])-(0[12])-(0[12])-(0[12])-(\d\d)$")
_EMODB = re.compile(r"(?:^|_)(\d\d)([ab]\d\d)([WLEAFTN])([a-z])$")


@dataclass(frozen=True)
class NameLabel:
    """An emotion label read from a dataset file name."""

    label: str
    """The dataset's own label after synonyms (may be 'calm' or 'boredom', which have no MEAD class)."""
    intensity: str
    """Intensity as the dataset names it ('level 3', 'normal', 'strong', 'unspecified', ...)."""
    dataset: str
    """'MEAD', 'CREMA-D', 'RAVDESS' or 'Emo-DB'."""
    speaker: str
    """Speaker / actor id within the dataset ('' when unknown)."""
    key: str = ""
    """RAVDESS: 'actor/emotion/statement/repetition' so that the normal and strong takes can be paired."""


def label_from_name(name: str) -> NameLabel | None:
    """Parse a dataset-convention emotion label from a file name (folder and extension are ignored).

    A ``source__`` prefix (as in ``../shared/data``) is allowed. Returns None when no convention matches.
    """
    stem = Path(name).stem
    if m := _RAVDESS.search(stem):
        label = RAVDESS_EMOTIONS[m[3]]
        key = f"{m[7]}/{m[3]}/{m[5]}/{m[6]}"
        return NameLabel(label, RAVDESS_INTENSITY[m[4]], "RAVDESS", m[7], key)
    if m := _CREMA.search(stem):
        return NameLabel(CREMA_EMOTIONS[m[2]], CREMA_INTENSITY[m[3]], "CREMA-D", m[1])
    if m := _MEAD_FRONT.search(stem):
        speaker = re.search(r"([MW]\d{3})_", stem)
        return NameLabel(LABEL_SYNONYMS.get(m[1], m[1]), f"level {m[2]}", "MEAD", speaker[1] if speaker else "")
    if m := _MEAD_SHORT.search(stem):
        speaker = re.search(r"([MW]\d{3})_", stem)
        return NameLabel(LABEL_SYNONYMS.get(m[1], m[1]), f"level {m[2]}", "MEAD", speaker[1] if speaker else "")
    if m := _EMODB.search(stem.split("__")[-1]):
        return NameLabel(EMODB_EMOTIONS[m[3]], "unspecified", "Emo-DB", m[1])
    return None


def emotion_class(label: str | None) -> str | None:
    """The MEAD class (one of ``EMOTIONS``) of a raw label, or None (no label, or no MEAD class)."""
    if not label:
        return None
    key = LABEL_SYNONYMS.get(label, label)
    return key if key in EMOTIONS else None


def arousal_of(label: str | None) -> bool | None:
    """High (True) / low (False) arousal of a raw label, None for mid-axis or unknown labels."""
    if not label:
        return None
    if label in LOW_AROUSAL_LABELS:
        return False
    key = LABEL_SYNONYMS.get(label, label)
    if key in HIGH_AROUSAL_LABELS:
        return True
    return False if key in LOW_AROUSAL_LABELS else None


def _manifest_label(text: str) -> tuple[str | None, bool]:
    """(label, informal) of a manifest ``emotion`` cell: 'angry (informal style label)' → ('angry', True)."""
    text = text.strip().lower()
    if not text:
        return None, False
    informal = "informal" in text or "facial" in text
    word = re.match(r"[a-z]+", text)
    if word is None:
        return None, informal
    label = LABEL_SYNONYMS.get(word[0], word[0])
    # Keep raw labels that are not MEAD classes ('calm', 'boredom'), but map spellings like 'fear'.
    if word[0] in ("calm", "boredom"):
        label = word[0]
    return label, informal


@dataclass(frozen=True)
class Entry:
    """One usable row of the manifest."""

    file: str
    """Path relative to the data folder, as written in the manifest."""
    path: Path
    """Absolute path."""
    line: int
    """Line number in manifest.csv (the header is line 1)."""
    category: str
    """The manifest's category ('' when the column is absent)."""
    has_audio: bool | None
    """Whether the file holds real sound: True, False, or None when the manifest does not say."""
    label: str | None
    """Raw emotion label (after synonyms; may be 'calm'/'boredom'); None when unlabelled."""
    intensity: str
    """Intensity label as given ('level 3', 'normal', 'strong', ...) or ''."""
    dataset: str
    """Dataset of origin ('' when unknown)."""
    informal: bool = False
    """The label is informal (a web clip's style name, a photo's look), not a dataset annotation."""
    speaker: str = ""
    """Speaker id parsed from the file name, when a convention matched."""
    pair_key: str = ""
    """RAVDESS pairing key (see ``NameLabel.key``)."""
    speaker_column: str = ""
    """The manifest's own ``speaker`` cell ('' when the column is absent or empty)."""
    note: str = ""
    """The manifest's ``note`` cell."""

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def kind(self) -> str:
        """'video', 'audio', 'image' or 'other', from the file extension."""
        ext = self.path.suffix.lower()
        if ext in VIDEO_EXTENSIONS:
            return "video"
        if ext in AUDIO_EXTENSIONS:
            return "audio"
        if ext in IMAGE_EXTENSIONS:
            return "image"
        return "other"

    @property
    def emotion(self) -> str | None:
        """The MEAD class of the label (None: unlabelled or no MEAD class)."""
        return emotion_class(self.label)

    @property
    def folder(self) -> str:
        """First folder of ``file`` ('' for files at the top)."""
        parts = Path(self.file).parts
        return parts[0] if len(parts) > 1 else ""

    @property
    def is_portrait(self) -> bool:
        """A still photo meant as an identity input (category D, or under a portraits folder)."""
        return self.kind == "image" and (self.category.upper().startswith("D") or "portrait" in self.folder.lower()
                                         or not self.category)  # fmt: skip

    @property
    def is_talking_clip(self) -> bool:
        """A face video with its own real sound: the self-reenactment set."""
        if self.kind != "video" or self.has_audio is False:
            return False
        cat = self.category.upper()
        return not cat or cat.startswith(("A", "C"))

    @property
    def is_labelled_video(self) -> bool:
        """A face video with an emotion label (the FER reference set)."""
        return self.kind == "video" and self.label is not None

    @property
    def is_labelled_speech(self) -> bool:
        """An audio file with an emotion label (audio → emotion / intensity)."""
        return self.kind == "audio" and self.label is not None and self.has_audio is not False

    @property
    def is_speech(self) -> bool:
        """Any audio file that holds sound (driving speech candidates)."""
        return self.kind == "audio" and self.has_audio is not False


@dataclass
class Manifest:
    """A parsed manifest."""

    root: Path
    """The data folder."""
    entries: list[Entry]
    """Usable rows, in file order."""
    warnings: list[str] = field(default_factory=list)
    """One line per skipped (malformed) row or other oddity."""
    columns: tuple[str, ...] = ()
    """The header's column names."""

    @property
    def missing(self) -> list[Entry]:
        """Rows whose file is absent."""
        return [e for e in self.entries if not e.exists]


def _has_audio(text: str | None) -> bool | None:
    if text is None:
        return None
    t = text.strip().lower()
    if not t:
        return None
    if "silent" in t:  # "yes (SILENT track)": a stream exists but holds no speech
        return False
    if t.startswith(("yes", "true", "1")):
        return True
    if t.startswith(("no", "false", "0")):
        return False
    return None  # 'n/a' and anything else: unknown


def read_manifest(data: str | Path, name: str = "manifest.csv") -> Manifest:
    """Read ``DATA/manifest.csv``.

    Malformed rows (wrong number of fields, empty ``file``, a path leaving the folder) are skipped with a
    warning naming the line; files listed but absent are kept (``Entry.exists`` is False) so that the
    evaluation can count them as failed.

    Raises:
        InputError: the folder or the manifest is missing, unreadable or empty, or a required column is absent.
    """
    root = Path(data)
    if not root.is_dir():
        raise InputError(root, "data folder does not exist")
    path = root / name
    if not path.is_file():
        raise InputError(path, f"no {name} in the data folder")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(path, f"cannot read the manifest ({e})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError(path, "the manifest is empty (expected a header line with a 'file' column)")
    header = tuple(cell.strip().lower() for cell in rows[0])
    for col in REQUIRED_COLUMNS:
        if col not in header:
            raise InputError(path, f"missing required column {col!r} in the header (line 1: {', '.join(header)})")
    idx = {c: header.index(c) for c in KNOWN_COLUMNS if c in header}
    entries: list[Entry] = []
    warnings: list[str] = []
    seen: set[str] = set()
    resolved_root = root.resolve()
    for line, row in enumerate(rows[1:], start=2):
        if not row or not any(cell.strip() for cell in row):
            continue  # blank lines are not errors
        if len(row) != len(header):
            warnings.append(f"{path.name} line {line}: {len(row)} fields, header has {len(header)}; line skipped")
            continue

        def cell(col: str, row: list[str] = row) -> str:
            return row[idx[col]].strip() if col in idx else ""

        file = cell("file")
        if not file:
            warnings.append(f"{path.name} line {line}: empty 'file'; line skipped")
            continue
        full = (root / file).resolve()
        if resolved_root not in full.parents:
            warnings.append(f"{path.name} line {line}: file {file!r} lies outside the data folder; line skipped")
            continue
        if file in seen:
            warnings.append(f"{path.name} line {line}: {file} listed twice; line skipped")
            continue
        seen.add(file)
        label, informal = _manifest_label(cell("emotion"))
        intensity = cell("intensity")
        parsed = label_from_name(file)
        if parsed is not None:
            # The file name is the dataset's own annotation: it fills gaps and gives speaker/pairing keys.
            label = label or parsed.label
            intensity = intensity if intensity and intensity != "unspecified" else parsed.intensity
        entries.append(
            Entry(
                file=file,
                path=root / file,
                line=line,
                category=cell("category"),
                has_audio=_has_audio(cell("has_audio") if "has_audio" in idx else None),
                label=label,
                intensity=intensity,
                dataset=cell("dataset") or (parsed.dataset if parsed else ""),
                informal=informal and parsed is None,
                speaker=parsed.speaker if parsed else "",
                pair_key=parsed.key if parsed else "",
                speaker_column=cell("speaker"),
                note=cell("note"),
            )
        )
    return Manifest(root=root, entries=entries, warnings=warnings, columns=header)


def warn(lines: list[str]) -> None:
    """Print manifest warnings on stderr, one line each."""
    for line in lines:
        print(f"moodtalk: warning: {line}", file=sys.stderr)
