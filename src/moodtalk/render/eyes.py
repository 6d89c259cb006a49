"""Appearance step for the eyes: a closing upper lid drawn over the warped eye.

The warp alone cannot close an eye: squeezing the eye opening between the moving lid landmarks keeps the
iris, the dark lash band and the eye white, only flatter, so the eye still reads (and re-tracks) as open.
This step repaints each eye per frame, in an eye frame (u along the outer-to-inner corner axis, v across,
both in eye widths, v growing towards the lower lid), wherever the target upper lid is lower than the
portrait's:

* **eyeball**: the opening left between the target lids shows the portrait's eye at the same place in the
  corner frame (the eyeball does not move when the lid closes: it is covered, not squashed);
* **lid**: from the portrait's upper-lid line (plus a fold above it) down to the target upper lid, skin
  sampled from the portrait just under the brow (the lid skin hidden in the fold of an open eye),
  slightly darker towards the lash line;
* **lash line**: a dark soft line along the target upper lid, thickest in the middle.

Nothing is drawn when the target lids are at the portrait's position, so an identity frame is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numba
import numpy as np

from moodtalk.geometry.landmarks import (
    BROW_LEFT_LOWER,
    BROW_RIGHT_LOWER,
    EYE_LEFT_LOWER,
    EYE_LEFT_UPPER,
    EYE_RIGHT_LOWER,
    EYE_RIGHT_UPPER,
)

FOLD_RIGHT = (247, 30, 29, 27, 28, 56, 190)
"""FaceMesh ring just above the right upper lid (about the lid fold), outer to inner."""
ORBIT_RIGHT = (113, 225, 224, 223, 222, 221, 189)
"""The next ring up (under the brow)."""
FOLD_LEFT = (467, 260, 259, 257, 258, 286, 414)
ORBIT_LEFT = (342, 445, 444, 443, 442, 441, 413)
N_U = 33
"""Samples along the eye of the lid curves and the lid colour."""
U_GRID = np.linspace(0.0, 1.0, N_U)
"""Where the lid curves are sampled (u, eye widths)."""
BROW_CLEARANCE = 0.05
"""The sampled lid skin stays this far (eye widths) below the brow's lower edge."""
LASH_MAX = 0.5
"""The lash colour is at most this share of the lid skin colour."""
CREASE = 0.07
"""Darkening of the crease left where the lid fold was, at full closure."""
LASH_WIDTH = 0.028
"""Lash-line thickness (eye widths) in the middle of the eye."""
LASH_OPACITY = 0.85
"""Opacity of the lash line at full closure."""
LID_SHADE = 0.14
"""How much darker the lid is at the lash line than at the fold."""
CLOSURE_RAMP = 0.3
"""Closure (share of the portrait's opening that is shut) over which the drawing fades in."""
CORNER_TAPER = 0.15
"""The drawn lid fades out over this distance (eye widths) towards each eye corner."""
MIN_CLOSURE = 0.04
"""Below this closure (and lid descent) the eye is left to the warp: the drawing would be invisible (< 5 %)."""
MIN_WIDTH = 5.0
"""Eyes narrower than this (pixels) are left to the warp."""


@dataclass(frozen=True)
class EyeRig:
    """One eye of the portrait, measured once."""

    upper: np.ndarray
    """Upper-lid landmark ids, outer corner first."""
    lower: np.ndarray
    """Lower-lid landmark ids, outer corner first."""
    orbit: np.ndarray
    """Ids of the second landmark ring above the upper lid (top of the repainted lid)."""
    origin: np.ndarray
    """(2,) outer corner in the portrait, pixels."""
    axis: np.ndarray
    """(2,) outer-to-inner corner unit vector."""
    normal: np.ndarray
    """(2,) unit normal towards the lower lid."""
    width: float
    """Corner-to-corner distance, pixels."""
    side: float
    """+1 when the normal is the axis turned by +90 degrees (image coordinates), else -1."""
    v_up: np.ndarray
    """(N_U,) portrait upper-lid v at u = linspace(0, 1, N_U)."""
    v_lo: np.ndarray
    """(N_U,) portrait lower-lid v."""
    v_fold: np.ndarray
    """(N_U,) portrait v of the lid fold (the first landmark ring above the upper lid)."""
    v_orbit: np.ndarray
    """(N_U,) portrait v of the second ring above the lid (kept under the brow): the closed lid's skin is the
    portrait's skin between this ring and the fold, stretched down to the lash line."""
    lash: np.ndarray
    """(3,) float lash colour."""


def _frame(
    pts: np.ndarray, upper: np.ndarray | tuple[int, ...], side: float = 0.0
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Origin, unit axis, width in pixels and unit normal (towards the lower lid) of an eye.

    ``side``: +1 or -1 picks the normal's turn from the axis; 0 picks it so that the upper lid has v < 0
    (only valid on an open eye: the portrait's, whose choice is then kept for the targets).
    """
    origin = pts[upper[0]].astype(np.float64)
    axis = pts[upper[-1]].astype(np.float64) - origin
    width = float(np.hypot(*axis))
    ax = axis / max(width, 1e-6)
    nrm = np.array([-ax[1], ax[0]])
    if side == 0.0:
        side = -1.0 if ((pts[list(upper[1:-1])] - origin) @ nrm).sum() > 0 else 1.0
    return origin, ax, width, nrm * side


def _curve(pts: np.ndarray, ids: np.ndarray | tuple[int, ...], origin: np.ndarray, ax: np.ndarray, nrm: np.ndarray,
           width: float) -> np.ndarray:  # fmt: skip
    """Lid curve v(u) on the u grid (eye widths), from landmarks ``pts[ids]``."""
    d = (pts[np.asarray(ids)] - origin) / width
    u, v = d @ ax, d @ nrm
    o = np.argsort(u)
    return np.interp(U_GRID, u[o], v[o])


def _local(origin: np.ndarray, ax: np.ndarray, nrm: np.ndarray, width: float, u: np.ndarray, v: np.ndarray):  # noqa: ANN202
    """Pixel positions of eye-frame coordinates."""
    return origin[0] + width * (u * ax[0] + v * nrm[0]), origin[1] + width * (u * ax[1] + v * nrm[1])


def prepare_eyes(image: np.ndarray, pts: np.ndarray) -> tuple[EyeRig, ...]:
    """Lid curves and lash colours of both eyes of the portrait.

    Args:
        image: (H, W, 3) uint8 RGB portrait.
        pts: (478, 2+) landmarks in pixels.
    """
    rigs = []
    grid = U_GRID
    for upper, lower, fold, orbit, brow in (
        (EYE_RIGHT_UPPER, EYE_RIGHT_LOWER, FOLD_RIGHT, ORBIT_RIGHT, BROW_RIGHT_LOWER),
        (EYE_LEFT_UPPER, EYE_LEFT_LOWER, FOLD_LEFT, ORBIT_LEFT, BROW_LEFT_LOWER),
    ):
        xy = pts[:, :2]
        origin, ax, width, nrm = _frame(xy, upper)
        side = 1.0 if np.dot(nrm, [-ax[1], ax[0]]) > 0 else -1.0
        v_up = _curve(xy, upper, origin, ax, nrm, width)
        v_lo = _curve(xy, lower, origin, ax, nrm, width)
        v_fold = np.minimum(_curve(xy, fold, origin, ax, nrm, width), v_up - 0.03)
        v_brow = _curve(xy, brow, origin, ax, nrm, width) + BROW_CLEARANCE
        v_orbit = np.minimum(np.maximum(_curve(xy, orbit, origin, ax, nrm, width), v_brow), v_fold - 0.02)
        # Lash colour: the darkest pixels along the portrait's upper lid line.
        s = np.linspace(-0.04, 0.02, 5)[:, None]
        mx, my = _local(origin, ax, nrm, width, np.broadcast_to(grid, (5, N_U))[:, 4:-4],
                        (v_up[None] + s)[:, 4:-4])  # fmt: skip
        line = cv2.remap(image, mx.astype(np.float32), my.astype(np.float32), cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE).reshape(-1, 3).astype(np.float32)  # fmt: skip
        lum = line.mean(1)
        lash = np.median(line[lum <= np.quantile(lum, 0.2)], 0)
        mx, my = _local(origin, ax, nrm, width, grid, 0.5 * (v_fold + v_orbit))
        skin = cv2.remap(image, mx.astype(np.float32)[None], my.astype(np.float32)[None], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REPLICATE)[0].astype(np.float32)  # fmt: skip
        lash = np.minimum(lash, LASH_MAX * np.median(skin, 0))  # a lash line is always clearly darker than the lid
        ids = (np.array(upper), np.array(lower), np.array(orbit))
        rigs.append(EyeRig(*ids, origin, ax, nrm, width, side, v_up, v_lo, v_fold, v_orbit, lash.astype(np.float32)))
    return tuple(rigs)


def _smooth(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _batch_curve(xy: np.ndarray, origin: np.ndarray, width: np.ndarray, ax: np.ndarray, nrm: np.ndarray,
                 ids: np.ndarray, grid: np.ndarray) -> np.ndarray:  # fmt: skip
    """(T, G) lid v at u = grid for (T, 478, 2) points in per-frame eye frames: ``_curve`` for many frames."""
    d = (xy[:, ids] - origin[:, None]) / width[:, None, None]
    u, v = (d * ax[:, None]).sum(-1), (d * nrm[:, None]).sum(-1)
    o = np.argsort(u, 1)
    u, v = np.take_along_axis(u, o, 1), np.take_along_axis(v, o, 1)
    # np.interp per frame: the segment holding each grid u, clamped to the end values outside.
    k = np.clip((u[:, None, :] <= grid[None, :, None]).sum(-1), 1, u.shape[1] - 1)
    u0, u1 = np.take_along_axis(u, k - 1, 1), np.take_along_axis(u, k, 1)
    v0, v1 = np.take_along_axis(v, k - 1, 1), np.take_along_axis(v, k, 1)
    w = np.clip((grid - u0) / np.maximum(u1 - u0, 1e-12), 0.0, 1.0)
    return v0 + w * (v1 - v0)


def lids_moved(rigs: tuple[EyeRig, ...], pts: np.ndarray) -> np.ndarray:
    """Which frames :func:`paint_eyes` draws anything in, for a whole batch at once (skips its per-frame setup).

    Args:
        rigs: from :func:`prepare_eyes`.
        pts: (T, 478, 2+) target landmarks in pixels.

    Returns:
        (T,) bool; False only where ``paint_eyes`` would leave every eye to the warp (same tests, vectorised).
    """
    mid = slice(N_U // 3, N_U - N_U // 3)
    grid = U_GRID[mid]
    xy = pts[..., :2].astype(np.float64)
    moved = np.zeros(len(pts), bool)
    for eye in rigs:
        origin = xy[:, eye.upper[0]]
        axis = xy[:, eye.upper[-1]] - origin
        width = np.hypot(axis[:, 0], axis[:, 1])
        ax = axis / np.maximum(width, 1e-6)[:, None]
        nrm = eye.side * np.stack([-ax[:, 1], ax[:, 0]], 1)
        frame = (xy, origin, np.maximum(width, 1e-6), ax, nrm)
        v_up, v_lo = _batch_curve(*frame, eye.upper, grid), _batch_curve(*frame, eye.lower, grid)
        open_p = np.maximum(eye.v_lo - eye.v_up, 1e-3)[mid]
        closure = np.clip(1.0 - (v_lo - v_up) / open_p, 0.0, 1.0).mean(1)
        descent = np.clip((v_up - eye.v_up[mid]) / open_p, 0.0, 1.0).mean(1)
        # A margin keeps float rounding from skipping a frame that paint_eyes would (barely) draw.
        moved |= (width >= MIN_WIDTH) & (np.maximum(closure, descent) >= MIN_CLOSURE - 1e-6)
    return moved


def paint_eyes(frame: np.ndarray, portrait: np.ndarray, rigs: tuple[EyeRig, ...], pts: np.ndarray) -> None:
    """Draw the closing upper lids into ``frame`` in place.

    Args:
        frame: (H, W, 3) uint8 RGB warped frame.
        portrait: (H, W, 3) uint8 RGB portrait (the eyeball is re-sampled from it).
        rigs: from :func:`prepare_eyes`.
        pts: (478, 2+) target landmarks in pixels.
    """
    h, w = frame.shape[:2]
    mid = slice(N_U // 3, N_U - N_U // 3)
    for eye in rigs:
        xy = pts[:, :2]
        origin, ax, width, nrm = _frame(xy, eye.upper, eye.side)
        if width < MIN_WIDTH:
            continue
        v_up = _curve(xy, eye.upper, origin, ax, nrm, width)
        v_lo = _curve(xy, eye.lower, origin, ax, nrm, width)
        open_p = np.maximum(eye.v_lo - eye.v_up, 1e-3)
        closure = float(np.clip(1.0 - (v_lo - v_up)[mid] / open_p[mid], 0.0, 1.0).mean())
        descent = float(np.clip((v_up - eye.v_up)[mid] / open_p[mid], 0.0, 1.0).mean())
        g = float(_smooth(np.array(closure / CLOSURE_RAMP)))
        g_lid = float(_smooth(np.array(descent / CLOSURE_RAMP)))
        if max(closure, descent) < MIN_CLOSURE:
            continue
        v_orb = _curve(xy, eye.orbit, origin, ax, nrm, width)
        # Pixel box of the eye frame region to repaint.
        corners = np.array([[-0.06, v_orb.min() - 0.02], [1.06, v_lo.max() + 0.05]])
        us, vs = np.meshgrid(corners[:, 0], corners[:, 1])
        bx, by = _local(origin, ax, nrm, width, us.ravel(), vs.ravel())
        x0, x1 = int(max(np.floor(bx.min()), 0)), int(min(np.ceil(bx.max()) + 1, w))
        y0, y1 = int(max(np.floor(by.min()), 0)), int(min(np.ceil(by.max()) + 1, h))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        curves = np.stack([v_up, v_lo, v_orb, eye.v_orbit, eye.v_up + min(descent, 1.0) * (eye.v_fold - eye.v_up),
                           eye.v_fold])  # fmt: skip
        target_frame = np.array([x0 - origin[0], y0 - origin[1], ax[0], ax[1], nrm[0], nrm[1], width])
        portrait_frame = np.array([*eye.origin, *eye.axis, *eye.normal, eye.width])
        _paint_lid(frame[y0:y1, x0:x1], portrait, target_frame, portrait_frame, curves, eye.lash.astype(np.float64),
                   g, g_lid)  # fmt: skip


def load_kernels() -> None:
    """Compile (first use, cached on disk) or load the lid painter with the argument types ``paint_eyes``
    passes, so the first blink does not wait for it."""
    _paint_lid(np.zeros((3, 3, 3), np.uint8)[1:, 1:], np.zeros((2, 2, 3), np.uint8), np.ones(7), np.ones(7),
               np.zeros((6, N_U)), np.zeros(3), 0.0, 0.0)  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _smooth1(x: float) -> float:  # pragma: no cover - compiled
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


@numba.njit(cache=True, nogil=True)
def _on_grid(curve: np.ndarray, u: float) -> float:  # pragma: no cover - compiled
    """Curve sampled at u = linspace(0, 1, N_U), linearly interpolated at u in [0, 1]."""
    f = u * (len(curve) - 1)
    k = min(int(f), len(curve) - 2)
    w = f - k
    return curve[k] * (1.0 - w) + curve[k + 1] * w


@numba.njit(cache=True, nogil=True)
def _bilinear(image: np.ndarray, x: float, y: float, c: int) -> float:  # pragma: no cover - compiled
    """Channel c of an (H, W, 3) image at (x, y), bilinear, edges replicated (as ``cv2.remap``)."""
    h, w = image.shape[0], image.shape[1]
    fx, fy = np.floor(x), np.floor(y)
    wx, wy = x - fx, y - fy
    xa, ya = min(max(int(fx), 0), w - 1), min(max(int(fy), 0), h - 1)
    xb, yb = min(max(int(fx) + 1, 0), w - 1), min(max(int(fy) + 1, 0), h - 1)
    top = image[ya, xa, c] * (1.0 - wx) + image[ya, xb, c] * wx
    bottom = image[yb, xa, c] * (1.0 - wx) + image[yb, xb, c] * wx
    return top * (1.0 - wy) + bottom * wy


@numba.njit(cache=True, nogil=True)
def _paint_lid(
    crop: np.ndarray,
    portrait: np.ndarray,
    tf: np.ndarray,
    pf: np.ndarray,
    curves: np.ndarray,
    lash: np.ndarray,
    g: float,
    g_lid: float,
) -> None:  # pragma: no cover - compiled
    """Repaint one eye in ``crop`` (h, w, 3) uint8 in place; compiled, one pass per pixel.

    Args:
        crop: the frame's region around the eye.
        portrait: (H, W, 3) uint8 portrait (eyeball and lid skin are sampled from it).
        tf: crop pixel (0, 0) relative to the target eye's origin (2), its unit axis (2), normal (2) and width.
        pf: the portrait eye's origin (2), axis (2), normal (2) and width.
        curves: (6, N_U) target upper lid, target lower lid, target orbit ring, portrait orbit ring, bottom of
            the portrait band shown on the lid, portrait fold (v in eye widths at u = linspace(0, 1, N_U)).
        lash: (3,) lash colour.
        g, g_lid: strengths of the closure (eyeball, lash line) and of the lid descent.
    """
    width = tf[6]
    px = 1.0 / width  # one pixel in eye widths
    for i in range(crop.shape[0]):
        for j in range(crop.shape[1]):
            dx, dy = tf[0] + j, tf[1] + i
            u = (dx * tf[2] + dy * tf[3]) / width
            v = (dx * tf[4] + dy * tf[5]) / width
            uc = min(max(u, 0.0), 1.0)
            vu_t, vl_t = _on_grid(curves[0], uc), _on_grid(curves[1], uc)
            inside = _smooth1(min(u, 1.0 - u) * width + 0.5)  # soft corners, in pixels
            # Eyeball: the portrait's eye at the same place in the corner frame, covered rather than squashed.
            a_eye = g * inside * _smooth1((v - vu_t) / px + 1.0) * _smooth1((vl_t - v) / px + 0.5)
            # Lid: the target band from the orbit ring down to the lid line shows the portrait's band from the
            # orbit ring down to a bottom that moves from the lid line (open) to the fold (closed: no lashes).
            top_t = min(_on_grid(curves[2], uc), vu_t - px)
            t = min(max((v - top_t) / max(vu_t - top_t, 1e-3), 0.0), 1.0)
            taper = _smooth1(min(u, 1.0 - u) / CORNER_TAPER)  # the lid narrows into the corners
            a_lid = g_lid * taper * _smooth1(t / 0.25) * _smooth1((vu_t - v) / px + 0.5)
            # Lash line along the target lid, hanging slightly below it (closed lashes point down).
            arc = np.sqrt(min(max(np.sin(np.pi * uc), 0.0), 1.0))
            thick = max(LASH_WIDTH * arc, 0.7 * px)
            off = (v - vu_t - 0.35 * thick) / thick
            a_lash = (
                g * LASH_OPACITY * inside * np.exp(-0.5 * off * off * (2.0 if off < 0 else 1.0)) * (0.4 + 0.6 * arc)
            )
            if a_eye <= 0.0 and a_lid <= 0.0 and a_lash <= 0.0:
                continue
            v_lid = _on_grid(curves[3], uc) + t * (_on_grid(curves[4], uc) - _on_grid(curves[3], uc))
            fold = (v - _on_grid(curves[5], uc)) / (2.5 * px)
            shading = 1.0 - LID_SHADE * g_lid * t**4 - CREASE * g_lid * np.exp(-0.5 * fold * fold)
            # Portrait pixels of the eyeball (u, v) and of the lid skin (u, v_lid).
            ex = pf[0] + pf[6] * (u * pf[2] + v * pf[4])
            ey = pf[1] + pf[6] * (u * pf[3] + v * pf[5])
            lx = pf[0] + pf[6] * (u * pf[2] + v_lid * pf[4])
            ly = pf[1] + pf[6] * (u * pf[3] + v_lid * pf[5])
            for c in range(3):
                x = float(crop[i, j, c])
                if a_eye > 0.0:
                    x += (_bilinear(portrait, ex, ey, c) - x) * a_eye
                if a_lid > 0.0:
                    x += (_bilinear(portrait, lx, ly, c) * shading - x) * a_lid
                x += (lash[c] - x) * a_lash
                crop[i, j, c] = np.uint8(min(max(x + 0.5, 0.0), 255.0))
