"""Appearance step for the mouth: a procedural inner mouth painted where the lips part.

A warp can only stretch the closed lip line of the portrait into the gap; this paints what a
viewer expects instead: a dark cavity that is darkest at the back, an upper teeth band hanging
from the upper lip (it moves with the head), a hint of lower teeth riding on the lower lip (it
moves with the jaw), a tongue in the lower middle, and feathered lip edges. Everything is laid
out in a mouth frame (u along the corner-to-corner axis, v across it) so head roll is handled.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numba
import numpy as np

from moodtalk.geometry.landmarks import LIPS_LOWER_INNER, LIPS_LOWER_OUTER, LIPS_UPPER_INNER, LIPS_UPPER_OUTER

INNER_POLYGON = np.array(LIPS_UPPER_INNER + LIPS_LOWER_INNER[::-1][1:-1])
"""Inner-lip polygon: upper inner lip corner to corner, then the lower inner lip back (corners once)."""
UPPER_TEETH_HEIGHT = 0.16
"""Visible upper-incisor height as a fraction of the inner mouth width (crown ~10 mm of ~55 mm)."""
LOWER_TEETH_HEIGHT = 0.07
"""Visible lower-teeth height, same unit; the lower lip hides most of them."""
UPPER_TEETH_MAX_GAP_SHARE = 0.7
"""Upper teeth never take more than this share of the local lip gap, so the cavity still shows."""
LOWER_TEETH_MAX_GAP_SHARE = 0.2
"""Same for the lower teeth."""
TEETH_SPAN = 0.78
"""Teeth shown over |2u - 1| < this: the dental arch turns away from the camera near the corners."""
TOOTH_WIDTH = 0.105
"""Width of one front tooth in mouth widths; separations are drawn at this period from the centre."""
TONGUE_HALF_WIDTH = 0.3
"""Tongue half width (u units) and its vertical extent in the relative gap coordinate below."""
TONGUE_HALF_HEIGHT = 0.55
CAVITY_DEPTH_DARKENING = 0.65
"""How much darker the back of the cavity is than the cavity near the lips."""
OPEN_RAMP = 0.015
"""Fill fades in over this much extra opening (in eye distances): short, because what the warp shows
inside a parted mouth is the portrait's stretched lip line, never better than the painted interior."""
CROP_MARGIN = 3
"""Pixels around the lip polygon processed per frame."""


@dataclass(frozen=True)
class MouthStyle:
    """Colours of the procedural inner mouth, measured on the portrait (float RGB, 0..255)."""

    teeth: np.ndarray
    """(3,) teeth colour (the portrait's own teeth if visible, else off-white lit like the skin)."""
    cavity: np.ndarray
    """(3,) colour of the mouth cavity near the lips."""
    tongue: np.ndarray
    """(3,) tongue colour."""
    lip: np.ndarray
    """(3,) lip colour of the portrait."""
    feather: float
    """Gaussian sigma in pixels of the lip edge."""


def _sample(image: np.ndarray, pts: np.ndarray, radius: int = 2) -> np.ndarray:
    """Median RGB of small patches around points: (K, 2) pixels -> (3,) float."""
    h, w = image.shape[:2]
    patches = []
    for x, y in np.round(pts).astype(int):
        x0, x1 = np.clip([x - radius, x + radius + 1], 0, w)
        y0, y1 = np.clip([y - radius, y + radius + 1], 0, h)
        if x1 > x0 and y1 > y0:
            patches.append(image[y0:y1, x0:x1].reshape(-1, 3))
    return np.median(np.concatenate(patches), 0).astype(np.float32)


def measure_style(image: np.ndarray, pts: np.ndarray, skin: np.ndarray, mouth_open: bool, feather: float) -> MouthStyle:
    """Colours for the inner mouth of this portrait.

    Args:
        image: (H, W, 3) uint8 RGB portrait.
        pts: (478, 2) landmarks in pixels.
        skin: (3,) float mean skin colour.
        mouth_open: whether the portrait shows its own mouth interior.
        feather: lip-edge blur sigma in pixels.
    """
    upper = 0.5 * (pts[list(LIPS_UPPER_OUTER)] + pts[list(LIPS_UPPER_INNER)])
    lower = 0.5 * (pts[list(LIPS_LOWER_OUTER)] + pts[list(LIPS_LOWER_INNER)])
    lip = _sample(image, np.concatenate([upper[2:-2], lower[2:-2]]), radius=1)
    lum = float(skin.mean())
    light = np.clip(lum / 185.0, 0.5, 0.92)  # teeth in the shade of the lips: never paper white
    tint = skin / max(skin.mean(), 1.0)
    teeth = np.array([238.0, 233.0, 222.0]) * light * (0.85 + 0.15 * tint)
    if mouth_open:
        # Reuse the portrait's own teeth: the brightest pixels inside its inner-lip polygon.
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(pts[INNER_POLYGON]).astype(np.int32)], 1)
        inside = image[mask > 0].astype(np.float32)
        if len(inside) >= 20:
            bright = inside[inside.mean(1) >= np.quantile(inside.mean(1), 0.8)]
            if bright.mean() > 0.6 * lum:
                teeth = np.median(bright, 0)
    cavity = lip * 0.22
    tongue = lip * np.array([0.85, 0.6, 0.6]) + np.array([20.0, 0.0, 0.0])
    return MouthStyle(
        teeth=np.clip(teeth, 0, 255).astype(np.float32),
        cavity=cavity.astype(np.float32),
        tongue=np.clip(tongue, 0, 255).astype(np.float32),
        lip=lip,
        feather=feather,
    )


def mouth_axes(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """The mouth's own frame from (478, 2) landmarks: inner upper and lower lip points (11, 2) each, the
    origin (the right inner corner), the unit axis to the left corner, its normal, and the mouth width (px)."""
    upper, lower = pts[list(LIPS_UPPER_INNER)], pts[list(LIPS_LOWER_INNER)]
    origin, axis = upper[0], upper[-1] - upper[0]
    width = float(np.hypot(*axis))
    ax = axis / max(width, 1e-9)
    return upper, lower, origin, ax, np.array([-ax[1], ax[0]]), width


def paint_mouth(frame: np.ndarray, pts: np.ndarray, style: MouthStyle, strength: float, teeth: float = 1.0) -> None:
    """Paint the inner mouth into ``frame`` in place.

    Args:
        frame: (H, W, 3) uint8 RGB warped frame.
        pts: (478, 2) target landmarks in pixels.
        style: colours from :func:`measure_style`.
        strength: 0..1 opacity of the fill (0 = nothing painted).
        teeth: 0..1 share of the upper teeth shown (1 = the lip lifted off them, as in a smile; lower when
            the jaw drops without the upper lip rising, as in surprise, where the lip covers most of them).
    """
    if strength <= 0.0:
        return
    h, w = frame.shape[:2]
    poly = pts[INNER_POLYGON].astype(np.float32)
    x0, y0 = np.floor(poly.min(0)).astype(int) - CROP_MARGIN
    x1, y1 = np.ceil(poly.max(0)).astype(int) + CROP_MARGIN + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    # Anti-aliased polygon at 1/16 px precision, then feathered.
    shift = 4
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [np.round((poly - [x0, y0]) * (1 << shift)).astype(np.int32)], 255, cv2.LINE_AA, shift)
    alpha = mask.astype(np.float32) * (strength / 255.0)
    if style.feather > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), style.feather)
    if alpha.max() <= 0.0:
        return

    # Mouth frame: u from the right corner (0) to the left corner (1), v across, in mouth widths.
    upper, lower, origin, ax, nrm, width = mouth_axes(pts.astype(np.float64))
    if width < 2.0:
        return
    d_up, d_lo = upper - origin, lower - origin
    uu_up, vv_up = d_up @ ax / width, d_up @ nrm / width
    uu_lo, vv_lo = d_lo @ ax / width, d_lo @ nrm / width
    o_up, o_lo = np.argsort(uu_up), np.argsort(uu_lo)
    colours = np.stack([style.cavity, style.lip, style.tongue, style.teeth]).astype(np.float64)
    _paint_interior(frame[y0:y1, x0:x1], alpha, float(x0 - origin[0]), float(y0 - origin[1]), ax, nrm, width,
                    uu_up[o_up], vv_up[o_up], uu_lo[o_lo], vv_lo[o_lo], float(teeth), colours)  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _interp(x: float, xp: np.ndarray, fp: np.ndarray) -> float:  # pragma: no cover - compiled
    """``np.interp`` for one value (numba's allocates): linear in increasing ``xp``, constant beyond its ends."""
    if x <= xp[0]:
        return fp[0]
    for k in range(1, len(xp)):
        if x <= xp[k]:
            w = (x - xp[k - 1]) / max(xp[k] - xp[k - 1], 1e-12)
            return fp[k - 1] + w * (fp[k] - fp[k - 1])
    return fp[-1]


@numba.njit(cache=True, nogil=True)
def _paint_interior(
    crop: np.ndarray,
    alpha: np.ndarray,
    dx0: float,
    dy0: float,
    ax: np.ndarray,
    nrm: np.ndarray,
    width: float,
    u_up: np.ndarray,
    v_up_: np.ndarray,
    u_lo: np.ndarray,
    v_lo_: np.ndarray,
    teeth: float,
    colours: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Blend the inner mouth into ``crop`` (h, w, 3) uint8 in place with opacity ``alpha`` (h, w).

    Pixel (i, j) of the crop is (dx0 + j, dy0 + i) from the mouth origin; the lips are v(u) curves sorted by u
    (mouth widths); ``colours`` (4, 3) are cavity, lip, tongue and teeth. Compiled: one pass per pixel
    instead of ~60 numpy passes over the crop.
    """
    cavity, lip, tongue_c, teeth_c = colours[0], colours[1], colours[2], colours[3]
    col = np.empty(3)
    for i in range(crop.shape[0]):
        for j in range(crop.shape[1]):
            a = alpha[i, j]
            if a <= 0.0:
                continue
            dx, dy = dx0 + j, dy0 + i
            u = (dx * ax[0] + dy * ax[1]) / width
            v = (dx * nrm[0] + dy * nrm[1]) / width
            v_up = _interp(u, u_up, v_up_)
            v_lo = _interp(u, u_lo, v_lo_)
            gap = max(v_lo - v_up, 1e-3)
            t = min(max((v - v_up) / gap, 0.0), 1.0)  # 0 at the upper lip, 1 at the lower lip
            side = min(max(2.0 * u - 1.0, -1.0), 1.0)  # -1 right corner, +1 left corner
            du, dl = (v - v_up) * width, (v_lo - v) * width  # pixels from the upper / lower lip
            gap_px = gap * width
            # Cavity: darkest at the back (centre of the opening), mucosa-tinted near the lips.
            depth = np.sin(np.pi * t) * (1.0 - side * side)
            near = np.exp(-min(abs(du), abs(dl)) / 1.5)
            # Tongue: a soft ellipse resting on the lower lip in the middle, lit from the front.
            e = (side / (2 * TONGUE_HALF_WIDTH)) ** 2 + ((t - 1.0) / TONGUE_HALF_HEIGHT) ** 2
            a_tongue = np.sqrt(min(max(1.0 - e, 0.0), 1.0)) * 0.85
            arch = min(max(1.0 - (side / TEETH_SPAN) ** 2, 0.0), 1.0)  # teeth recede towards the corners
            phase = (u - 0.5) / TOOTH_WIDTH
            separation = np.exp(-(((phase - np.round(phase)) * TOOTH_WIDTH * width) ** 2) / (2 * 0.7**2))
            shade = (0.45 + 0.55 * arch) * (1.0 - 0.18 * separation)
            # Lower teeth hint, carried by the lower lip (jaw).
            h_lo = min(LOWER_TEETH_HEIGHT * width * arch, LOWER_TEETH_MAX_GAP_SHARE * gap_px)
            a_lo = min(max(h_lo - dl + 0.5, 0.0), 1.0) * 0.8 if arch > 0 else 0.0
            # Upper teeth, hanging from the upper lip (head), slightly darker at the biting edge.
            h_up = teeth * min(UPPER_TEETH_HEIGHT * width * np.sqrt(arch), UPPER_TEETH_MAX_GAP_SHARE * gap_px)
            a_up = min(max(h_up - du + 0.5, 0.0), 1.0) if arch > 0 else 0.0
            edge = min(max(du / max(h_up, 1e-3), 0.0), 1.0) ** 3
            for c in range(3):
                x = cavity[c] * (1.0 - CAVITY_DEPTH_DARKENING * depth)
                x = x * (1 - 0.5 * near) + lip[c] * 0.45 * 0.5 * near
                x = x * (1 - a_tongue) + tongue_c[c] * (0.55 + 0.45 * t) * a_tongue
                x = x * (1 - a_lo) + teeth_c[c] * 0.62 * shade * a_lo
                x = x * (1 - a_up) + teeth_c[c] * shade * (1.0 - 0.2 * edge) * a_up
                col[c] = x
            for c in range(3):
                crop[i, j, c] = np.uint8(min(max(crop[i, j, c] * (1 - a) + col[c] * a + 0.5, 0.0), 255.0))


def load_kernels() -> None:
    """Compile (first use, cached on disk) or load the mouth painter with the argument types ``paint_mouth``
    passes, so the first open mouth does not wait for it."""
    f = np.zeros(2)
    _paint_interior(np.zeros((3, 3, 3), np.uint8)[1:, 1:], np.zeros((2, 2), np.float32), 0.0, 0.0, f, f, 1.0, f, f,
                    f, f, 1.0, np.zeros((4, 3)))  # fmt: skip


SEAM_START = 0.05
"""Target inner-lip gap (eye distances) below which the lips of an open-mouthed portrait are drawn meeting ..."""
SEAM_FULL = 0.02
"""... fully so at this gap (the portrait's teeth and cavity, squeezed into the gap by the warp, are covered)."""
SEAM_DARKNESS = 0.5
"""Lip-line colour as a share of the lip colour."""


def paint_seam(frame: np.ndarray, pts: np.ndarray, style: MouthStyle, strength: float) -> None:
    """Close the lips in ``frame`` in place: lip colour over the (nearly shut) opening, a dark line where they meet.

    Args:
        frame: (H, W, 3) uint8 RGB warped frame.
        pts: (478, 2) target landmarks in pixels.
        style: colours from :func:`measure_style`.
        strength: 0..1 opacity (0 = nothing painted).
    """
    if strength <= 0.0:
        return
    h, w = frame.shape[:2]
    upper, lower, origin, ax, nrm, width = mouth_axes(pts.astype(np.float64))
    if width < 4.0:
        return
    poly = pts[INNER_POLYGON].astype(np.float64)
    pad = CROP_MARGIN + 2
    x0, y0 = np.floor(poly.min(0)).astype(int) - pad
    x1, y1 = np.ceil(poly.max(0)).astype(int) + pad + 1
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    gx, gy = np.meshgrid(np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64))
    dx, dy = gx - origin[0], gy - origin[1]
    u = (dx * ax[0] + dy * ax[1]) / width
    v = dx * nrm[0] + dy * nrm[1]  # pixels across the mouth
    du, dv = (upper - origin) @ ax / width, (upper - origin) @ nrm
    lu, lv = (lower - origin) @ ax / width, (lower - origin) @ nrm
    uc = np.clip(u, 0.0, 1.0)
    v_up = np.interp(uc, du[np.argsort(du)], dv[np.argsort(du)])
    v_lo = np.interp(uc, lu[np.argsort(lu)], lv[np.argsort(lu)])
    lo, hi = np.minimum(v_up, v_lo), np.maximum(v_up, v_lo)
    mid = 0.5 * (lo + hi)
    inside = np.clip(np.minimum(u, 1.0 - u) * width + 0.5, 0.0, 1.0)
    # Cover the opening (and a pixel around it, where the warp leaves teeth smears) with lip colour.
    dist = np.maximum(lo - v, v - hi)  # < 0 inside the opening
    a_fill = strength * inside * np.clip(1.5 - dist, 0.0, 1.0)
    if style.feather > 0:
        a_fill = cv2.GaussianBlur(a_fill, (0, 0), 0.5 * style.feather)
    crop = frame[y0:y1, x0:x1].astype(np.float32)
    # The upper lip's edge is usually in its own shade: a little darker than the lower lip's.
    fill = np.where((v < mid)[..., None], style.lip * 0.9, style.lip).astype(np.float32)
    crop += (fill - crop) * a_fill[..., None].astype(np.float32)
    # The lip line: thin, darkest in the middle, fading into the corners.
    arc = np.sqrt(np.clip(np.sin(np.pi * uc), 0.0, 1.0))
    sigma = 0.45 + 0.012 * width * arc
    a_line = strength * 0.9 * arc * np.exp(-0.5 * ((v - mid) / sigma) ** 2)
    crop += (style.lip * SEAM_DARKNESS - crop) * a_line[..., None].astype(np.float32)
    frame[y0:y1, x0:x1] = np.clip(crop + 0.5, 0, 255).astype(np.uint8)
