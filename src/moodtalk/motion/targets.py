"""Viseme → mouth-blendshape targets, and the mouth shapes this stage may move.

Weights use the ARKit scale of this project's face model: ``jawOpen`` 1.0 is a maximally open mouth
(inner-lip gap ≈ 0.55 × eye distance), so conversational speech sits around 0.1–0.45.

``mouthClose`` follows ARKit's definition (and ``moodtalk.face.basis``): it *cancels the jaw on the
lower lip* ("lips closed while the jaw is open"), so it is only meaningful up to about ``jawOpen``:
the lips meet when ``mouthClose ≈ jawOpen / 0.9``. A "closed" bilabial is therefore a small jaw
opening with a matching ``mouthClose`` plus lip press, not ``mouthClose = 1`` (which would push the
lower lip through the upper one).
"""

from __future__ import annotations

import numpy as np

from moodtalk.types import BLENDSHAPE_NAMES

VISEMES: tuple[str, ...] = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")
"""The 15 Oculus Lipsync visemes (the names ``PhoneSegment.viseme`` carries), in the SDK's order."""

MOUTH_SHAPES: tuple[str, ...] = (
    "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthRollLower", "mouthRollUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthShrugLower", "mouthShrugUpper",
)  # fmt: skip
"""The only blendshapes speech motion writes (every other column stays 0: emotion owns them)."""

MOUTH_INDEX: np.ndarray = np.array([BLENDSHAPE_NAMES.index(n) for n in MOUTH_SHAPES])
"""(M,) column of each mouth shape in ``BLENDSHAPE_NAMES``."""

# Shapes whose amplitude is the mouth *opening*: loudness scales them (a shouted vowel opens wider).
# mouthClose is in the set because it is relative to jawOpen (see the module docstring).
OPENING_SHAPES: tuple[str, ...] = (
    "jawOpen", "mouthClose", "mouthFunnel", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
)  # fmt: skip

# Shorthand used by the table: "mouthStretch" means both mouthStretchLeft and mouthStretchRight.
_PAIRED = ("mouthPress", "mouthLowerDown", "mouthUpperUp", "mouthStretch", "mouthSmile")

# Basis of the numbers (symmetric speech; Left = Right):
# * Meta/Oculus Lipsync "Viseme Reference" images (one reference mouth per viseme) and the Preston Blair
#   mouth charts (animation: MBP closed, FV lower lip to teeth, AI open, E spread, O round, U/W pucker).
# * FACS (Ekman & Friesen 1978): AU 25 lips part, AU 26 jaw drop (≈ 0.1–0.45 in speech), AU 27 mouth
#   stretch (> 0.5, only for wide-open vowels); AU 18/22 pucker/funnel for rounded vowels and
#   post-alveolars; AU 20 lip stretch for spread front vowels; AU 24 lip press and AU 28 lip suck for
#   bilabials/labiodentals.
# * Jaw heights of English vowels/consonants follow the usual articulatory ordering
#   (open aa > oh ≈ E > ih > ou; kk > DD > nn ≈ TH > CH > FF > SS > PP), e.g. Keating et al. 1994.
VISEME_TARGETS: dict[str, dict[str, float]] = {
    "sil": {},
    # Bilabial closure: tiny jaw drop cancelled on the lower lip (mouthClose ≈ jaw / 0.9) + AU 24 press.
    "PP": {"jawOpen": 0.04, "mouthClose": 0.045, "mouthPress": 0.35, "mouthRollLower": 0.15, "mouthRollUpper": 0.1},
    # Lower lip tucked under the upper teeth (AU 28 on the lower lip), upper lip slightly raised.
    "FF": {"jawOpen": 0.08, "mouthRollLower": 0.45, "mouthShrugLower": 0.25, "mouthUpperUp": 0.15},
    # Tongue between the teeth: lips just apart.
    "TH": {"jawOpen": 0.14, "mouthLowerDown": 0.1, "mouthUpperUp": 0.05, "mouthStretch": 0.05},
    "DD": {"jawOpen": 0.16, "mouthLowerDown": 0.1, "mouthStretch": 0.1},
    "kk": {"jawOpen": 0.2, "mouthLowerDown": 0.05, "mouthStretch": 0.08},
    # Post-alveolars: protruded, funnelled lips (AU 22), teeth nearly together.
    "CH": {"jawOpen": 0.12, "mouthFunnel": 0.4, "mouthPucker": 0.25, "mouthUpperUp": 0.1},
    # Sibilants: teeth close, lips spread a little.
    "SS": {"jawOpen": 0.08, "mouthStretch": 0.2, "mouthSmile": 0.05, "mouthUpperUp": 0.05},
    "nn": {"jawOpen": 0.14, "mouthLowerDown": 0.05, "mouthStretch": 0.05},
    # R: slight rounding.
    "RR": {"jawOpen": 0.14, "mouthPucker": 0.35, "mouthFunnel": 0.2},
    # Open vowel (AU 26, towards 27).
    "aa": {"jawOpen": 0.55, "mouthLowerDown": 0.2, "mouthUpperUp": 0.1},
    # Mid front vowel: open-mid jaw, spread (AU 20) with a little smile.
    "E": {"jawOpen": 0.3, "mouthStretch": 0.3, "mouthSmile": 0.15, "mouthLowerDown": 0.15, "mouthUpperUp": 0.05},
    # Close front vowel: small jaw, more spread.
    "ih": {"jawOpen": 0.2, "mouthStretch": 0.35, "mouthSmile": 0.15},
    # Mid back rounded vowel: open jaw + funnel.
    "oh": {"jawOpen": 0.35, "mouthFunnel": 0.5, "mouthPucker": 0.15},
    # Close back rounded vowel: pucker (AU 18).
    "ou": {"jawOpen": 0.15, "mouthPucker": 0.8, "mouthFunnel": 0.2},
    # Not an Oculus viseme: the reduced central vowel (schwa, ARPAbet AH), far less open than /a/ but put in
    # 'aa' by the viseme table. It is the most frequent English vowel, so it matters for the jaw rhythm.
    "ah": {"jawOpen": 0.3, "mouthLowerDown": 0.12, "mouthUpperUp": 0.05},
}
"""Target mouth pose of each viseme (unlisted shapes are 0), plus the extra row "ah" (see ``PHONE_ROWS``)."""

ROWS: tuple[str, ...] = (*VISEMES, "ah")
"""Rows of ``target_matrix``: the 15 visemes, then phone-specific refinements."""

PHONE_ROWS: dict[str, str] = {"AH": "ah"}
"""Phones whose own target replaces their viseme's (the phone is known on the phoneme path). Measured on the
real clips: schwa as its own target raised the median lip-opening correlation by about 0.01."""

VISEME_DOMINANCE: dict[str, float] = {
    "sil": 0.2,  # short pauses inside speech barely close the mouth; real silence is handled by the speech gate
    "PP": 3.0,  # lips must close (the closure centre is also forced, see coarticulation.closure_frames)
    "FF": 2.0,  # lip-teeth contact is as visible as a closure
    "TH": 0.5,
    "DD": 0.35,  # tongue-tip consonants leave lips and jaw to the neighbouring vowels
    "kk": 0.3,
    "CH": 2.0,  # lip protrusion is part of the sound
    "SS": 0.8,
    "nn": 0.35,
    "RR": 1.0,
    "aa": 1.0,
    "E": 1.0,
    "ih": 1.0,
    "oh": 1.2,
    "ou": 1.5,
    "ah": 1.0,
}
"""Magnitude α of each viseme's dominance function (Cohen & Massaro 1993): how strongly a segment pulls
the mouth towards its target against its neighbours. Consonants made with the tongue are weakly
specified for the lips (they coarticulate heavily); labials are strongly specified."""


def target_matrix() -> np.ndarray:
    """(len(ROWS), len(MOUTH_SHAPES)) float64 target weights, rows in ``ROWS`` order (``VISEMES`` first)."""
    out = np.zeros((len(ROWS), len(MOUTH_SHAPES)))
    for i, v in enumerate(ROWS):
        for name, value in VISEME_TARGETS[v].items():
            names = (f"{name}Left", f"{name}Right") if name in _PAIRED else (name,)
            for n in names:
                out[i, MOUTH_SHAPES.index(n)] = value
    return out


def shape_mask(names: tuple[str, ...]) -> np.ndarray:
    """(len(MOUTH_SHAPES),) bool: which mouth shapes are in ``names``."""
    return np.array([n in names for n in MOUTH_SHAPES])
