"""Semantic blendshapes as displacement fields on the canonical 478-point face.

Each blendshape is built from the canonical neutral mesh by a few anatomical rules (a jaw
that rotates about a pivot near the ears, mouth corners pulled along the zygomaticus line,
lids that slide onto each other, ...) following the ARKit blendshape definitions (Apple,
ARFaceAnchor.BlendShapeLocation) and the FACS action units they correspond to (Ekman &
Friesen, 1978). Weight 1.0 is the strongest natural pose of that shape. Distances are in
canonical IOD units (eye-centre distance = 1). Regional falloffs are Gaussian so every field
is smooth; side masks split left from right with a soft ramp across the midline.

The build script ``scripts/build_face_model.py`` refines these fields on real tracked faces;
the refined fields ship as package data, so this module runs only when the model is rebuilt.
"""

from __future__ import annotations

import numpy as np

from moodtalk.geometry import landmarks as lm
from moodtalk.types import BLENDSHAPE_NAMES

# Strength of each shape at weight 1.0, in IOD units (or degrees for the jaw).
JAW_OPEN_DEG = 24.0  # gives an inner-lip gap of about 0.55 IOD, a wide-open mouth
CORNER_PULL = 0.14  # smile/frown/stretch/dimple corner travel
LIP_RAISE = 0.08  # upper lip up, lower lip down, shrug, roll
# Brow and lid amplitudes: first measured so that the strongest poses of real labelled clips (MEAD level 3,
# CREMA-D; each solved against the actor's neutral clip) reach weight ≈ 1 at their 99th percentile instead of
# saturating at the solver's bound (each group's field scaled by s ∈ {1 … 2.5}; the smallest s with p99 ≤ ~0.95
# and ≤ 0.5 % of values at the bound; see scripts/build_face_model.py, step 3, and src/moodtalk/data/README.md).
# The brows then got BROW_HEADROOM more: acted level-3 brows are not the posed maximum that weight 1 stands for
# (ARKit's "full" shape, the FACS prototype photographs of ``emotion.space.POSED_PROTOTYPES``); with it the
# real clips' brow p99 sits near 0.65, and the independent FER check on 11 tuning portraits rose 40 → 48 %
# (brows × 2: 43 %; benchmarks/README.md, Emotion, round 5).
BROW_HEADROOM = 1.5
BROW_INNER_RAISE = 0.18 * BROW_HEADROOM  # browInnerUp: 1.5 × the first rule's 0.12, × headroom
BROW_OUTER_RAISE = 0.15 * BROW_HEADROOM  # browOuterUp: 1.25 × 0.12, × headroom
BROW_LOWER = 0.135 * BROW_HEADROOM  # browDown: 1.5 × 0.09, × headroom
LID_WIDE = 0.56  # eyeWide: upper-lid lift as a share of the lid gap, 1.25 × 0.45
LID_SQUINT = 1.75  # eyeSquint: × the rule's lower-lid rise (0.35 of the gap) and upper-lid drop (0.1)
GAZE_SHIFT = 0.09  # iris travel for a full look left/right/up/down
SIDE_RAMP = 0.04  # width of the left/right blend across the face's midline


def _gauss(points: np.ndarray, centre: np.ndarray, sigma: float) -> np.ndarray:
    """(N,) Gaussian falloff around one centre."""
    return np.exp(-np.sum((points - centre) ** 2, -1) / (2 * sigma**2))


def _smoothstep(edge0: float | np.ndarray, edge1: float | np.ndarray, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _only(n: int, idx: tuple[int, ...] | list[int], value: np.ndarray | float = 1.0) -> np.ndarray:
    """(N,) mask that is ``value`` at ``idx`` and 0 elsewhere."""
    m = np.zeros(n)
    m[list(idx)] = value
    return m


class _Face:
    """Regions and reference points of the canonical mesh used by the rules below."""

    def __init__(self, canon: np.ndarray) -> None:
        self.p = canon.astype(np.float64)  # (N, 3)
        n = len(canon)
        self.n = n
        self.mouth_centre = canon[list(lm.LIPS_UPPER_INNER + lm.LIPS_LOWER_INNER)].mean(0)
        mc = self.mouth_centre
        x = self.p[:, 0]
        self.left = 1.0 / (1.0 + np.exp(-(x - mc[0]) / SIDE_RAMP))  # subject's left = +x
        self.right = 1.0 - self.left
        # Seam between the lips: the mean of the inner contours, extended flat past the corners.
        seam_x = 0.5 * (canon[list(lm.LIPS_UPPER_INNER), 0] + canon[list(lm.LIPS_LOWER_INNER), 0])
        seam_y = 0.5 * (canon[list(lm.LIPS_UPPER_INNER), 1] + canon[list(lm.LIPS_LOWER_INNER), 1])
        order = np.argsort(seam_x)
        self.seam = np.interp(x, seam_x[order], seam_y[order])
        upper = set(lm.LIPS_UPPER_OUTER + lm.LIPS_UPPER_INNER)
        lower = set(lm.LIPS_LOWER_OUTER + lm.LIPS_LOWER_INNER)
        corners = {lm.MOUTH_CORNER_LEFT, lm.MOUTH_CORNER_RIGHT, 78, 308}
        self.upper_lip = _only(n, sorted(upper - corners))
        self.lower_lip = _only(n, sorted(lower - corners))
        # Lower face that follows the jaw: below the seam, fading in over a short band.
        below = _smoothstep(self.seam - 0.03, self.seam + 0.10, self.p[:, 1])
        self.jaw = np.clip(below, 0, 1)
        self.jaw[self.upper_lip > 0] = 0.0
        self.jaw[self.lower_lip > 0] = 1.0
        self.jaw[sorted(corners)] = 0.45
        # Lips plus a soft ring of skin around them.
        lips = sorted(upper | lower)
        d_lip = np.min(np.linalg.norm(self.p[:, None] - self.p[lips][None], axis=-1), axis=1)
        self.lip_zone = np.exp(-(d_lip**2) / (2 * 0.07**2))
        self.pivot = 0.5 * (canon[234] + canon[454])  # near the ears: the jaw hinge
        self.iod = float(np.linalg.norm(lm.eye_centres(canon)[1] - lm.eye_centres(canon)[0]))

    def side(self, which: str) -> np.ndarray:
        return self.left if which == "Left" else self.right

    def corner(self, which: str) -> np.ndarray:
        return self.p[lm.MOUTH_CORNER_LEFT if which == "Left" else lm.MOUTH_CORNER_RIGHT]

    def out(self, which: str) -> float:
        """+1 when 'outward' for that side is +x."""
        return 1.0 if which == "Left" else -1.0


def _jaw_open(f: _Face) -> np.ndarray:
    a = np.deg2rad(JAW_OPEN_DEG)
    rel = f.p - f.pivot
    c, s = np.cos(a), np.sin(a)
    # Rotation about the x axis; the sign makes the chin move down (+y).
    rot = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    moved = rel @ rot.T
    if (moved - rel)[lm.CHIN, 1] < 0:
        moved = rel @ rot
    return (moved - rel) * f.jaw[:, None]


def _jaw_shift(f: _Face, direction: np.ndarray, amount: float) -> np.ndarray:
    return np.outer(f.jaw, direction * amount)


def _corner_pull(f: _Face, which: str, direction: np.ndarray, sigma: float = 0.22) -> np.ndarray:
    """Drag one mouth corner by ``direction`` with a Gaussian falloff, stronger on the lips."""
    fall = _gauss(f.p, f.corner(which), sigma) * f.side(which)
    fall = np.maximum(fall, f.lip_zone * _gauss(f.p, f.corner(which), 0.35) * f.side(which))
    return np.outer(fall, direction)


def _lip_move(
    f: _Face, lip: np.ndarray, direction: np.ndarray, side: np.ndarray | None = None, inner: float = 1.0
) -> np.ndarray:
    """Move one lip (mask) with a soft skin border; ``side`` restricts it to one half.

    ``inner`` scales the motion of the inner lip contour: shapes that curl or lift the lip
    body move it less than the outer edge, so the gap between the lips stays the jaw's job.
    """
    # Skin near that lip follows at 60 %: the skin between lip and nose or chin.
    lip_pts = f.p[lip > 0]
    d = np.min(np.linalg.norm(f.p[:, None] - lip_pts[None], axis=-1), axis=1)
    zone = np.maximum(lip, 0.6 * np.exp(-(d**2) / (2 * 0.06**2)))
    inner_ids = [i for i in lm.LIPS_UPPER_INNER + lm.LIPS_LOWER_INNER if lip[i] > 0]
    zone[inner_ids] *= inner
    if side is not None:
        zone = zone * side
    return np.outer(zone, direction)


def _brow(f: _Face, which: str, part: str) -> np.ndarray:
    """(N,) falloff around the inner or outer half of one brow."""
    upper = lm.BROW_LEFT_UPPER if which == "Left" else lm.BROW_RIGHT_UPPER
    lower = lm.BROW_LEFT_LOWER if which == "Left" else lm.BROW_RIGHT_LOWER
    ids = (upper[3:] + lower[3:]) if part == "inner" else (upper[:2] + lower[:2])
    centre = f.p[list(ids)].mean(0)
    zone = _gauss(f.p, centre, 0.16)
    # Do not drag the eye lids along: fade out below the brow's lower edge.
    brow_low = f.p[list(lower), 1].max()
    return zone * (1 - _smoothstep(brow_low, brow_low + 0.15, f.p[:, 1]))


def _lids(which: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    if which == "Left":
        return lm.EYE_LEFT_UPPER, lm.EYE_LEFT_LOWER, lm.IRIS_LEFT
    return lm.EYE_RIGHT_UPPER, lm.EYE_RIGHT_LOWER, lm.IRIS_RIGHT


def _eye_zone(f: _Face, ids: tuple[int, ...], sigma: float = 0.05) -> np.ndarray:
    pts = f.p[list(ids)]
    d = np.min(np.linalg.norm(f.p[:, None] - pts[None], axis=-1), axis=1)
    return np.exp(-(d**2) / (2 * sigma**2))


def _blink(f: _Face, which: str) -> np.ndarray:
    """Upper lid slides down onto the lower lid (which rises a little)."""
    upper, lower, _ = _lids(which)
    d = np.zeros_like(f.p)
    # Inner points of the lids (not the corners) meet at 80 % of the way down.
    for u, lo in zip(upper[1:-1], lower[1:-1], strict=True):
        gap = f.p[lo] - f.p[u]
        d[u] = 0.8 * gap
        d[lo] = -0.2 * gap
    # Skin above the upper lid follows partly; smooth the field onto nearby points.
    zone = _eye_zone(f, upper[1:-1], 0.04) * (f.p[:, 1] < f.p[list(lower), 1].min())
    mean_down = d[list(upper[1:-1])].mean(0)
    free = np.ones(f.n, bool)
    free[list(upper + lower)] = False
    d[free] = np.outer(zone[free] * 0.35, mean_down)
    return d


def _squint(f: _Face, which: str) -> np.ndarray:
    """Lower lid rises (orbicularis oculi, AU 6/7)."""
    upper, lower, _ = _lids(which)
    gap = (f.p[list(lower[1:-1])] - f.p[list(upper[1:-1])]).mean(0)
    zone = _eye_zone(f, lower[1:-1], 0.06) * (f.p[:, 1] > f.p[list(upper), 1].mean())
    d = np.outer(zone, -0.35 * gap)
    d[list(upper[1:-1])] += 0.1 * gap
    return LID_SQUINT * d


def _wide(f: _Face, which: str) -> np.ndarray:
    """Upper lid lifts (levator, AU 5)."""
    upper, lower, _ = _lids(which)
    gap = (f.p[list(lower[1:-1])] - f.p[list(upper[1:-1])]).mean(0)
    zone = _eye_zone(f, upper[1:-1], 0.05) * (f.p[:, 1] < f.p[list(lower), 1].min())
    return np.outer(zone, -LID_WIDE * gap)


def _gaze(f: _Face, which: str, direction: np.ndarray) -> np.ndarray:
    _, _, iris = _lids(which)
    d = np.zeros_like(f.p)
    d[list(iris)] = direction * GAZE_SHIFT
    return d


def build_procedural_basis(canon: np.ndarray) -> np.ndarray:
    """Blendshape displacement fields from the rules above.

    Args:
        canon: (478, 3) canonical neutral face, IOD units.

    Returns:
        (K, 478, 3) displacements, K = len(BLENDSHAPE_NAMES), in that order.
    """
    f = _Face(canon)
    ex, ey, ez = np.eye(3)
    up, down, fwd, back = -ey, ey, -ez, ez
    shapes: dict[str, np.ndarray] = {}
    jaw = _jaw_open(f)
    shapes["jawOpen"] = jaw
    shapes["jawForward"] = _jaw_shift(f, fwd, 0.12)
    shapes["jawLeft"] = _jaw_shift(f, ex, 0.12)
    shapes["jawRight"] = _jaw_shift(f, -ex, 0.12)
    # mouthClose: the lips meet while the jaw stays open (cancels the jaw on the lower lip).
    shapes["mouthClose"] = -jaw * f.lower_lip[:, None] * 0.9 + _lip_move(f, f.upper_lip, down * 0.04)
    mc = f.mouth_centre
    for side in ("Left", "Right"):
        o = f.out(side)
        shapes[f"mouthSmile{side}"] = _corner_pull(f, side, CORNER_PULL * np.array([0.45 * o, -0.8, 0.35]))
        shapes[f"mouthFrown{side}"] = _corner_pull(f, side, CORNER_PULL * np.array([0.1 * o, 0.75, 0.1]), 0.18)
        shapes[f"mouthDimple{side}"] = _corner_pull(f, side, CORNER_PULL * np.array([0.35 * o, -0.1, 0.7]), 0.15)
        shapes[f"mouthStretch{side}"] = _corner_pull(f, side, CORNER_PULL * np.array([0.8 * o, 0.35, 0.1]))
        shapes[f"mouthPress{side}"] = _lip_move(f, f.upper_lip, down * 0.03, f.side(side)) + _lip_move(
            f, f.lower_lip, up * 0.03 + back * 0.02, f.side(side)
        )
        shapes[f"mouthLowerDown{side}"] = _lip_move(f, f.lower_lip, down * LIP_RAISE, f.side(side), inner=0.3)
        shapes[f"mouthUpperUp{side}"] = _lip_move(f, f.upper_lip, up * LIP_RAISE, f.side(side), inner=0.3)
        inner = _brow(f, side, "inner")
        outer = _brow(f, side, "outer")
        shapes[f"browDown{side}"] = np.outer(inner + 0.6 * outer, BROW_LOWER * (down - 0.35 * o * ex))
        shapes[f"browOuterUp{side}"] = np.outer(outer, BROW_OUTER_RAISE * up)
        shapes[f"eyeBlink{side}"] = _blink(f, side)
        shapes[f"eyeSquint{side}"] = _squint(f, side)
        shapes[f"eyeWide{side}"] = _wide(f, side)
        shapes[f"eyeLookUp{side}"] = _gaze(f, side, up * 0.7)
        shapes[f"eyeLookDown{side}"] = _gaze(f, side, down * 0.7)
        shapes[f"eyeLookOut{side}"] = _gaze(f, side, o * ex)
        shapes[f"eyeLookIn{side}"] = _gaze(f, side, -o * ex)
        cheek = f.p[lm.CHEEK_LEFT if side == "Left" else lm.CHEEK_RIGHT]
        under_eye = f.p[list(_lids(side)[1])].mean(0) + down * 0.25
        shapes[f"cheekSquint{side}"] = np.outer(_gauss(f.p, under_eye, 0.15) * f.side(side), up * 0.05)
        ala = f.p[lm.NOSE_ALA_LEFT if side == "Left" else lm.NOSE_ALA_RIGHT]
        sneer = _gauss(f.p, ala + up * 0.1, 0.12) * f.side(side)
        shapes[f"noseSneer{side}"] = np.outer(sneer, up * 0.06 + back * 0.01)
        shapes.setdefault("_cheeks", np.zeros_like(f.p))
        shapes["_cheeks"] += np.outer(_gauss(f.p, cheek + ex * 0.1 * o, 0.2) * f.side(side), 0.08 * (o * ex + fwd))
    shapes["cheekPuff"] = shapes.pop("_cheeks")
    shapes["browInnerUp"] = np.outer(_brow(f, "Left", "inner") + _brow(f, "Right", "inner"), BROW_INNER_RAISE * up)
    # Pucker: both corners in and the lips forward; funnel: the same with the lips parted.
    towards = np.sign(mc[0] - f.p[:, 0])[:, None] * ex
    lips_fwd = np.outer(f.lip_zone, fwd * 0.08)
    pull_in = (f.lip_zone * np.abs(f.p[:, 0] - mc[0]) / 0.4)[:, None] * towards * 0.12
    shapes["mouthPucker"] = lips_fwd + pull_in
    shapes["mouthFunnel"] = (
        0.7 * lips_fwd
        + 0.6 * pull_in
        + _lip_move(f, f.upper_lip, up * 0.04, inner=0.3)
        + _lip_move(f, f.lower_lip, down * 0.05, inner=0.3)
    )
    shapes["mouthLeft"] = np.outer(f.lip_zone, ex * 0.12)
    shapes["mouthRight"] = np.outer(f.lip_zone, -ex * 0.12)
    # Roll: the outer lip edge turns in towards the seam.
    upper_outer = _only(f.n, lm.LIPS_UPPER_OUTER[1:-1])
    lower_outer = _only(f.n, lm.LIPS_LOWER_OUTER[1:-1])
    shapes["mouthRollUpper"] = np.outer(upper_outer, down * LIP_RAISE * 0.8 + back * 0.03)
    shapes["mouthRollLower"] = np.outer(lower_outer, up * LIP_RAISE * 0.8 + back * 0.03)
    shapes["mouthShrugLower"] = _lip_move(f, f.lower_lip, up * 0.05 + fwd * 0.03) + np.outer(
        _gauss(f.p, f.p[lm.CHIN] + up * 0.3, 0.2) * f.jaw, up * 0.03
    )
    shapes["mouthShrugUpper"] = _lip_move(f, f.upper_lip, up * 0.04 + fwd * 0.02)
    return np.stack([shapes[name] for name in BLENDSHAPE_NAMES]).astype(np.float32)
