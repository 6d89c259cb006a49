"""Geometry of the warp renderer: triangulation, thin-plate weights and backward-map rasterisation.

The backward map (output pixel -> portrait pixel) is built in two layers:

* **Face**: a fixed triangulation of the portrait's landmarks (Delaunay, irises left out so a
  blink never folds the mesh) is mapped piecewise-affinely. It is rasterised in *target* space,
  so tearing motions (the lips parting, lids closing) are exact: no inversion is needed. The
  rasteriser is compiled with numba (per-row runs of covered samples), a few ns per sample.
* **Outside the face**: a thin-plate spline through the face oval, a ring of hair/neck points and
  fixed image-border points gives a smooth forward field in portrait space (weights precomputed
  on a coarse grid, so a frame costs one matrix product); it is inverted by a few fixed-point
  steps, which converge because that field is gentle (gradient well below 1).
"""

from __future__ import annotations

import functools

import cv2
import numba
import numpy as np
from scipy.spatial import Delaunay

TPS_REGULARISATION = 1e-4
"""Ridge added to the thin-plate kernel (coordinates normalised to ~[0, 1]): stabilises near-duplicate points."""
INVERSE_ITERATIONS = 4
"""Fixed-point steps that invert the outside field (error shrinks by the field gradient each step)."""
BARY_EPS = 1e-4
"""Tolerance of the inside-triangle test so cells on a shared edge are never missed."""


def triangulate(points: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """Delaunay triangles of 2-D points.

    Args:
        points: (N, 2) positions.
        keep: optional (N,) bool; only these points are used, the returned indices still refer to ``points``.

    Returns:
        (M, 3) int32 vertex indices, non-degenerate triangles only.
    """
    idx = np.arange(len(points)) if keep is None else np.flatnonzero(keep)
    tri = idx[Delaunay(points[idx]).simplices]
    a, b, c = (points[tri[:, k]] for k in range(3))
    area = 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))
    return tri[area > 1e-6].astype(np.int32)


def grid_points(width: int, height: int, step: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Coarse sample grid aligned with ``cv2.resize`` (pixel-centre convention).

    Returns:
        xs (gw,), ys (gh,) pixel coordinates of the grid samples, and gw, gh. Resizing a (gh, gw)
        field to (height, width) with INTER_LINEAR interpolates exactly between these samples.
    """
    gw, gh = max(2, -(-width // step)), max(2, -(-height // step))
    xs = (np.arange(gw) + 0.5) * (width / gw) - 0.5
    ys = (np.arange(gh) + 0.5) * (height / gh) - 0.5
    return xs.astype(np.float32), ys.astype(np.float32), gw, gh


def _tps_kernel(r2: np.ndarray) -> np.ndarray:
    """U(r) = r^2 log r written on r^2 (0 at r = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        k = 0.5 * r2 * np.log(r2)
    return np.nan_to_num(k, nan=0.0, posinf=0.0, neginf=0.0)


def tps_weights(controls: np.ndarray, queries: np.ndarray, scale: float) -> np.ndarray:
    """Linear map from control-point displacements to thin-plate-spline values at query points.

    Args:
        controls: (C, 2) control positions in pixels.
        queries: (M, 2) query positions in pixels.
        scale: pixels per normalised unit (e.g. the image's long side), for conditioning.

    Returns:
        (M, C) float32 ``W`` such that ``W @ d`` interpolates displacements ``d`` (C, k).
    """
    c = controls / scale
    q = queries / scale
    n = len(c)
    k = _tps_kernel(((c[:, None] - c[None]) ** 2).sum(-1)) + TPS_REGULARISATION * np.eye(n)
    p = np.hstack([np.ones((n, 1)), c])
    system = np.zeros((n + 3, n + 3))
    system[:n, :n], system[:n, n:], system[n:, :n] = k, p, p.T
    rhs = np.zeros((n + 3, n))
    rhs[:n] = np.eye(n)
    coef = np.linalg.solve(system, rhs)  # (n + 3, n): spline coefficients per unit displacement
    kq = _tps_kernel(((q[:, None] - c[None]) ** 2).sum(-1))
    pq = np.hstack([np.ones((len(q), 1)), q])
    return (np.hstack([kq, pq]) @ coef).astype(np.float32)


def invert_field(forward: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Backward displacement ``b(x)`` with ``x + b(x) + f(x + b(x)) = x`` on a grid.

    Args:
        forward: (gh, gw, 2) float32 forward displacement sampled at grid points (xs, ys).
        xs, ys: (gw,), (gh,) pixel coordinates of the grid (uniform spacing).

    Returns:
        (gh, gw, 2) float32 backward displacement at the same grid points.
    """
    per_sample = np.array([(len(xs) - 1) / (xs[-1] - xs[0]), (len(ys) - 1) / (ys[-1] - ys[0])], np.float32)
    base = _sample_grid(len(xs), len(ys))
    back = -forward
    for _ in range(INVERSE_ITERATIONS):
        back = cv2.remap(forward, base + back * per_sample, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        np.negative(back, out=back)
    return back


@functools.cache
def _sample_grid(gw: int, gh: int) -> np.ndarray:
    """(gh, gw, 2) float32 sample indices (j, i): a ``cv2.remap`` map that samples a grid at its own points."""
    grid = np.stack(np.meshgrid(np.arange(gw, dtype=np.float32), np.arange(gh, dtype=np.float32)), -1)
    grid.setflags(write=False)
    return grid


@numba.njit(cache=True, nogil=True)
def fill_mesh(
    out: np.ndarray,
    tri: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    x0: float,
    y0: float,
    sx: float,
    sy: float,
    boxes: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Write the piecewise-affine backward map of a triangle mesh into the samples it covers, in place.

    Sample (i, j) of ``out`` sits at target pixel (x0 + j * sx, y0 + i * sy). Every sample inside one of
    ``boxes`` and covered by a target triangle (barycentrics >= -``BARY_EPS``, so shared edges are never
    missed) gets the portrait position of the same barycentric point; other samples are left as they are.
    Compiled (numba, GIL released): a vectorised numpy version cost ~200 ns per sample, this one a few.

    Args:
        out: (gh, gw, 2) float32 map.
        tri: (M, 3) int32 vertex indices.
        src: (N, 2) float32 portrait positions of the vertices, pixels.
        dst: (N, 2) float32 target positions of the vertices, pixels.
        x0, y0, sx, sy: target pixel of sample (0, 0) and the sample spacing.
        boxes: (K, 4) int sample ranges j0, i0, j1, i1 (ends excluded) to fill.
    """
    for t in range(tri.shape[0]):
        p, q, r = tri[t, 0], tri[t, 1], tri[t, 2]
        ax, ay = float(dst[p, 0]), float(dst[p, 1])
        e1x, e1y = dst[q, 0] - ax, dst[q, 1] - ay
        e2x, e2y = dst[r, 0] - ax, dst[r, 1] - ay
        # The triangle's bounding box in samples.
        j_lo = int(np.ceil((min(ax, ax + e1x, ax + e2x) - x0) / sx - BARY_EPS))
        j_hi = int(np.floor((max(ax, ax + e1x, ax + e2x) - x0) / sx + BARY_EPS))
        i_lo = int(np.ceil((min(ay, ay + e1y, ay + e2y) - y0) / sy - BARY_EPS))
        i_hi = int(np.floor((max(ay, ay + e1y, ay + e2y) - y0) / sy + BARY_EPS))
        det = e1x * e2y - e1y * e2x
        if abs(det) <= 1e-4:  # collapsed target triangle: covers nothing
            continue
        # Barycentric l1 = a1 x + b1 y + c1, l2 = a2 x + b2 y + c2 in target pixels.
        a1, b1 = e2y / det, -e2x / det
        a2, b2 = -e1y / det, e1x / det
        c1, c2 = -(a1 * ax + b1 * ay), -(a2 * ax + b2 * ay)
        sx0, sy0 = float(src[p, 0]), float(src[p, 1])
        ux, uy = src[q, 0] - sx0, src[q, 1] - sy0
        vx, vy = src[r, 0] - sx0, src[r, 1] - sy0
        # Per row, the run of columns where all three barycentrics are >= -eps: l = s * j + q with q at j = 0.
        s1, s2 = a1 * sx, a2 * sx
        for k in range(boxes.shape[0]):
            for i in range(max(i_lo, boxes[k, 1]), min(i_hi + 1, boxes[k, 3])):
                y = y0 + i * sy
                q1 = a1 * x0 + b1 * y + c1 + BARY_EPS
                q2 = a2 * x0 + b2 * y + c2 + BARY_EPS
                lo, hi = float(max(j_lo, boxes[k, 0])), float(min(j_hi, boxes[k, 2] - 1))
                for s, q in ((s1, q1), (s2, q2), (-s1 - s2, 1.0 + 3.0 * BARY_EPS - q1 - q2)):
                    if s > 0.0:
                        lo = max(lo, -q / s)
                    elif s < 0.0:
                        hi = min(hi, -q / s)
                    elif q < 0.0:
                        hi = lo - 1.0
                for j in range(int(np.ceil(lo)), int(np.floor(hi)) + 1):
                    l1 = s1 * j + q1 - BARY_EPS
                    l2 = s2 * j + q2 - BARY_EPS
                    out[i, j, 0] = sx0 + l1 * ux + l2 * vx
                    out[i, j, 1] = sy0 + l1 * uy + l2 * vy


def load_kernels() -> None:
    """Compile (first use, a few seconds, cached on disk) or load (~0.1 s) :func:`fill_mesh` with the argument
    types ``render`` passes, so the first frame does not wait for it."""
    fill_mesh(np.zeros((2, 2, 2), np.float32), np.zeros((1, 3), np.int32), np.zeros((3, 3), np.float32)[:, :2],
              np.zeros((3, 2), np.float32), 0.0, 0.0, 1.0, 1.0, np.zeros((1, 4), np.int32))  # fmt: skip


def similarity_2d(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares 2-D similarity per frame (Umeyama in complex form).

    Args:
        src: (N, 2) points.
        dst: (T, N, 2) points.

    Returns:
        (T, 2, 3) float matrices ``A`` with ``dst ≈ A[:, :, :2] @ src + A[:, :, 2]``.
    """
    zs = src[:, 0] + 1j * src[:, 1]
    zd = dst[..., 0] + 1j * dst[..., 1]
    ms, md = zs.mean(), zd.mean(-1, keepdims=True)
    a = ((zd - md) * np.conj(zs - ms)).sum(-1) / (np.abs(zs - ms) ** 2).sum()
    b = md[:, 0] - a * ms
    out = np.empty((len(dst), 2, 3))
    out[:, 0, 0], out[:, 0, 1], out[:, 0, 2] = a.real, -a.imag, b.real
    out[:, 1, 0], out[:, 1, 1], out[:, 1, 2] = a.imag, a.real, b.imag
    return out
