"""Rebuild moodtalk's face model (canonical neutral mesh + blendshapes) from real videos.

    .venv/bin/python scripts/build_face_model.py [--data ../shared/data] [--cache runs/face_cache]
    .venv/bin/python scripts/build_face_model.py --from-model src/moodtalk/data/face_model.npz


1. Track every video under DATA/emotion_video and DATA/talking_video with moodtalk's tracker
   (cached per clip as .npz).
2. Canonical mesh: generalised Procrustes analysis of each clip's calmest frames (mouth
   opening in the clip's lowest 30 %), every clip weighted equally, mirrored and averaged
   with itself to be exactly symmetric, then centred, made frontal and scaled to IOD 1.
3. Blendshapes: the anatomical rules of ``moodtalk.face.basis`` on that mesh; jawOpen is then
   replaced by the displacement measured per unit of lip gap on the real talking frames. The brow
   and lid amplitudes in ``basis`` were set from real posed clips (weight 1 = the 99th percentile of
   MEAD/CREMA-D emotional frames solved against the actor's neutral clip, no saturation at 1).
4. Write src/moodtalk/data/face_model.npz.

``--from-model`` skips steps 1-2 (no tracking, no data needed): it keeps the canonical mesh, mirror
index and measured jawOpen of an existing model and rebuilds every rule-based shape on that mesh,
so a change to ``moodtalk.face.basis`` ships without re-tracking (the rules depend on nothing else).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from moodtalk.face.basis import build_procedural_basis
from moodtalk.face.model import FaceModel, estimate_pose, load_model_file, to_canonical
from moodtalk.face.tracker import track_frames
from moodtalk.geometry import landmarks as lm
from moodtalk.geometry import similarity_procrustes
from moodtalk.types import BLENDSHAPE_NAMES
from moodtalk.video import iter_frames

ROOT = Path(__file__).resolve().parents[1]
VIDEO_DIRS = ("emotion_video", "talking_video")
MAX_FRAMES = 750  # 30 s per clip is plenty for a mean shape
JAW_OPEN_GAP = 0.55  # inner-lip gap (eye distances) of a wide-open mouth, jawOpen = 1


def tracked_clips(data: Path, cache: Path) -> dict[str, np.ndarray]:
    """{clip name: (T, 478, 3) valid landmarks in pixels}, tracking clips not yet cached."""
    cache.mkdir(parents=True, exist_ok=True)
    clips = {}
    for folder in VIDEO_DIRS:
        for path in sorted((data / folder).iterdir()):
            out = cache / f"{path.name}.npz"
            if not out.exists():

                def chunks(p=path):  # noqa: ANN202
                    n = 0
                    for chunk in iter_frames(p, fps=None, max_size=720):
                        yield chunk
                        n += len(chunk)
                        if n >= MAX_FRAMES:
                            return

                track, _ = track_frames(chunks())
                np.savez_compressed(out, points=track.points, valid=track.valid, fps=track.fps)
                print(f"tracked {path.name}: {len(track)} frames", file=sys.stderr)
            with np.load(out) as z:
                pts = z["points"][z["valid"]]
            if len(pts) >= 10:
                clips[path.name] = pts.astype(np.float64)
    return clips


def mirror_index(shape: np.ndarray) -> np.ndarray:
    """(478,) partner of each point under x → −x (nearest neighbour of the reflection)."""
    flipped = shape * np.array([-1.0, 1.0, 1.0])
    d = np.linalg.norm(shape[:, None] - flipped[None], axis=-1)
    return d.argmin(0)


def normalise(shape: np.ndarray) -> np.ndarray:
    """Centre on the rigid points, make the eye line the x axis and forehead→chin the y axis, IOD 1."""
    right, left = lm.eye_centres(shape)
    x = (left - right) / np.linalg.norm(left - right)
    y = shape[lm.CHIN] - shape[lm.FOREHEAD]
    y = y - x * (y @ x)
    y /= np.linalg.norm(y)
    z = np.cross(x, y)
    frame = np.stack([x, y, z])  # rows: new axes
    out = (shape - shape[list(lm.RIGID_POINTS)].mean(0)) @ frame.T
    return out / lm.interocular(out)


def canonical_mesh(clips: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean calm face (478, 3) and the mirror index."""
    calm = []
    for pts in clips.values():
        opening = lm.mouth_opening(pts)
        calm.append(pts[opening <= np.quantile(opening, 0.3)])
    mean = normalise(calm[0][0])
    for _ in range(5):
        per_clip = []
        for pts in calm:
            rot, scale, trans = similarity_procrustes(mean, pts)
            per_clip.append(to_canonical(pts, rot, scale, trans).mean(0))
        mean = normalise(np.mean(per_clip, axis=0))
    mirror = mirror_index(mean)
    mean = normalise(0.5 * (mean + mean[mirror] * np.array([-1.0, 1.0, 1.0])))
    return mean, mirror


def jaw_from_speech(basis: np.ndarray, clips: list[np.ndarray]) -> np.ndarray:
    """jawOpen field measured on real talking faces.

    The rule-based jaw rotation moves the chin about twice as far as real speakers do per
    unit of lip gap, so the solver used to explain speech with lip shapes instead. Here the
    field is the least-squares regression of each point's pose-free displacement on the
    measured inner-lip gap over all clips (each clip centred), kept inside the jaw's region
    and scaled so weight 1 opens the lips by ``JAW_OPEN_GAP`` eye distances.
    """
    num = np.zeros(basis.shape[1:])
    den = 0.0
    for x in clips:
        gap = lm.mouth_opening(x)
        num += np.einsum("t,tnd->nd", gap - gap.mean(), x - x.mean(0))
        den += float((gap - gap.mean()) @ (gap - gap.mean()))
    jaw = BLENDSHAPE_NAMES.index("jawOpen")
    field = num / den * JAW_OPEN_GAP
    field[np.linalg.norm(basis[jaw], axis=-1) <= 1e-3] = 0.0
    out = basis.copy()
    out[jaw] = field
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--cache", type=Path, default=ROOT / "runs" / "face_cache")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "moodtalk" / "data" / "face_model.npz")
    ap.add_argument("--from-model", type=Path, help="keep this model's mesh and jawOpen; rebuild the rule shapes")
    args = ap.parse_args()
    if args.from_model is not None:
        old = load_model_file(str(args.from_model))
        canonical, mirror = old.canonical.astype(np.float64), old.mirror
        basis = build_procedural_basis(canonical).astype(np.float64)
        jaw = BLENDSHAPE_NAMES.index("jawOpen")
        basis[jaw] = old.basis[list(old.names).index("jawOpen")]
        source = str(args.from_model)
    else:
        clips = tracked_clips(args.data, args.cache)
        canonical, mirror = canonical_mesh(clips)
        pose_free = []
        for pts in clips.values():
            rot, scale, trans = estimate_pose(pts, canonical)
            pose_free.append(to_canonical(pts, rot, scale, trans))
        basis = jaw_from_speech(build_procedural_basis(canonical).astype(np.float64), pose_free)
        source = f"{len(clips)} clips"
    model = FaceModel(canonical.astype(np.float32), basis.astype(np.float32), BLENDSHAPE_NAMES, mirror)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(args.out))
    print(f"wrote {args.out} from {source}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
