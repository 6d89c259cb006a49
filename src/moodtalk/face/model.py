"""The face model: canonical neutral mesh + blendshape basis, and the maths that uses it.

The model ships as ``moodtalk/data/face_model.npz`` (built by ``scripts/build_face_model.py``
from real tracked faces; see ``moodtalk/data/README.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from moodtalk.geometry import landmarks as lm
from moodtalk.geometry import similarity_procrustes
from moodtalk.types import N_LANDMARKS

MODEL_FILE = "face_model.npz"


@dataclass(frozen=True)
class FaceModel:
    """Canonical neutral face and its blendshapes (canonical IOD units)."""

    canonical: np.ndarray
    """(478, 3) float32 mean neutral face: centred, eye-centre distance 1, frontal."""
    basis: np.ndarray
    """(K, 478, 3) float32 displacement of each blendshape at weight 1."""
    names: tuple[str, ...]
    """K blendshape names (ARKit style)."""
    mirror: np.ndarray
    """(478,) int index of each point's left/right mirror partner."""

    def __post_init__(self) -> None:
        if self.canonical.shape != (N_LANDMARKS, 3):
            raise ValueError(f"canonical must be (478, 3), got {self.canonical.shape}")
        if self.basis.shape != (len(self.names), N_LANDMARKS, 3):
            raise ValueError(f"basis must be ({len(self.names)}, 478, 3), got {self.basis.shape}")

    def save(self, path: str) -> None:
        np.savez_compressed(path, canonical=self.canonical, basis=self.basis, names=np.array(self.names),
                            mirror=self.mirror)  # fmt: skip


def load_model_file(path: str) -> FaceModel:
    """Load a face model from an ``.npz`` written by :meth:`FaceModel.save`."""
    with np.load(path) as z:
        return FaceModel(canonical=z["canonical"].astype(np.float32), basis=z["basis"].astype(np.float32),
                         names=tuple(str(n) for n in z["names"]), mirror=z["mirror"].astype(np.int64))  # fmt: skip


@lru_cache(maxsize=1)
def default_model() -> FaceModel:
    """The face model shipped with the package."""
    with resources.as_file(resources.files("moodtalk") / "data" / MODEL_FILE) as path:
        return load_model_file(str(path))


def estimate_pose(points: np.ndarray, canonical: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rigid head pose per frame from the expression-free points.

    Args:
        points: (T, 478, 3) landmarks in pixels (all finite).
        canonical: (478, 3) canonical face.

    Returns:
        rotation (T, 3, 3), scale (T,) pixels per IOD unit, translation (T, 3) pixels, such
        that ``points ≈ scale * R @ canonical + t`` on the rigid points.
    """
    rigid = list(lm.RIGID_POINTS)
    return similarity_procrustes(canonical[rigid], points[:, rigid])


def to_canonical(points: np.ndarray, rotation: np.ndarray, scale: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """Remove the head pose: (T, 478, 3) pixels → (T, 478, 3) canonical IOD units."""
    centred = points - translation[:, None, :]
    return np.einsum("tji,tnj->tni", rotation, centred) / scale[:, None, None]  # R^T (x - t) / s


def from_canonical(canon: np.ndarray, rotation: np.ndarray, scale: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """Apply a head pose: (T, 478, 3) canonical → (T, 478, 3) pixels."""
    return scale[:, None, None] * np.einsum("tij,tnj->tni", rotation, canon) + translation[:, None, :]
