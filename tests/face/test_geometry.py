"""Pure maths of the face stage: Procrustes, Euler angles, one-euro filter."""

from __future__ import annotations

import numpy as np

from moodtalk.geometry import euler_to_matrix, matrix_to_euler, one_euro_filter, similarity_procrustes


def test_procrustes_recovers_a_known_similarity() -> None:
    rng = np.random.default_rng(0)
    src = rng.normal(size=(50, 3))
    rot = euler_to_matrix(np.array([[20.0, -10.0, 5.0], [-35.0, 15.0, -8.0]]))
    scale = np.array([120.0, 60.0])
    shift = np.array([[250.0, 300.0, 4.0], [100.0, 80.0, -2.0]])
    dst = scale[:, None, None] * np.einsum("tij,nj->tni", rot, src) + shift[:, None]
    r, s, t = similarity_procrustes(src, dst)
    np.testing.assert_allclose(r, rot, atol=1e-9)
    np.testing.assert_allclose(s, scale, rtol=1e-9)
    np.testing.assert_allclose(t, shift, atol=1e-6)
    assert np.allclose(np.linalg.det(r), 1.0)


def test_procrustes_never_returns_a_reflection() -> None:
    src = np.random.default_rng(1).normal(size=(30, 3))
    mirrored = src * np.array([-1.0, 1.0, 1.0])
    r, _, _ = similarity_procrustes(src, mirrored[None])
    assert np.allclose(np.linalg.det(r), 1.0)


def test_euler_round_trip() -> None:
    angles = np.array([[0.0, 0.0, 0.0], [30.0, -20.0, 10.0], [-60.0, 45.0, -170.0]])
    np.testing.assert_allclose(matrix_to_euler(euler_to_matrix(angles)), angles, atol=1e-9)


def test_one_euro_removes_jitter_without_lagging_a_fast_move() -> None:
    fps = 25.0
    rng = np.random.default_rng(2)
    still = 1.0 + 0.01 * rng.normal(size=(100, 3))
    out = one_euro_filter(still, fps, min_cutoff=3.0, beta=3.0)
    assert out[20:].std() < 0.6 * still[20:].std()
    step = np.r_[np.zeros(50), np.full(50, 0.3)][:, None]
    out = one_euro_filter(step, fps, min_cutoff=3.0, beta=3.0)
    assert out[52, 0] > 0.25  # within two frames of a lip-sized jump


def test_one_euro_restarts_after_missing_frames() -> None:
    x = np.r_[np.zeros(5), np.full(3, np.nan), np.ones(5)][:, None]
    out = one_euro_filter(x, 25.0)
    assert np.isnan(out[5:8]).all()
    assert out[8, 0] == 1.0
