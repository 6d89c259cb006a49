"""Warp renderer: move a portrait so its landmarks land on target landmarks, then repaint the mouth.

``prepare`` does all per-portrait work once (triangulation, thin-plate weights on a coarse grid,
colours, loading the compiled kernels); ``render`` costs per frame a share of one batched matrix
product, two compiled mesh rasterisations (coarse face grid, full-resolution eye and mouth boxes),
one field upsampling, one ``cv2.remap`` and compiled eyelid / mouth paints on small crops. Frames
are rendered on a small thread pool: OpenCV and the compiled kernels release the GIL.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from moodtalk.geometry.landmarks import (
    CHEEK_LEFT,
    CHEEK_RIGHT,
    EYE_LEFT_LOWER,
    EYE_LEFT_UPPER,
    EYE_RIGHT_LOWER,
    EYE_RIGHT_UPPER,
    FACE_OVAL,
    LIPS_LOWER_OUTER,
    LIPS_UPPER_OUTER,
    MID_LIP_PAIRS,
    RIGID_POINTS,
    interocular,
)
from moodtalk.render import eyes, mouth, warp
from moodtalk.render.appearance import (
    AppearanceRig,
    expression_cues,
    plan_shading,
    prepare_appearance,
    shade,
    teeth_share,
)
from moodtalk.render.eyes import EyeRig, lids_moved, paint_eyes, prepare_eyes
from moodtalk.render.mouth import (
    OPEN_RAMP,
    SEAM_FULL,
    SEAM_START,
    MouthStyle,
    measure_style,
    paint_mouth,
    paint_seam,
)
from moodtalk.types import N_LANDMARKS

N_MESH = 468
"""FaceMesh points without the irises; only these are triangulated (irises would fold the mesh in a blink)."""
CLOSED_GAP = 0.035
"""Target inner-lip gap (eye distances, 2-D) below which lips count as closed: no inner mouth is painted, however
much closer the portrait's own lips are (FaceMesh leaves closed lips 0-0.05 apart)."""
PORTRAIT_PARTED = 0.04
"""Portrait inner-lip gap above which its lips are apart, so a closing target gets a painted lip seam."""
PORTRAIT_OPEN_MOUTH = 0.12
"""Portrait inner-lip gap (eye distances, 2-D) above which its own mouth interior is reused, not painted.
FaceMesh puts closed lips ~0.05 apart, so this means clearly open."""
BORDER_MARGIN = 0.04
"""Ring points are kept this far (fraction of the short image side) inside the image border."""
MIN_CONTROL_SPACING = 0.035
"""Ring points closer than this (fraction of the short side) to another control point are dropped."""
EYE_CROP_MARGIN = 0.15
"""Margin of the full-resolution eye region, in eye widths."""
MOUTH_CROP_MARGIN = 0.12
"""Margin of the full-resolution mouth region, in mouth widths."""
SKIN_POINTS = (CHEEK_RIGHT, CHEEK_LEFT, 199)
"""Where skin colour is sampled: both cheeks and the chin (199); never the forehead, which bangs may cover."""


@dataclass(frozen=True)
class RenderConfig:
    """Options of the warp renderer."""

    grid_step: int = 0
    """Spacing in pixels of the grid the face mesh is rasterised on; 0 = automatic (long image side / 64,
    at least 2). Eyes and mouth are always refined at full resolution when ``refine_features``."""
    outer_grid_step: int = 0
    """Spacing of the grid the smooth hair/neck/background field is solved on; 0 = automatic (long side / 32)."""
    ring_scales: tuple[float, ...] = (1.35, 1.9)
    """Radii of the hair/neck control rings, as multiples of the face oval's radius about its centre."""
    ring_weights: tuple[float, ...] = (0.75, 0.3)
    """How much of the head's rigid motion each ring follows (decreasing outwards)."""
    border_points: int = 8
    """Fixed control points per image side (corners included) that keep the background still."""
    mouth_interior: bool = True
    """Paint a procedural inner mouth (cavity, teeth, tongue) where the lips open wider than in the portrait."""
    appearance: bool = True
    """Shade expression folds and furrows (nasolabial folds, glabellar lines, forehead furrows, ...) after the
    warp, from how the target landmarks differ from the portrait's (see ``render/appearance.py``)."""
    appearance_gain: float = 1.0
    """Strength of that shading (1 = default)."""
    lip_feather: float = 0.8
    """Gaussian sigma in pixels of the painted mouth's edge."""
    refine_features: bool = True
    """Compute the warp at full resolution around the eyes and mouth (sharp lids and lips, no iris smear)."""
    eyelids: bool = True
    """Draw the closing upper lid (lid skin, lash line, eyeball covered rather than squashed) when the target
    upper lid is lower than the portrait's (see ``render/eyes.py``)."""
    lip_seam: bool = True
    """When a target closes lips that the portrait has apart, cover the squeezed gap with lip colour and draw
    the lip line."""
    batch: int = 32
    """Frames whose control-point field is computed in one matrix product."""
    threads: int = 2
    """Frames rendered concurrently (worker threads; OpenCV itself runs single-threaded inside ``render``,
    which measured faster than its own 2-thread remap on a 2-core machine)."""


@dataclass(frozen=True)
class RenderRig:
    """Everything ``render`` needs about one portrait, computed once by :func:`prepare`."""

    portrait: np.ndarray
    """(H, W, 3) uint8 RGB portrait."""
    landmarks: np.ndarray
    """(478, 3) float32 portrait landmarks in pixels."""
    config: RenderConfig
    """Options used."""
    triangles: np.ndarray
    """(M, 3) int32 triangles over the first 468 landmarks (face mesh, eye and mouth openings included)."""
    controls: np.ndarray
    """(C, 2) float32 thin-plate control points: face oval, hair/neck rings, image border."""
    control_kind: np.ndarray
    """(C,) float32: -1 for face-oval points (follow the target), else the share of head motion (0 = fixed)."""
    tps: np.ndarray
    """(oh * ow, C) float32 map from control displacements to the forward field on the outer grid."""
    outer_x: np.ndarray
    """(ow,) float32 pixel x of the outer-grid samples."""
    outer_y: np.ndarray
    """(oh,) float32 pixel y of the outer-grid samples."""
    grid_x: np.ndarray
    """(gw,) float32 pixel x of the face-grid samples."""
    grid_y: np.ndarray
    """(gh,) float32 pixel y of the face-grid samples."""
    grid_xy: np.ndarray
    """(gh, gw, 2) float32 pixel (x, y) of the face-grid samples."""
    mouth_style: MouthStyle
    """Colours of the painted inner mouth."""
    portrait_mouth_open: bool
    """Whether the portrait shows its own mouth interior (then it is warped, not painted)."""
    portrait_gap: float
    """Portrait inner-lip gap in eye distances (image plane)."""
    meta: dict = field(default_factory=dict)
    """Free-form diagnostics (numbers of points, grid size)."""
    appearance: AppearanceRig | None = None
    """Per-portrait part of the expression shading (None when ``config.appearance`` is off)."""
    eyes: tuple[EyeRig, ...] = ()
    """Lid curves and colours of both eyes (empty when ``config.eyelids`` is off)."""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the output frames."""
        return int(self.portrait.shape[1]), int(self.portrait.shape[0])


def lip_gap(points: np.ndarray) -> np.ndarray:
    """Image-plane inner-lip gap in pixels, (...,) from (..., 478, >=2) (depth ignored, unlike ``mouth_opening``)."""
    up, lo = (list(ids) for ids in MID_LIP_PAIRS)
    return np.linalg.norm(points[..., lo, :2] - points[..., up, :2], axis=-1).mean(-1)


def _check_landmarks(points: np.ndarray, what: str, width: int, height: int) -> None:
    if points.shape[-2:] != (N_LANDMARKS, 3):
        raise ValueError(f"{what} must be (..., {N_LANDMARKS}, 3) pixels, got {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError(f"{what} contain NaN or inf; fill untracked frames before rendering")


def _border_points(width: int, height: int, n: int) -> np.ndarray:
    """(K, 2) points along the image rectangle, corners included."""
    xs = np.linspace(0, width - 1, n)
    ys = np.linspace(0, height - 1, n)[1:-1]
    top = np.stack([xs, np.zeros_like(xs)], 1)
    bottom = np.stack([xs, np.full_like(xs, height - 1)], 1)
    left = np.stack([np.zeros_like(ys), ys], 1)
    right = np.stack([np.full_like(ys, width - 1), ys], 1)
    return np.concatenate([top, bottom, left, right]).astype(np.float32)


def _rings(
    oval: np.ndarray, cfg: RenderConfig, width: int, height: int, border: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Hair/neck ring points around the face oval and their head-motion shares."""
    centre = oval.mean(0)
    short = min(width, height)
    margin = BORDER_MARGIN * short
    min_sep = MIN_CONTROL_SPACING * short
    contour = oval.astype(np.float32).reshape(-1, 1, 2)
    kept: list[np.ndarray] = []
    weights: list[float] = []
    taken = [border, oval]
    for scale, weight in zip(cfg.ring_scales, cfg.ring_weights, strict=True):
        ring = centre + scale * (oval - centre)
        ring[:, 0] = np.clip(ring[:, 0], margin, width - 1 - margin)
        ring[:, 1] = np.clip(ring[:, 1], margin, height - 1 - margin)
        for p in ring:
            # Clipping can pull a ring point onto the face or onto another control: drop those.
            if cv2.pointPolygonTest(contour, (float(p[0]), float(p[1])), True) > -min_sep:
                continue
            others = np.concatenate(taken + ([np.array(kept)] if kept else []))
            if np.min(np.hypot(*(others - p).T)) < min_sep:
                continue
            kept.append(p)
            weights.append(weight)
    if not kept:
        return np.zeros((0, 2), np.float32), np.zeros(0, np.float32)
    return np.array(kept, np.float32), np.array(weights, np.float32)


def prepare(
    portrait: np.ndarray,
    landmarks: np.ndarray,
    config: RenderConfig = RenderConfig(),
    neutral: np.ndarray | None = None,
) -> RenderRig:
    """Precompute the warp rig of one portrait.

    Args:
        portrait: (H, W, 3) uint8 RGB image.
        landmarks: (478, 3) FaceMesh landmarks of the portrait in pixels.
        config: renderer options.
        neutral: (478, 3) the person's neutral face on the portrait (what all-zero weights retarget to);
            expression shading is measured from it. Default: the portrait's own landmarks, which shades a
            photo's own expression undone as a new one (closing a mouth photographed wide open drew the
            folds of a full smile).

    Returns:
        The rig to pass to :func:`render`.
    """
    if portrait.ndim != 3 or portrait.shape[2] != 3 or portrait.dtype != np.uint8:
        raise ValueError(f"portrait must be (H, W, 3) uint8 RGB, got {portrait.shape} {portrait.dtype}")
    height, width = portrait.shape[:2]
    _check_landmarks(landmarks, "portrait landmarks", width, height)
    pts = landmarks.astype(np.float32)
    xy = pts[:, :2]

    triangles = warp.triangulate(xy[:N_MESH].astype(np.float64))
    # Keep only triangles inside the face oval (Delaunay also bridges concave parts of the outline).
    oval = xy[list(FACE_OVAL)]
    contour = oval.reshape(-1, 1, 2)
    centroids = xy[triangles].mean(1)
    inside = np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), False) >= 0 for x, y in centroids])
    triangles = triangles[inside]

    border = _border_points(width, height, config.border_points)
    rings, ring_w = _rings(oval, config, width, height, border)
    controls = np.concatenate([oval, rings, border]).astype(np.float32)
    kind = np.concatenate([-np.ones(len(oval)), ring_w, np.zeros(len(border))]).astype(np.float32)

    step = config.grid_step or max(2, round(max(width, height) / 64))
    gx, gy, gw, gh = warp.grid_points(width, height, step)
    outer_step = config.outer_grid_step or max(4, round(max(width, height) / 32))
    ox, oy, _, _ = warp.grid_points(width, height, outer_step)
    queries = np.stack(np.meshgrid(ox, oy), -1).reshape(-1, 2)
    tps = warp.tps_weights(controls.astype(np.float64), queries.astype(np.float64), float(max(width, height)))

    skin = np.median([np.median(s, 0) for s in _patches(portrait, xy[list(SKIN_POINTS)])], 0).astype(np.float32)
    gap = float(lip_gap(pts) / interocular(xy))
    is_open = gap > PORTRAIT_OPEN_MOUTH
    style = measure_style(portrait, xy, skin, is_open, config.lip_feather)
    look = None
    if config.appearance:
        ref = pts
        if neutral is not None:
            ref = np.asarray(neutral, np.float32)
            _check_landmarks(ref, "neutral landmarks", width, height)
        look = prepare_appearance(ref[:, :2], skin, config.appearance_gain)
    lids = prepare_eyes(portrait, xy) if config.eyelids else ()
    # The compiled per-pixel kernels are loaded here (compiled on their first use ever), not at the first frame.
    warp.load_kernels()
    if config.mouth_interior:
        mouth.load_kernels()
    if config.eyelids:
        eyes.load_kernels()
    return RenderRig(
        portrait=np.ascontiguousarray(portrait),
        landmarks=pts,
        config=config,
        triangles=triangles,
        controls=controls,
        control_kind=kind,
        tps=tps,
        outer_x=ox,
        outer_y=oy,
        grid_x=gx,
        grid_y=gy,
        grid_xy=np.stack(np.meshgrid(gx, gy), -1).astype(np.float32),
        mouth_style=style,
        portrait_mouth_open=is_open,
        portrait_gap=gap,
        meta={
            "grid": (gw, gh),
            "step": step,
            "outer_step": outer_step,
            "rings": len(rings),
            "triangles": len(triangles),
        },
        appearance=look,
        eyes=lids,
    )


def _patches(image: np.ndarray, pts: np.ndarray, radius: int = 3) -> list[np.ndarray]:
    """(k, 3) pixel lists around each point (clipped to the image)."""
    h, w = image.shape[:2]
    out = []
    for x, y in np.round(pts).astype(int):
        x0, x1, y0, y1 = max(x - radius, 0), min(x + radius + 1, w), max(y - radius, 0), min(y + radius + 1, h)
        if x1 > x0 and y1 > y0:
            out.append(image[y0:y1, x0:x1].reshape(-1, 3).astype(np.float32))
    return out or [image.reshape(-1, 3).astype(np.float32)]


def _control_displacements(rig: RenderRig, target: np.ndarray) -> np.ndarray:
    """(T, C, 2) forward displacements of the thin-plate controls for target landmarks (T, 478, 2)."""
    src = rig.landmarks[:, :2]
    rigid = list(RIGID_POINTS)
    sim = warp.similarity_2d(src[rigid].astype(np.float64), target[:, rigid].astype(np.float64))
    c = rig.controls.astype(np.float64)
    moved = np.einsum("tij,cj->tci", sim[:, :, :2], c) + sim[:, None, :, 2]
    share = np.clip(rig.control_kind, 0.0, None)[None, :, None]
    disp = share * (moved - c)
    n_oval = len(FACE_OVAL)
    disp[:, :n_oval] = target[:, list(FACE_OVAL)] - src[list(FACE_OVAL)]
    return disp.astype(np.float32)


FEATURES = (
    (np.array(EYE_RIGHT_UPPER + EYE_RIGHT_LOWER), EYE_CROP_MARGIN),
    (np.array(EYE_LEFT_UPPER + EYE_LEFT_LOWER), EYE_CROP_MARGIN),
    (np.array(LIPS_UPPER_OUTER + LIPS_LOWER_OUTER), MOUTH_CROP_MARGIN),
)
"""Landmarks outlining both eyes and the mouth, where the field bends sharply, and their box margins."""


def _feature_boxes(pts: np.ndarray, width: int, height: int) -> np.ndarray:
    """(T, 3, 4) int32 full-resolution boxes x0, y0, x1, y1 (ends excluded) around both eyes and the mouth.

    Args:
        pts: (T, >=468, 2) target points in pixels.
    """
    boxes = []
    for ids, margin in FEATURES:
        p = pts[:, ids]
        lo, hi = p.min(1), p.max(1)  # (T, 2)
        m = (margin * (hi[:, 0] - lo[:, 0]) + 2.0)[:, None]
        b = np.concatenate([np.floor(lo - m), np.ceil(hi + m) + 1], 1)
        boxes.append(np.clip(b, 0, [width, height, width, height]))  # may be empty: x1 <= x0
    return np.stack(boxes, 1).astype(np.int32)


def backward_map(rig: RenderRig, forward: np.ndarray, dst: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Full-resolution backward map of one frame.

    Args:
        rig: the portrait rig.
        forward: (oh, ow, 2) float32 thin-plate forward field on the outer grid.
        dst: (468, 2) float32 target mesh points.
        boxes: (K, 4) int32 full-resolution boxes x0, y0, x1, y1 where the mesh is rasterised per pixel.

    Returns:
        (H, W, 2) float32 portrait coordinates to sample for every output pixel (``cv2.remap`` map).
    """
    width, height = rig.size
    gx, gy = rig.grid_x, rig.grid_y
    src = rig.landmarks[:N_MESH, :2]
    coarse = cv2.resize(
        warp.invert_field(forward, rig.outer_x, rig.outer_y), (len(gx), len(gy)), interpolation=cv2.INTER_LINEAR
    )
    coarse += rig.grid_xy
    whole = np.array([[0, 0, len(gx), len(gy)]], np.int32)
    warp.fill_mesh(
        coarse, rig.triangles, src, dst, float(gx[0]), float(gy[0]), width / len(gx), height / len(gy), whole
    )
    full = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
    warp.fill_mesh(full, rig.triangles, src, dst, 0.0, 0.0, 1.0, 1.0, boxes)
    return full


def render(rig: RenderRig, target: np.ndarray) -> np.ndarray:
    """Render the portrait driven by target landmarks.

    Args:
        rig: from :func:`prepare`.
        target: (T, 478, 3) target landmarks in the portrait's pixel frame (z is ignored).

    Returns:
        (T, H, W, 3) uint8 RGB frames.
    """
    width, height = rig.size
    target = np.asarray(target)
    if target.ndim == 2:
        target = target[None]
    _check_landmarks(target, "target landmarks", width, height)
    xy = target[..., :2].astype(np.float32)
    n = len(xy)
    out = np.empty((n, height, width, 3), np.uint8)
    ow, oh = len(rig.outer_x), len(rig.outer_y)
    src_gap_px = float(lip_gap(rig.landmarks))
    gaps = lip_gap(xy)
    iods = interocular(xy)
    look = rig.appearance
    cues = expression_cues(look, xy) if look is not None else None
    teeth = teeth_share(cues) if cues is not None else np.ones(n)
    plan = plan_shading(look, xy, cues, width, height) if look is not None else None
    seam = rig.config.lip_seam and rig.portrait_gap > PORTRAIT_PARTED

    # The thin-plate fields of all frames: one matrix product per batch, (G, C) @ (C, 2B).
    fields = np.empty((n, oh, ow, 2), np.float32)
    step = max(1, rig.config.batch)
    for b0 in range(0, n, step):
        disp = _control_displacements(rig, xy[b0 : b0 + step])  # (B, C, 2)
        f = rig.tps @ disp.transpose(1, 0, 2).reshape(len(rig.controls), -1)
        fields[b0 : b0 + step] = f.reshape(oh, ow, -1, 2).transpose(2, 0, 1, 3)
    mesh = np.ascontiguousarray(xy[:, :N_MESH])
    lids = lids_moved(rig.eyes, xy) if rig.eyes else np.zeros(n, bool)
    boxes = _feature_boxes(mesh, width, height) if rig.config.refine_features else np.zeros((n, 0, 4), np.int32)

    def one(i: int) -> None:
        full = backward_map(rig, fields[i], mesh[i], boxes[i])
        cv2.remap(rig.portrait, full, None, cv2.INTER_LINEAR, dst=out[i], borderMode=cv2.BORDER_REPLICATE)
        if lids[i]:
            paint_eyes(out[i], rig.portrait, rig.eyes, xy[i])
        if look is not None:
            shade(out[i], look, plan, i)
        if rig.config.mouth_interior and not rig.portrait_mouth_open:
            strength = (gaps[i] - max(src_gap_px, CLOSED_GAP * iods[i])) / (iods[i] * OPEN_RAMP)
            paint_mouth(out[i], xy[i], rig.mouth_style, float(np.clip(strength, 0.0, 1.0)), float(teeth[i]))
        if seam:
            closing = (SEAM_START - gaps[i] / iods[i]) / (SEAM_START - SEAM_FULL)
            paint_seam(out[i], xy[i], rig.mouth_style, float(np.clip(closing, 0.0, 1.0)))

    old_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        if rig.config.threads > 1:
            with ThreadPoolExecutor(rig.config.threads) as pool:
                list(pool.map(one, range(n)))
        else:
            for i in range(n):
                one(i)
    finally:
        cv2.setNumThreads(old_threads)
    return out
