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

    upper: tuple[int, ...]
    """Upper-lid landmark ids, outer corner first."""
    lower: tuple[int, ...]
    """Lower-lid landmark ids, outer corner first."""
    orbit: tuple[int, ...]
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
    pts: np.ndarray, upper: tuple[int, ...], side: float = 0.0
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


def _curve(pts: np.ndarray, ids: tuple[int, ...], origin: np.ndarray, ax: np.ndarray, nrm: np.ndarray,
           width: float) -> np.ndarray:  # fmt: skip
    """Lid curve v(u) on the u grid (eye widths)."""
    d = pts[list(ids)].astype(np.float64) - origin
    u, v = d @ ax / width, d @ nrm / width
    o = np.argsort(u)
    return np.interp(np.linspace(0.0, 1.0, N_U), u[o], v[o])


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
    grid = np.linspace(0.0, 1.0, N_U)
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
        rigs.append(EyeRig(tuple(upper), tuple(lower), tuple(orbit), origin, ax, nrm, width, side, v_up, v_lo, v_fold,
                           v_orbit, lash.astype(np.float32)))  # fmt: skip
    return tuple(rigs)


def _sample(portrait: np.ndarray, eye: EyeRig, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Portrait colours (float) at eye-frame coordinates of the portrait's eye."""
    mx, my = _local(eye.origin, eye.axis, eye.normal, eye.width, u, v)
    return cv2.remap(portrait, mx.astype(np.float32), my.astype(np.float32), cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE).astype(np.float32)  # fmt: skip


def _smooth(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def paint_eyes(frame: np.ndarray, portrait: np.ndarray, rigs: tuple[EyeRig, ...], pts: np.ndarray) -> None:
    """Draw the closing upper lids into ``frame`` in place.

    Args:
        frame: (H, W, 3) uint8 RGB warped frame.
        portrait: (H, W, 3) uint8 RGB portrait (the eyeball is re-sampled from it).
        rigs: from :func:`prepare_eyes`.
        pts: (478, 2+) target landmarks in pixels.
    """
    h, w = frame.shape[:2]
    grid = np.linspace(0.0, 1.0, N_U)
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
        gx, gy = np.meshgrid(np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64))
        dx, dy = gx - origin[0], gy - origin[1]
        u = (dx * ax[0] + dy * ax[1]) / width
        v = (dx * nrm[0] + dy * nrm[1]) / width
        uc = np.clip(u, 0.0, 1.0)
        vu_t = np.interp(uc, grid, v_up)
        vl_t = np.interp(uc, grid, v_lo)
        inside = _smooth(np.minimum(u, 1.0 - u) * width + 0.5)  # soft corners, in pixels
        px = 1.0 / width  # one pixel in eye widths
        crop = frame[y0:y1, x0:x1].astype(np.float32)

        # Eyeball: the portrait's eye at the same place in the corner frame, covered rather than squashed.
        if g > 0.0:
            a = g * inside * _smooth((v - vu_t) / px + 1.0) * _smooth((vl_t - v) / px + 0.5)
            crop += (_sample(portrait, eye, u, v) - crop) * a[..., None]

        # Lid: the target band from the orbit ring down to the lid line shows the portrait's band from the orbit
        # ring down to a bottom that moves from the lid line (open) to the fold (closed: skin only, no lashes).
        top_t = np.minimum(np.interp(uc, grid, v_orb), vu_t - px)
        top_p = np.interp(uc, grid, eye.v_orbit)
        bottom_p = np.interp(uc, grid, eye.v_up + min(descent, 1.0) * (eye.v_fold - eye.v_up))
        t = np.clip((v - top_t) / np.maximum(vu_t - top_t, 1e-3), 0.0, 1.0)
        lid = _sample(portrait, eye, u, top_p + t * (bottom_p - top_p))
        fold_t = np.interp(uc, grid, eye.v_fold)
        shading = 1.0 - LID_SHADE * g_lid * t**4 - CREASE * g_lid * np.exp(-0.5 * ((v - fold_t) / (2.5 * px)) ** 2)
        lid *= shading[..., None]
        taper = _smooth(np.minimum(u, 1.0 - u) / CORNER_TAPER)  # the lid narrows into the corners
        a_lid = g_lid * taper * _smooth(t / 0.25) * _smooth((vu_t - v) / px + 0.5)
        crop += (lid - crop) * a_lid[..., None]

        # Lash line along the target lid, hanging slightly below it (closed lashes point down).
        arc = np.sqrt(np.clip(np.sin(np.pi * uc), 0.0, 1.0))
        thick = np.maximum(LASH_WIDTH * arc, 0.7 * px)
        off = (v - vu_t - 0.35 * thick) / thick
        a_lash = g * LASH_OPACITY * inside * np.exp(-0.5 * off**2 * np.where(off < 0, 2.0, 1.0)) * (0.4 + 0.6 * arc)
        crop += (eye.lash - crop) * a_lash[..., None]
        frame[y0:y1, x0:x1] = np.clip(crop + 0.5, 0, 255).astype(np.uint8)
