"""The emotion space: one direction per emotion in blendshape space, and per-emotion hyperplanes.

An emotion is a **direction** in the 51-dimensional blendshape space and its intensity the length along
it (the continuous emotion space of Xu et al., arXiv 2409.19501): ``offset = intensity × direction``,
with intensity 1 = a clear posed expression as in FACS prototype photographs (``POSED_PROTOTYPES``, applied
over the measured direction by ``emotion.apply``); MEAD's level-3 clips sit at about intensity 0.3–0.7
(``EmotionSpace.level3_intensity``). Each emotion also has a **hyperplane**
``w_z · x + b_z = 0`` separating its frames from the other emotions' frames (EmoHead, arXiv 2503.19416),
used to refine an expression towards its target emotion (``α̂ = α̃ + τ·w_z``, see ``emotion.apply``).

Directions start from FACS action-unit prototypes and are refined on real labelled MEAD / CREMA-D clips by
``scripts/build_emotion_space.py``; the result ships as ``moodtalk/data/emotion_space.npz``.

Sources of the prototypes
-------------------------
Ekman & Friesen, EMFACS-7 (1983) and Ekman, Friesen & Hager, *Facial Action Coding System: Investigator's
Guide* (2002), table of prototypic emotion AU combinations:

=========  ===================================  ==========================================
emotion    action units                         ARKit blendshapes (``AU_TO_BLENDSHAPES``)
=========  ===================================  ==========================================
happy      6 + 12                               cheekSquint, mouthSmile
sad        1 + 4 + 15                           browInnerUp, browDown, mouthFrown
surprised  1 + 2 + 5B + 26                      browInnerUp, browOuterUp, eyeWide (slight), jawOpen
fearful    1 + 2 + 4 + 5 + 7 + 20 + 26          + browDown, eyeSquint, mouthStretch
angry      4 + 5 + 7 + 23                       browDown, eyeWide, eyeSquint, mouthPress
disgusted  9 + 15 + 16 (+ 10)                   noseSneer, mouthFrown, mouthLowerDown (+ mouthUpperUp)
contempt   R12A + R14A (one side)               mouthSmileRight, mouthDimpleRight
=========  ===================================  ==========================================

FACS intensity letters A–E (trace … maximum) are read as 0.2, 0.4, 0.6, 0.8, 1.0; an AU without a letter
counts as C (0.6, "marked"); optional AUs (in brackets) count as B. Only the *relative* strengths inside one
prototype matter: every prototype is normalised before it is blended with the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from moodtalk.types import BLENDSHAPE_NAMES, EMOTIONS

K = len(BLENDSHAPE_NAMES)
_IDX = {n: i for i, n in enumerate(BLENDSHAPE_NAMES)}


def _both(stem: str) -> tuple[str, str]:
    return f"{stem}Left", f"{stem}Right"


# FACS action unit → the ARKit blendshapes that reproduce it (ARKit's own descriptions of each shape;
# AU 23 "lip tightener" has no ARKit shape of its own and mouthPress is the closest).
AU_TO_BLENDSHAPES: dict[int, tuple[str, ...]] = {
    1: ("browInnerUp",),  # inner brow raiser
    2: _both("browOuterUp"),  # outer brow raiser
    4: _both("browDown"),  # brow lowerer
    5: _both("eyeWide"),  # upper lid raiser
    6: _both("cheekSquint"),  # cheek raiser
    7: _both("eyeSquint"),  # lid tightener
    9: _both("noseSneer"),  # nose wrinkler
    10: _both("mouthUpperUp"),  # upper lip raiser
    12: _both("mouthSmile"),  # lip corner puller
    14: _both("mouthDimple"),  # dimpler
    15: _both("mouthFrown"),  # lip corner depressor
    16: _both("mouthLowerDown"),  # lower lip depressor
    17: ("mouthShrugLower",),  # chin raiser
    20: _both("mouthStretch"),  # lip stretcher
    23: _both("mouthPress"),  # lip tightener
    26: ("jawOpen",),  # jaw drop
}

FACS_LETTER = {"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.8, "E": 1.0}
"""FACS intensity letters (trace, slight, marked, severe, maximum) as weights."""

# (AU, intensity letter, side) per emotion; side "" = both, "R" = the subject's right only.
# Ekman, Friesen & Hager 2002; optional AUs at B.
AU_PROTOTYPES: dict[str, tuple[tuple[int, str, str], ...]] = {
    "neutral": (),
    "angry": ((4, "C", ""), (5, "C", ""), (7, "C", ""), (23, "C", "")),
    "contempt": ((12, "A", "R"), (14, "A", "R")),
    "disgusted": ((9, "C", ""), (15, "C", ""), (16, "C", ""), (10, "B", "")),
    "fearful": ((1, "C", ""), (2, "C", ""), (4, "C", ""), (5, "C", ""), (7, "C", ""), (20, "C", ""), (26, "C", "")),
    "happy": ((6, "C", ""), (12, "C", "")),
    "sad": ((1, "C", ""), (4, "C", ""), (15, "C", "")),
    "surprised": ((1, "C", ""), (2, "C", ""), (5, "B", ""), (26, "C", "")),
}

# --- Intensity 1: the posed prototype ----------------------------------------------------------------------

POSED_PROTOTYPES: dict[str, dict[str, float]] = {
    "neutral": {},
    # AU 4 + 5 + 10 + 23 (+ 9, 15, 17): brows pulled fully down and together (their outer ends held up a little:
    # the slanted brow), upper lids raised fully under them (the stare), upper lip raised (EMFACS's anger variants
    # 4+5+7+10+23+25), nose wrinkled, corners pulled down, lips pressed and chin raised while speech keeps the mouth
    # closed. (Round 9, a FER-guided coordinate search on the 11 wide tuning portraits,
    # benchmarks/tune_prototypes.py: upper-lid raise 0.3 → 1, upper lip 0 → 1, corners 0.2 → 1, outer brow 0 → 0.5,
    # nose 0.8 → 1, lid tightening 0.6 → 0; FER 64 → 100 % of the tuning portraits, 60 → 100 % of the evaluation's
    # 5, benchmarks/README.md, Emotion, round 9. Press and chin raise 1 gained nothing in round 6 and moved sealed
    # bilabials more.)
    "angry": {"browDown": 1.0, "browInnerUp": 0.0, "browOuterUp": 0.5, "eyeSquint": 0.0, "eyeWide": 1.0,
              "cheekSquint": 0.2, "noseSneer": 1.0, "mouthPress": 0.7, "mouthShrugLower": 0.3, "mouthFrown": 1.0,
              "mouthStretch": 0.0, "mouthUpperUp": 1.0, "mouthSmile": 0.0},
    # R14 (+ R7, R2, L9): one side's lip corner pulled back and down, that side's lid tightened and outer brow
    # up, the other nose wing raised — the one-sided shapes the MEAD actors' contempt clips measure (their
    # hyperplane weighs mouthFrownRight − Left, eyeSquintRight and noseSneerLeft most). A one-sided *smile*
    # (R12) read as happy, and the data direction's raised inner brows as fear, on the tuning portraits.
    "contempt": {"mouthDimpleRight": 1.0, "mouthFrownRight": 1.0, "mouthStretchRight": 0.5, "eyeSquintRight": 0.8,
                 "browOuterUpRight": 0.5, "noseSneerLeft": 0.5, "mouthSmile": 0.0, "mouthDimpleLeft": 0.0,
                 "mouthFrownLeft": 0.0, "mouthStretchLeft": 0.0, "eyeSquintLeft": 0.0, "eyeWide": 0.0,
                 "browInnerUp": 0.0, "browOuterUpLeft": 0.0, "noseSneerRight": 0.0},
    # AU 9 + 10 + 15 (+ 4, 6, 7, 17, 25/26): nose wrinkled and upper lip raised fully (the upper teeth show), lip
    # corners pulled down (so the raised lip does not read as a smile), brows lowered with the inner corners
    # lifted a little, lids narrowed by the raised cheeks, lips a little apart. (Cheeks and lids full, inner brow
    # 0.4 and jaw 0.2: FER 18 → 55 % on the wide tuning portraits; lowered brows alone read as anger.)
    "disgusted": {"noseSneer": 1.0, "mouthUpperUp": 1.0, "browDown": 1.0, "browInnerUp": 0.4, "browOuterUp": 0.0,
                  "cheekSquint": 1.0, "eyeSquint": 1.0, "mouthFrown": 1.0, "mouthLowerDown": 0.0,
                  "mouthShrugLower": 0.5, "mouthSmile": 0.0, "mouthStretch": 0.0, "jawOpen": 0.2},
    # AU 1 + 2 + 4 + 5 + 20 + 26: inner brows up and drawn together (outer corners less: an even arch reads as
    # surprise), eyes wide open, lips stretched sideways with the jaw a little open, corners not pulled down
    # (that reads as sad). (Brow lowering 0.6, outer raise 0.3, stretch 1, jaw 0.4, no frown instead of 0.3 /
    # 0.5 / 0.8 / 0.2 / 0.2; FER still reads fear as sad on 3 of the 11 wide tuning portraits: 27 → 27 %.)
    "fearful": {"browInnerUp": 1.0, "browOuterUp": 0.3, "browDown": 0.6, "eyeWide": 1.0, "eyeSquint": 0.0,
                "cheekSquint": 0.0, "mouthStretch": 1.0, "jawOpen": 0.4, "mouthFrown": 0.0, "mouthSmile": 0.0},
    # AU 12 + 14 + 25/26 (+ 10): a broad open smile — corners pulled up and back, mouth open (a laugh: FER read the
    # closed-lip smile as neutral), the upper lip a little raised so the upper teeth show. No cheek raise or lid
    # tightening (AU 6/7): on the warped photos they narrowed the eyes to slits ("squints almost shut", round 8's
    # sheets) and FER read them less as happy. (Round 9 search: cheeks 1 → 0, lids 0.5 → 0, dimpler 0 → 1,
    # upper lip 0 → 0.25; FER 73 → 73 % clips but target probability 0.58 → 0.68 on the tuning portraits,
    # 80 → 100 % on the evaluation's 5.)
    "happy": {"mouthSmile": 1.0, "cheekSquint": 0.0, "eyeSquint": 0.0, "jawOpen": 0.4, "browDown": 0.0,
              "mouthFrown": 0.0, "mouthUpperUp": 0.25, "mouthDimple": 1.0, "browInnerUp": 0.0, "mouthStretch": 0.0},
    # AU 1 + 4 + 15 + 17 (+ lowered lids): oblique brows (inner corners up, brows drawn together), corners pulled
    # fully down, chin raised (only while speech keeps the lips closed), lids narrowed and never widened (wide
    # eyes under raised inner brows read as fear). (Inner raise 0.6 and lids 0.7 instead of 0.9 / 0.2: FER 45 →
    # 64 % on the wide tuning portraits.)
    "sad": {"browInnerUp": 0.6, "browDown": 0.5, "browOuterUp": 0.0, "mouthFrown": 1.0, "mouthShrugLower": 0.6,
            "eyeSquint": 0.7, "eyeWide": 0.0, "cheekSquint": 0.0, "mouthSmile": 0.0, "mouthStretch": 0.0},
    # AU 1 + 2 + 5 + 26: brows raised fully (inner and outer), eyes wide, jaw dropped (also in speech pauses;
    # bilabials still close). (Inner raise 0.9, jaw 1 instead of 0.2 / 0.5: FER 55 → 64 % on the wide tuning
    # portraits; an inner-only raise reads as sad.)
    "surprised": {"browInnerUp": 0.9, "browOuterUp": 1.0, "browDown": 0.0, "eyeWide": 1.0, "eyeSquint": 0.0,
                  "cheekSquint": 0.0, "jawOpen": 1.0, "mouthFrown": 0.0, "mouthSmile": 0.0, "mouthStretch": 0.0,
                  "mouthShrugUpper": 0.0, "mouthShrugLower": 0.0},
}  # fmt: skip
"""Offsets from neutral of each emotion at intensity 1: a clear posed expression as in the FACS prototype
photographs (Ekman, Friesen & Hager 2002), in weight units (weight 1 of a brow or lid shape is the strongest
pose of the real labelled clips, their 99th percentile, so 1.0 here is a full but natural AU). A stem without
side (``browDown``) sets both sides; 0 removes a shape the measured data carry but the posed face lacks.
Shapes not named keep the data direction (+ hyperplane push). MEAD's level-3 clips are much subtler (see
``EmotionSpace.level3_intensity``)."""


def posed_targets() -> tuple[np.ndarray, np.ndarray]:
    """(8, 51) posed offsets and (8, 51) bool mask of the shapes they set, in ``EMOTIONS`` order."""
    values = np.zeros((len(EMOTIONS), K))
    given = np.zeros((len(EMOTIONS), K), dtype=bool)
    for e, shapes in POSED_PROTOTYPES.items():
        for stem, v in shapes.items():
            for name in (stem,) if stem in _IDX else _both(stem):
                values[EMOTIONS.index(e), _IDX[name]] = v
                given[EMOTIONS.index(e), _IDX[name]] = True
    return values, given


# --- Which blendshapes the emotion stage may move, and how -------------------------------------------------

EXPRESSION_SHAPES: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekSquintLeft", "cheekSquintRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight",
    "noseSneerLeft", "noseSneerRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "mouthLowerDownLeft", "mouthLowerDownRight", "mouthShrugLower", "mouthShrugUpper",
)  # fmt: skip
"""Shapes an emotion adds to (brows, lids, cheeks, nose, mouth corners, lip raisers/depressors): the
dimensions the measured data means are kept on."""

HYPERPLANE_SHAPES: tuple[str, ...] = tuple(
    n for n in EXPRESSION_SHAPES if not n.startswith(("mouthLowerDown", "mouthShrug"))
)
"""Dimensions of the hyperplanes: the expression shapes without those speech moves most (lower lip
depressor and chin raiser follow the jaw and the labiodentals)."""

OPENING_SHAPES: tuple[str, ...] = (
    "jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "mouthStretchLeft", "mouthStretchRight",
)  # fmt: skip
"""Emotion components that part the lips: suppressed where speech closes them (bilabials)."""

CLOSED_MOUTH_SHAPES: tuple[str, ...] = ("mouthPressLeft", "mouthPressRight", "mouthShrugLower", "mouthShrugUpper")
"""Emotion components that squeeze the lips together (AU 23 lip tightener, AU 17 chin raiser): added only
while speech keeps the mouth closed (pauses, bilabials), so they never fight an opening."""

LIP_SHAPES: tuple[str, ...] = (
    "jawOpen", "mouthClose", "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthFunnel",
    "mouthRollLower", "mouthRollUpper", "jawForward", "jawLeft", "jawRight", "mouthLeft", "mouthRight", "cheekPuff",
)  # fmt: skip
"""Shapes owned by speech (EmotiveTalk's lip/expression decoupling): an emotion never moves them, except
the gated jawOpen baseline and the closed-mouth press described in ``emotion.apply``."""

UNTOUCHED_SHAPES: tuple[str, ...] = tuple(n for n in BLENDSHAPE_NAMES if n.startswith(("eyeBlink", "eyeLook")))
"""Blinks and gaze belong to the behaviour stage."""

TRANSFER_SHAPES: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekSquintLeft", "cheekSquintRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight",
    "noseSneerLeft", "noseSneerRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight",
    "mouthStretchLeft", "mouthStretchRight",
)  # fmt: skip
"""Upper face (brows, lids, cheeks, nose) and mouth corners (AU 12, 14, 15, 20): what a reference face
passes on. Lips, jaw, blinks and gaze are excluded."""

DIRECTION_SHAPES: tuple[str, ...] = (*EXPRESSION_SHAPES, "jawOpen", "mouthPressLeft", "mouthPressRight")
"""Dimensions a shipped direction may be non-zero on: the expression shapes (prototype + data) and the
prototype-only jaw drop (AU 26) and lip tightener (AU 23). Their jaw and press are not taken from the data
because emotional speech is louder: the measured jaw offset is speech, not expression."""


def mask(names: tuple[str, ...]) -> np.ndarray:
    """(51,) bool mask of ``names`` in ``BLENDSHAPE_NAMES`` order."""
    m = np.zeros(K, dtype=bool)
    m[[_IDX[n] for n in names]] = True
    return m


def prototype_directions() -> np.ndarray:
    """(8, 51) float64 unit FACS prototype directions in ``EMOTIONS`` order (neutral = 0)."""
    out = np.zeros((len(EMOTIONS), K))
    for e, aus in AU_PROTOTYPES.items():
        row = out[EMOTIONS.index(e)]
        for au, letter, side in aus:
            for name in AU_TO_BLENDSHAPES[au]:
                if side == "R" and name.endswith("Left"):
                    continue
                row[_IDX[name]] = max(row[_IDX[name]], FACS_LETTER[letter])
        if row.any():
            row /= np.linalg.norm(row)
    return out


# --- The space itself ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmotionSpace:
    """Emotion directions and hyperplanes in blendshape space (rows in ``EMOTIONS`` order)."""

    directions: np.ndarray
    """(8, 51) measured offset of each emotion at MEAD level 3 (blended with the FACS prototype); the neutral row
    is 0. ``emotion.apply`` replaces the shapes ``POSED_PROTOTYPES`` names, so intensity 1 is the posed
    expression and this direction sits at about ``level3_intensity``."""
    normals: np.ndarray
    """(8, 51) hyperplane normal w_z of each emotion (0 off ``hyperplane_shapes``), in weight units."""
    biases: np.ndarray
    """(8,) hyperplane bias b_z: ``w_z · x + b_z > 0`` on the emotion's side."""
    hyperplane_shapes: tuple[str, ...] = HYPERPLANE_SHAPES
    """Names of the dimensions the hyperplanes use."""
    prototypes: np.ndarray = field(default_factory=prototype_directions)
    """(8, 51) unit FACS prototypes the directions started from."""
    data_means: np.ndarray = field(default_factory=lambda: np.zeros((len(EMOTIONS), K)))
    """(8, 51) measured mean offset from neutral on the real clips (0 where not measured)."""
    rest: np.ndarray = field(default_factory=lambda: np.zeros(K))
    """(51,) mean weights the solver gives a neutral talking face (MEAD/CREMA-D neutral clips, each actor
    once): subtracted from a reference face measured without its own neutral (``emotion.transfer``)."""
    cv_accuracy: float = float("nan")
    """Leave-one-actor-out 8-way frame accuracy of the hyperplanes (argmax of the decision values)."""

    def __post_init__(self) -> None:
        n = len(EMOTIONS)
        for name, shape in (("directions", (n, K)), ("normals", (n, K)), ("biases", (n,)), ("prototypes", (n, K)),
                            ("data_means", (n, K)), ("rest", (K,))):  # fmt: skip
            if getattr(self, name).shape != shape:
                raise ValueError(f"EmotionSpace.{name} must be {shape}, got {getattr(self, name).shape}")

    @property
    def strength(self) -> np.ndarray:
        """(8,) length of each direction (its level-3 strength in weight units)."""
        return np.linalg.norm(self.directions, axis=1)

    @property
    def level3_intensity(self) -> np.ndarray:
        """(8,) intensity at which the posed expression (``POSED_PROTOTYPES`` over the direction) is as strong
        as MEAD's level-3 mean along it: the projection of the direction onto the intensity-1 offset (neutral 0)."""
        values, given = posed_targets()
        full = np.where(given, values, self.directions)
        num = (self.directions * full).sum(1)
        den = (full**2).sum(1)
        return np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)

    def decision(self, weights: np.ndarray) -> np.ndarray:
        """(T, 8) hyperplane decision values ``w_z · x + b_z`` of (T, 51) weights (> 0: that emotion's side)."""
        return np.asarray(weights, np.float64) @ self.normals.T + self.biases


def save_space(space: EmotionSpace, path: str | Path) -> None:
    """Write ``space`` as a small .npz (see ``moodtalk/data/README.md``)."""
    np.savez_compressed(
        path,
        directions=space.directions.astype(np.float32),
        normals=space.normals.astype(np.float32),
        biases=space.biases.astype(np.float32),
        hyperplane_shapes=np.array(space.hyperplane_shapes),
        prototypes=space.prototypes.astype(np.float32),
        data_means=space.data_means.astype(np.float32),
        rest=space.rest.astype(np.float32),
        emotions=np.array(EMOTIONS),
        names=np.array(BLENDSHAPE_NAMES),
        cv_accuracy=np.float32(space.cv_accuracy),
    )


def load_space(path: str | Path) -> EmotionSpace:
    """Read a space written by ``save_space``; checks its emotion and blendshape order."""
    with np.load(path) as z:
        if tuple(z["emotions"]) != EMOTIONS or tuple(z["names"]) != BLENDSHAPE_NAMES:
            raise ValueError(f"{path}: emotion or blendshape order differs from moodtalk.types")
        return EmotionSpace(
            directions=z["directions"].astype(np.float64),
            normals=z["normals"].astype(np.float64),
            biases=z["biases"].astype(np.float64),
            hyperplane_shapes=tuple(str(s) for s in z["hyperplane_shapes"]),
            prototypes=z["prototypes"].astype(np.float64),
            data_means=z["data_means"].astype(np.float64),
            rest=z["rest"].astype(np.float64),
            cv_accuracy=float(z["cv_accuracy"]),
        )


@lru_cache(maxsize=1)
def default_space() -> EmotionSpace:
    """The shipped space (``moodtalk/data/emotion_space.npz``), loaded once."""
    with resources.as_file(resources.files("moodtalk") / "data" / "emotion_space.npz") as path:
        return load_space(path)


# --- Building the space from data (used by scripts/build_emotion_space.py) ---------------------------------

N_OPENING_BINS = 5
"""EmoHead (appendix B): frames are put in five equal-width groups of mouth opening between its minimum and
maximum, and sampled equally from each so a hyperplane cannot learn speech."""

DATA_WEIGHT = 0.5
"""Share of the measured data mean in a blended direction (the rest is the FACS prototype)."""

OWN_SIDE_MARGIN = 0.5
"""Decision value a direction must reach on its own emotion's hyperplane (SVM margins are ±1); the same
value as ``EmotionConfig.margin``, so at intensity 1 a pure direction needs no refinement."""

MIN_BIN_FRAMES = 3
"""Fewest frames per opening bin, in both clips, for that bin to enter an opening-matched mean."""


def opening_bins(jaw: np.ndarray, lo: float, hi: float, n_bins: int = N_OPENING_BINS) -> np.ndarray:
    """(T,) int bin 0..n_bins-1 of each frame's jawOpen in ``n_bins`` equal-width bins over [lo, hi]."""
    edges = np.linspace(lo, hi, n_bins + 1)[1:-1]
    return np.searchsorted(edges, jaw, side="right")


def matched_offset(emotional: np.ndarray, neutral: np.ndarray) -> np.ndarray:
    """(51,) mean of (T1, 51) emotional frames minus (T0, 51) neutral frames of one actor, matched on mouth
    opening: means are differenced inside each jawOpen bin that both clips fill, then averaged over bins,
    so louder (wider-open) emotional speech does not leak into the lip-raiser and stretch dimensions."""
    jaw = _IDX["jawOpen"]
    both = np.concatenate([emotional[:, jaw], neutral[:, jaw]])
    lo, hi = np.percentile(both, [2, 98])
    be, bn = opening_bins(emotional[:, jaw], lo, hi), opening_bins(neutral[:, jaw], lo, hi)
    diffs = [emotional[be == b].mean(0) - neutral[bn == b].mean(0) for b in range(N_OPENING_BINS)
             if (be == b).sum() >= MIN_BIN_FRAMES and (bn == b).sum() >= MIN_BIN_FRAMES]  # fmt: skip
    if not diffs:  # no common opening: plain means
        return emotional.mean(0) - neutral.mean(0)
    return np.mean(diffs, axis=0)


def blend_directions(prototypes: np.ndarray, data_means: np.ndarray, data_weight: float = DATA_WEIGHT) -> np.ndarray:
    """(8, 51) directions: unit data mean (on ``EXPRESSION_SHAPES``) and unit prototype mixed
    ``data_weight : 1 − data_weight``, re-normalised, then scaled to the data mean's length so that
    intensity 1 reproduces the measured level-3 strength. Rows without data keep the prototype at the
    median measured strength."""
    expr = mask(EXPRESSION_SHAPES)
    keep = mask(DIRECTION_SHAPES)
    out = np.zeros_like(prototypes)
    data = np.where(expr, data_means, 0.0)
    norms = np.linalg.norm(data, axis=1)
    measured = norms[norms > 0]
    fallback = float(np.median(measured)) if len(measured) else 1.0
    for i in range(len(prototypes)):
        p = prototypes[i] * keep
        if not p.any():  # neutral
            continue
        if norms[i] == 0:
            out[i] = p / np.linalg.norm(p) * fallback
            continue
        mix = data_weight * data[i] / norms[i] + (1 - data_weight) * p / np.linalg.norm(p)
        out[i] = mix / np.linalg.norm(mix) * norms[i]
    return out


def balanced_sample(
    jaw: np.ndarray, groups: np.ndarray, per_bin: int, rng: np.random.Generator, n_bins: int = N_OPENING_BINS
) -> np.ndarray:
    """Indices of a mouth-opening-balanced sample: for each group (one clip) ``per_bin`` draws from each
    non-empty jawOpen bin (equal-width over all frames' 2–98 % range; with replacement where a bin is small)."""
    lo, hi = np.percentile(jaw, [2, 98])
    bins = opening_bins(jaw, lo, hi, n_bins)
    picks = []
    for g in np.unique(groups):
        for b in range(n_bins):
            idx = np.flatnonzero((groups == g) & (bins == b))
            if len(idx):
                picks.append(rng.choice(idx, per_bin, replace=len(idx) < per_bin))
    return np.concatenate(picks)


def train_hyperplanes(
    features: np.ndarray, labels: np.ndarray, jaw: np.ndarray, groups: np.ndarray, per_bin: int = 40,
    c: float = 0.5, seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """One-vs-rest linear SVMs (scikit-learn ``LinearSVC``) on a mouth-opening-balanced sample.

    Args:
        features: (N, D) frames on the hyperplane dimensions (offsets from the actor's neutral).
        labels: (N,) int emotion index.
        jaw: (N,) jawOpen of each frame (for the balancing).
        groups: (N,) clip id of each frame (each clip is balanced on its own).
        per_bin: draws per clip and opening bin.
        c: SVM regularisation (smaller = wider margin).
        seed: sampling seed.

    Returns:
        (8, D) normals and (8,) biases; an emotion without frames gets w = 0, b = −1.
    """
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(seed)
    idx = balanced_sample(jaw, groups, per_bin, rng)
    x, y = features[idx], labels[idx]
    normals = np.zeros((len(EMOTIONS), features.shape[1]))
    biases = -np.ones(len(EMOTIONS))
    for e in np.unique(y):
        svm = LinearSVC(C=c, class_weight="balanced", max_iter=20000, random_state=seed)
        svm.fit(x, (y == e).astype(int))
        normals[e], biases[e] = svm.coef_[0], svm.intercept_[0]
    return normals, biases


def build_space(
    clips: list[tuple[str, str, np.ndarray]], heldout: list[tuple[str, str, np.ndarray]] = (), per_bin: int = 40,
    c: float = 0.5, data_weight: float = DATA_WEIGHT,
) -> tuple[EmotionSpace, dict]:  # fmt: skip
    """Directions and hyperplanes from labelled clips.

    Args:
        clips: (actor, emotion, (T, 51) weights measured relative to the actor's neutral face); every actor
            needs a "neutral" clip.
        heldout: (name, emotion, weights) clips only scored (e.g. clips without a neutral of their person).
        per_bin, c: see ``train_hyperplanes``.
        data_weight: see ``blend_directions``.

    Returns:
        The space and a report (per-actor offsets, leave-one-actor-out accuracies).
    """
    neutral = {a: w for a, e, w in clips if e == "neutral"}
    hyper = mask(HYPERPLANE_SHAPES)
    # Per actor and emotion: the opening-matched offset from that actor's neutral.
    offsets: dict[str, dict[str, np.ndarray]] = {}
    for actor, emo, w in clips:
        if emo != "neutral":
            offsets.setdefault(emo, {}).setdefault(actor, []).append(matched_offset(w, neutral[actor]))
    data_means = np.zeros((len(EMOTIONS), K))
    for emo, by_actor in offsets.items():
        # Each actor counts once (several clips of one actor are averaged first).
        data_means[EMOTIONS.index(emo)] = np.mean([np.mean(v, axis=0) for v in by_actor.values()], axis=0)
    prototypes = prototype_directions()
    directions = blend_directions(prototypes, data_means, data_weight)

    # Frames as offsets from the actor's mean neutral frame: the pipeline's speech motion starts from a
    # neutral face, so the hyperplanes must see "change from neutral", not each actor's resting weights.
    feats, labels, jaw, groups, actors = [], [], [], [], []
    for i, (actor, emo, w) in enumerate(clips):
        feats.append((w - neutral[actor].mean(0))[:, hyper])
        labels.append(np.full(len(w), EMOTIONS.index(emo)))
        jaw.append(w[:, _IDX["jawOpen"]])
        groups.append(np.full(len(w), i))
        actors.append(np.array([actor] * len(w)))
    x, y, j, g, act = (np.concatenate(v) for v in (feats, labels, jaw, groups, actors))

    report: dict = {"frames": int(len(y)), "actors": sorted(set(act.tolist())), "loao": {}}
    correct = total = 0
    for held in sorted(set(act.tolist())):
        tr, te = act != held, act == held
        wn, bn = train_hyperplanes(x[tr], y[tr], j[tr], g[tr], per_bin, c)
        scores = x[te] @ wn.T + bn
        pred = scores.argmax(1)
        per_class = {}
        for e in np.unique(y[te]):
            own = y[te] == e
            # One-vs-rest balanced accuracy of this emotion's hyperplane on the held-out actor.
            pos = float((scores[own, e] > 0).mean())
            neg = float((scores[~own, e] <= 0).mean()) if (~own).any() else float("nan")
            per_class[EMOTIONS[e]] = {"argmax_acc": round(float((pred[own] == e).mean()), 3),
                                      "ovr_balanced_acc": round(float(np.nanmean([pos, neg])), 3)}  # fmt: skip
        acc = float((pred == y[te]).mean())
        report["loao"][held] = {"frames": int(te.sum()), "argmax_acc": round(acc, 3), "per_class": per_class}
        correct += int((pred == y[te]).sum())
        total += int(te.sum())
    cv = correct / max(total, 1)
    report["loao_argmax_acc"] = round(cv, 3)
    report["chance"] = round(1 / len(EMOTIONS), 3)

    wn, bn = train_hyperplanes(x, y, j, g, per_bin, c)
    normals = np.zeros((len(EMOTIONS), K))
    normals[:, hyper] = wn
    # A shipped direction must lie on its own side of its own hyperplane and score highest there (else the
    # refinement would fight the direction, and a reference face showing it would read as another emotion):
    # where the 50/50 blend does not, the data share grows in steps of 0.1 until it does.
    reference = mask(TRANSFER_SHAPES)

    def misplaced(i: int) -> bool:
        for d in (directions[i], directions[i] * reference):  # whole, and as a reference face shows it
            scores = normals @ d + bn
            if scores[i] <= OWN_SIDE_MARGIN or scores.argmax() != i:
                return True
        return False

    shares = {}
    for i, e in enumerate(EMOTIONS):
        share = data_weight
        while e != "neutral" and misplaced(i) and share < 1.0:
            share = min(1.0, share + 0.1)
            directions[i] = blend_directions(prototypes, data_means, share)[i]
        shares[e] = round(share, 2)
    report["data_share"] = shares
    space = EmotionSpace(directions=directions, normals=normals, biases=bn, prototypes=prototypes,
                         data_means=data_means, rest=np.mean([w.mean(0) for w in neutral.values()], axis=0),
                         cv_accuracy=cv)  # fmt: skip
    report["train_argmax_acc"] = round(float(((x @ wn.T + bn).argmax(1) == y).mean()), 3)
    own = np.array([space.decision(directions[i][None])[0, i] for i in range(len(EMOTIONS))])
    report["own_decision_of_direction"] = {e: round(float(v), 3) for e, v in zip(EMOTIONS, own, strict=True)}
    report["cos_prototype_vs_data"] = {
        e: round(float(_cos(prototypes[i] * mask(EXPRESSION_SHAPES), data_means[i] * mask(EXPRESSION_SHAPES))), 3)
        for i, e in enumerate(EMOTIONS) if e != "neutral"
    }  # fmt: skip
    report["strength"] = {e: round(float(v), 3) for e, v in zip(EMOTIONS, space.strength, strict=True)}
    if heldout:
        # Informal clips: measured without a neutral of their person, so scored as offsets from ``rest``.
        res = {}
        for name, emo, w in heldout:
            votes = np.bincount(space.decision(w - space.rest).argmax(1), minlength=len(EMOTIONS))
            res[name] = {"label": emo, "clip_vote": EMOTIONS[int(votes.argmax())],
                         "frame_acc": round(float(votes[EMOTIONS.index(emo)] / len(w)), 3)}  # fmt: skip
        report["heldout"] = res
    return space, report


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return float(a @ b / (na * nb)) if na > 0 and nb > 0 else 0.0
