"""Synthetic and real audio for the speech-analysis tests."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from moodtalk.types import AudioTrack
from tests.audio.audio_signals import BILABIAL_SENTENCE, read_track
from tests.helpers import SHARED_DATA


@pytest.fixture(scope="session")
def espeak_speech(tmp_path_factory: pytest.TempPathFactory) -> AudioTrack:
    """The bilabial sentence spoken by espeak-ng (skips when espeak-ng is not installed)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not on PATH")
    path = tmp_path_factory.mktemp("espeak") / "peter.wav"
    subprocess.run([exe, "-w", str(path), BILABIAL_SENTENCE], check=True, capture_output=True)
    return read_track(path)


@pytest.fixture(scope="session")
def real_speech() -> AudioTrack:
    """A real English clip from the shared data (skips when absent)."""
    path = SHARED_DATA / "speech" / "real3dportrait__Obama_5s.wav"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return read_track(path)
