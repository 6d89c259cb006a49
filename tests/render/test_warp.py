"""The compiled mesh rasteriser: the backward map it writes is the exact piecewise-affine inverse."""

from __future__ import annotations

import numpy as np

from moodtalk.render.warp import fill_mesh, grid_points, triangulate


def _mesh(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) float32 portrait points in a 100 px square (corners included) and their Delaunay triangles."""
    rng = np.random.default_rng(seed)
    pts = np.concatenate([[[0, 0], [100, 0], [0, 100], [100, 100]], rng.uniform(0, 100, (40, 2))]).astype(np.float32)
    return pts, triangulate(pts.astype(np.float64))


def test_affine_motion_gives_the_exact_inverse_everywhere_in_the_mesh():
    src, tri = _mesh()
    a = np.array([[1.1, 0.2], [-0.15, 0.9]], np.float32)
    dst = (src @ a.T + [20.0, 30.0]).astype(np.float32)
    xs, ys, gw, gh = grid_points(160, 160, 1)
    out = np.full((gh, gw, 2), -1.0, np.float32)
    fill_mesh(out, tri, src, dst, float(xs[0]), float(ys[0]), 1.0, 1.0, np.array([[0, 0, gw, gh]], np.int32))
    gx, gy = np.meshgrid(xs, ys)
    expect = (np.stack([gx - 20.0, gy - 30.0], -1) @ np.linalg.inv(a).T).astype(np.float32)
    inside = (expect >= 0.5).all(-1) & (expect <= 99.5).all(-1)  # well inside the source square
    covered = (out >= 0).all(-1)
    assert covered[inside].all()
    np.testing.assert_allclose(out[inside], expect[inside], atol=1e-3)
    outside = (expect < -1).any(-1) | (expect > 101).any(-1)
    assert not covered[outside].any()  # samples outside the mesh are left as they were


def test_only_the_given_boxes_are_written_and_coarse_spacing_matches():
    src, tri = _mesh(1)
    dst = src + np.float32(5.0)
    out = np.zeros((30, 30, 2), np.float32)
    boxes = np.array([[2, 3, 10, 8], [20, 20, 25, 26]], np.int32)
    fill_mesh(out, tri, src, dst, 1.5, 1.5, 4.0, 4.0, boxes)  # samples every 4 px from (1.5, 1.5)
    mask = np.zeros((30, 30), bool)
    for j0, i0, j1, i1 in boxes:
        mask[i0:i1, j0:j1] = True
    assert not out[~mask].any()
    i, j = np.nonzero(mask)
    expect = np.stack([1.5 + 4.0 * j - 5.0, 1.5 + 4.0 * i - 5.0], -1)
    np.testing.assert_allclose(out[i, j], expect, atol=1e-3)


def test_collapsed_triangles_cover_nothing():
    src = np.array([[0, 0], [10, 0], [0, 10]], np.float32)
    dst = np.array([[0, 0], [10, 0], [5, 0]], np.float32)  # all on one line
    out = np.zeros((12, 12, 2), np.float32)
    fill_mesh(out, np.array([[0, 1, 2]], np.int32), src, dst, 0.0, 0.0, 1.0, 1.0, np.array([[0, 0, 12, 12]], np.int32))
    assert not out.any()
