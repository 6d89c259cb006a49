"""Fixtures shared by all tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """(512, 512, 3) uint8: NASA's public-domain portrait of Eileen Collins, bundled with scikit-image."""
    from skimage import data

    return data.astronaut()
