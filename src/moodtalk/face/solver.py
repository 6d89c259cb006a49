"""Bounded least-squares blendshape solver, vectorised over frames, with temporal smoothing.

For pose-free landmarks ``x_t`` (T, 478, 3) and a person's neutral face ``n`` it minimises

    Σ_t ½‖D (x_t − n − Σ_k w_tk B_k)‖² + ½λ Σ_t ‖w_t − w_{t−1}‖² + ½μ‖w_t‖² + ν Σ_k w_tk,   0 ≤ w ≤ 1

with D a per-coordinate weighting (lips, lids and brows count more; depth counts less because
MediaPipe's z is the least reliable coordinate). All frames are solved at once by projected
accelerated gradient (FISTA; Beck & Teboulle, 2009), so the cost is a few (T, K) × (K, K)
products per iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moodtalk.geometry import landmarks as lm
from moodtalk.types import N_LANDMARKS


@dataclass(frozen=True)
class SolverConfig:
    """Blendshape solver settings."""

    temporal: float = 0.1
    """λ: pull towards the neighbouring frames' weights (0 = frames independent)."""
    ridge: float = 1e-2
    """μ: keeps weights of shapes the data cannot tell apart small."""
    sparsity: float = 3e-3
    """ν: a small cost per unit of weight, so no shape is used without need."""
    depth_weight: float = 0.5
    """Weight of the z coordinate relative to x and y."""
    feature_weight: float = 6.0
    """Weight of lip, lid, iris and brow points relative to the rest of the face."""
    iterations: int = 400
    """Projected-gradient iterations."""


def coordinate_weights(cfg: SolverConfig) -> np.ndarray:
    """(478, 3) weights D² of the data term."""
    w = np.ones((N_LANDMARKS, 3))
    features = (
        lm.LIPS_UPPER_OUTER + lm.LIPS_LOWER_OUTER + lm.LIPS_UPPER_INNER + lm.LIPS_LOWER_INNER
        + lm.EYE_RIGHT_UPPER + lm.EYE_RIGHT_LOWER + lm.EYE_LEFT_UPPER + lm.EYE_LEFT_LOWER
        + lm.IRIS_RIGHT + lm.IRIS_LEFT + lm.BROW_RIGHT_UPPER + lm.BROW_RIGHT_LOWER
        + lm.BROW_LEFT_UPPER + lm.BROW_LEFT_LOWER
    )  # fmt: skip
    w[list(features)] *= cfg.feature_weight
    w[:, 2] *= cfg.depth_weight
    return w


def solve_weights(
    targets: np.ndarray, neutral: np.ndarray, basis: np.ndarray, cfg: SolverConfig = SolverConfig()
) -> np.ndarray:
    """Blendshape weights for every frame.

    Args:
        targets: (T, 478, 3) pose-free landmarks, canonical units.
        neutral: (478, 3) the person's neutral face.
        basis: (K, 478, 3) blendshape displacements.
        cfg: solver settings.

    Returns:
        (T, K) float32 weights in [0, 1].
    """
    t_count, k_count = targets.shape[0], basis.shape[0]
    if t_count == 0:
        return np.zeros((0, k_count), np.float32)
    d2 = coordinate_weights(cfg).reshape(-1)  # (1434,)
    a = basis.reshape(k_count, -1).astype(np.float64)  # (K, 1434)
    gram = (a * d2) @ a.T  # (K, K)
    rhs = ((targets - neutral).reshape(t_count, -1) * d2) @ a.T  # (T, K)
    lam = cfg.temporal * np.trace(gram) / k_count if t_count > 1 else 0.0
    step = 1.0 / (np.linalg.eigvalsh(gram)[-1] + 4 * lam + cfg.ridge)

    def grad(w: np.ndarray) -> np.ndarray:
        g = w @ gram - rhs + cfg.ridge * w + cfg.sparsity
        if lam:
            lap = np.zeros_like(w)  # (T, K) second difference, free ends
            lap[1:] += w[1:] - w[:-1]
            lap[:-1] += w[:-1] - w[1:]
            g += lam * lap
        return g

    w = np.zeros((t_count, k_count))
    y, momentum = w.copy(), 1.0
    for _ in range(cfg.iterations):
        w_next = np.clip(y - step * grad(y), 0.0, 1.0)
        m_next = 0.5 * (1 + np.sqrt(1 + 4 * momentum**2))
        y = w_next + ((momentum - 1) / m_next) * (w_next - w)
        w, momentum = w_next, m_next
    return w.astype(np.float32)


def reconstruct(weights: np.ndarray, neutral: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """(T, 478, 3) face from (T, K) weights: ``neutral + Σ_k w_k B_k``."""
    return neutral + np.einsum("tk,knd->tnd", weights, basis)


def residual(targets: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """(T,) mean point distance between two (T, 478, 3) faces (canonical = IOD units)."""
    return np.linalg.norm(targets - fitted, axis=-1).mean(-1)


# Shapes a person may hold for a whole clip (an emotion, an open jaw, closed eyes): they stay
# in the weights. The others (lip thickness, jaw shift, mouth width at rest) are as much
# anatomy as expression, so a clip's calm frames lend them to the person's neutral face.
HELD_EXPRESSION_PREFIXES = ("brow", "cheek", "eye", "nose", "mouthSmile", "mouthFrown", "mouthDimple",
                            "mouthStretch", "jawOpen")  # fmt: skip
CALM_QUANTILE = 0.3
"""Frames whose mouth opening is in this lowest fraction of the clip count as calm."""


def fit_identity(
    targets: np.ndarray, canonical: np.ndarray, basis: np.ndarray, names: tuple[str, ...],
    cfg: SolverConfig = SolverConfig(),
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The person's neutral face and the weights, solved together.

    1. Calm face: the mean of the frames with the least mouth opening.
    2. Its weights on the held-expression shapes are expression; the rest of its difference
       from the canonical face is the person's own shape.
    3. Solve all frames against that neutral; then move the mean residual (what no shape
       can explain: a longer nose, fuller lips) into the neutral and solve again.

    Args:
        targets: (T, 478, 3) pose-free landmarks of one person.
        canonical: (478, 3) canonical face.
        basis: (K, 478, 3).
        names: K blendshape names of the basis.
        cfg: solver settings.

    Returns:
        neutral (478, 3) float32 and weights (T, K) float32.
    """
    opening = lm.mouth_opening(targets)
    calm = targets[opening <= np.quantile(opening, CALM_QUANTILE)].mean(0)
    held = np.array([n.startswith(HELD_EXPRESSION_PREFIXES) for n in names])
    calm_weights = solve_weights(calm[None], canonical, basis, cfg)[0] * held
    neutral = calm - np.einsum("k,knd->nd", calm_weights, basis)
    weights = solve_weights(targets, neutral, basis, cfg)
    neutral = neutral + np.mean(targets - reconstruct(weights, neutral, basis), axis=0)
    weights = solve_weights(targets, neutral, basis, cfg)
    return neutral.astype(np.float32), weights
