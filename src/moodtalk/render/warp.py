"""Geometry of the warp renderer: triangulation, thin-plate weights and backward-map rasterisation.

The backward map (output pixel -> portrait pixel) is built in two layers:

* **Face**: a fixed triangulation of the portrait's landmarks (Delaunay, irises left out so a
  blink never folds the mesh) is mapped piecewise-affinely. It is rasterised in *target* space,
  so tearing motions (the lips parting, lids closing) are exact: no inversion is needed.
* **Outside the face**: a thin-plate spline through the face oval, a ring of hair/neck points and
  fixed image-border points gives a smooth forward field in portrait space (weights precomputed
  on a coarse grid, so a frame costs one matrix product); it is inverted by a few fixed-point
  steps, which converge because that field is gentle (gradient well below 1).
"""

from __future__ import annotations

import cv2
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
    sx = (xs[-1] - xs[0]) / (len(xs) - 1)
    sy = (ys[-1] - ys[0]) / (len(ys) - 1)
    gx, gy = np.meshgrid(np.arange(len(xs), dtype=np.float32), np.arange(len(ys), dtype=np.float32))
    back = -forward
    for _ in range(INVERSE_ITERATIONS):
        mx = gx + back[..., 0] / sx
        my = gy + back[..., 1] / sy
        back = -cv2.remap(forward, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return back


def rasterise(tri: np.ndarray, src: np.ndarray, dst: np.ndarray, regions: np.ndarray) -> tuple[np.ndarray, ...]:
    """Piecewise-affine backward map of a triangle mesh sampled on regular grids, for a batch of frames.

    Sample (i, j) of a region sits at pixel (x0 + j * sx, y0 + i * sy). Every sample covered by a
    target triangle gets the portrait position of the same barycentric point. Fully vectorised over
    frames, regions and triangles (batching amortises numpy's per-call overhead): per-triangle
    affine coefficients once, then each triangle's bounding box of samples is enumerated and tested.

    Args:
        tri: (M, 3) vertex indices.
        src: (N, 2) portrait positions of the vertices, pixels.
        dst: (B, N, 2) target positions of the vertices, pixels.
        regions: (B, R, 6) float grids per frame: x0, y0, sx, sy, gw, gh (gw = 0 for an unused region).

    Returns:
        key (K,) = frame * R + region (sorted), flat sample index (K,) into that region's (gh * gw) grid,
        and (K, 2) float32 portrait positions.
    """
    nb, nr = regions.shape[:2]
    t0, t1, t2 = tri[:, 0], tri[:, 1], tri[:, 2]
    dx, dy = dst[..., 0].astype(np.float32), dst[..., 1].astype(np.float32)
    ax, bx, cx_ = dx[:, t0], dx[:, t1], dx[:, t2]  # (B, M)
    ay, by, cy_ = dy[:, t0], dy[:, t1], dy[:, t2]
    e1x, e1y, e2x, e2y = bx - ax, by - ay, cx_ - ax, cy_ - ay
    det = e1x * e2y - e1y * e2x
    ok = np.abs(det) > 1e-4  # degenerate (collapsed) target triangles cover no sample
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0).astype(np.float32)
    # Barycentric l1 = a1 x + b1 y + c1, l2 = a2 x + b2 y + c2 in target pixels.
    a1, b1 = e2y * inv, -e2x * inv
    a2, b2 = -e1y * inv, e1x * inv
    c1 = -(a1 * ax + b1 * ay)
    c2 = -(a2 * ax + b2 * ay)
    s0x, s0y = src[t0, 0].astype(np.float32), src[t0, 1].astype(np.float32)
    ux, uy = src[t1, 0] - s0x, src[t1, 1] - s0y
    vx, vy = src[t2, 0] - s0x, src[t2, 1] - s0y
    coef = np.stack(
        [a1, b1, c1, a2, b2, c2,
         a1 * ux + a2 * vx, b1 * ux + b2 * vx, c1 * ux + c2 * vx + s0x,
         a1 * uy + a2 * vy, b1 * uy + b2 * vy, c1 * uy + c2 * vy + s0y]
    ).astype(np.float32).reshape(12, -1)  # fmt: skip
    xmin, xmax = np.minimum(np.minimum(ax, bx), cx_)[:, None], np.maximum(np.maximum(ax, bx), cx_)[:, None]
    ymin, ymax = np.minimum(np.minimum(ay, by), cy_)[:, None], np.maximum(np.maximum(ay, by), cy_)[:, None]
    x0, y0, sx, sy, gw, gh = (regions[..., i].astype(np.float32)[..., None] for i in range(6))  # (B, R, 1)
    lox = np.maximum(np.ceil((xmin - x0) / sx - BARY_EPS), 0).astype(np.int32)  # (B, R, M)
    loy = np.maximum(np.ceil((ymin - y0) / sy - BARY_EPS), 0).astype(np.int32)
    hix = np.minimum(np.floor((xmax - x0) / sx + BARY_EPS), gw - 1).astype(np.int32)
    hiy = np.minimum(np.floor((ymax - y0) / sy + BARY_EPS), gh - 1).astype(np.int32)
    w = np.maximum(hix - lox + 1, 0)
    counts = (np.where(ok[:, None], w * np.maximum(hiy - loy + 1, 0), 0)).ravel()
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 2), np.float32)
    k = np.arange(total, dtype=np.int32) - np.repeat((np.cumsum(counts) - counts).astype(np.int32), counts)
    cy, cx = np.divmod(k, np.repeat(w.ravel(), counts))
    cx += np.repeat(lox.ravel(), counts)
    cy += np.repeat(loy.ravel(), counts)
    flat = np.repeat(np.arange(len(counts), dtype=np.int32), counts)  # index into (B, R, M)
    key = flat // len(tri)  # frame * R + region
    tid = (key // nr) * len(tri) + flat % len(tri)  # index into (B, M) coefficients
    reg = regions.reshape(-1, 6).astype(np.float32)
    x = cx.astype(np.float32) * reg[key, 2] + reg[key, 0]
    y = cy.astype(np.float32) * reg[key, 3] + reg[key, 1]
    l1 = coef[0][tid] * x + coef[1][tid] * y + coef[2][tid]
    l2 = coef[3][tid] * x + coef[4][tid] * y + coef[5][tid]
    inside = (l1 >= -BARY_EPS) & (l2 >= -BARY_EPS) & (l1 + l2 <= 1 + BARY_EPS)
    # Only the covered samples pay for the source position.
    tid, x, y, cx, cy, key = tid[inside], x[inside], y[inside], cx[inside], cy[inside], key[inside]
    pos = np.empty((len(tid), 2), np.float32)
    pos[:, 0] = coef[6][tid] * x + coef[7][tid] * y + coef[8][tid]
    pos[:, 1] = coef[9][tid] * x + coef[10][tid] * y + coef[11][tid]
    index = cy.astype(np.int64) * reg[key, 4].astype(np.int64) + cx
    return key.astype(np.int64), index, pos


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
