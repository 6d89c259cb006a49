"""The blendshape solver on synthetic faces made with the shipped face model."""

from __future__ import annotations

import numpy as np

from moodtalk.face.model import default_model, estimate_pose, from_canonical, to_canonical
from moodtalk.face.solver import SolverConfig, fit_identity, reconstruct, residual, solve_weights
from moodtalk.geometry import euler_to_matrix
from moodtalk.types import BLENDSHAPE_NAMES, N_LANDMARKS


def test_model_has_every_arkit_shape_and_a_frontal_unit_face() -> None:
    m = default_model()
    assert m.names == BLENDSHAPE_NAMES and len(m.names) >= 40
    assert m.canonical.shape == (N_LANDMARKS, 3) and m.basis.shape == (len(m.names), N_LANDMARKS, 3)
    from moodtalk.geometry.landmarks import interocular

    assert abs(float(interocular(m.canonical)) - 1.0) < 1e-3
    assert np.all(np.abs(m.basis).max(axis=(1, 2)) > 0.01), "every shape must move something"
    assert (m.mirror[m.mirror] == np.arange(N_LANDMARKS)).all()


def test_solver_recovers_sparse_weights() -> None:
    m = default_model()
    rng = np.random.default_rng(0)
    names = ["jawOpen", "mouthSmileLeft", "browInnerUp", "eyeBlinkRight", "mouthPucker"]
    truth = np.zeros((40, len(m.names)), np.float32)
    for n in names:
        truth[:, m.names.index(n)] = rng.uniform(0.1, 0.9, size=40)
    faces = reconstruct(truth, m.canonical, m.basis)
    w = solve_weights(faces, m.canonical, m.basis, SolverConfig(temporal=0.0))
    for n in names:
        k = m.names.index(n)
        assert np.abs(w[:, k] - truth[:, k]).max() < 0.1, n
    assert w.min() >= 0.0 and w.max() <= 1.0


def test_solver_keeps_weights_in_bounds_for_exaggerated_faces() -> None:
    m = default_model()
    k = m.names.index("jawOpen")
    face = m.canonical + 2.5 * m.basis[k]  # beyond the strongest natural pose
    w = solve_weights(face[None], m.canonical, m.basis)
    assert w[0, k] == 1.0


def test_pose_is_removed_before_solving() -> None:
    m = default_model()
    truth = np.zeros((3, len(m.names)), np.float32)
    truth[:, m.names.index("jawOpen")] = [0.1, 0.4, 0.7]
    canon = reconstruct(truth, m.canonical, m.basis)
    rot = euler_to_matrix(np.array([[15.0, 5.0, -3.0], [-20.0, -8.0, 6.0], [0.0, 12.0, 0.0]]))
    pixels = from_canonical(canon, rot, np.array([90.0, 110.0, 70.0]), np.array([[200, 240, 0]] * 3, float))
    r, s, t = estimate_pose(pixels, m.canonical)
    back = to_canonical(pixels, r, s, t)
    w = solve_weights(back, m.canonical, m.basis, SolverConfig(temporal=0.0))
    np.testing.assert_allclose(w[:, m.names.index("jawOpen")], [0.1, 0.4, 0.7], atol=0.08)


def test_identity_takes_the_persons_shape_not_their_expression() -> None:
    m = default_model()
    rng = np.random.default_rng(3)
    # A person with a different face: a smooth random offset the blendshapes cannot express.
    person = m.canonical + 0.02 * rng.normal(size=m.canonical.shape).astype(np.float32)
    truth = np.zeros((60, len(m.names)), np.float32)
    truth[:, m.names.index("jawOpen")] = 0.3 * (1 + np.sin(np.arange(60) / 3))
    truth[:, m.names.index("mouthSmileLeft")] = 0.6  # held for the whole clip
    faces = reconstruct(truth, person, m.basis)
    neutral, w = fit_identity(faces, m.canonical, m.basis, m.names)
    assert np.median(residual(faces, reconstruct(w, neutral, m.basis))) < 0.01
    assert abs(float(np.median(w[:, m.names.index("mouthSmileLeft")])) - 0.6) < 0.15
    jaw = w[:, m.names.index("jawOpen")]
    assert np.corrcoef(jaw, truth[:, m.names.index("jawOpen")])[0, 1] > 0.95
