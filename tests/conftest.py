"""Shared fixtures: where the real test material lives, and a real face that ships with scikit-image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(relative: str) -> Path:
    """A file of ../shared/data, or skip the test when it is absent."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"real test material {path} is absent")
    return path


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """(512, 512, 3) uint8: NASA's public-domain portrait of Eileen Collins, bundled with scikit-image."""
    from skimage import data

    return data.astronaut()
