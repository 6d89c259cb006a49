"""Emotion benchmark: generated faces at intensities 0..1 judged by the independent FER-2013 classifier.

For each portrait × emotion × intensity (0, 0.25, 0.5, 0.75, 1) ``frames`` frames of the evaluation's driving
speech (``emotion_speech/evp__M003_neutral.wav``, first 3 s, still head) are rendered exactly like
``moodtalk.evaluation.emotion_eval.evaluate_portrait`` does (``prepare_portrait`` at 256 px,
``speech_to_motion``, ``apply_emotion``, ``target_landmarks``, ``moodtalk.render``), tracked again
(``analyze_face``, static, with the portrait's neutral face) and classified by ``FerClassifier``.

Printed per class (FER's 7; contempt by moodtalk's own hyperplanes, not independent): clip accuracy at
intensity 1 (label of the frame-averaged probabilities, as the evaluation scores it, and the majority of the
frames' labels), frame accuracy at intensity 1, and the Spearman ρ of the target probability over the 5
intensities (mean over portraits). Lip sync: share of bilabial-closure frames of the speech motion
(``mouth_gates`` sealed > 0.5) whose inner-lip gap in the target landmarks stays within 0.01 eye distances of
the neutral motion's. A contact sheet per emotion (rows portraits, columns intensities) goes to ``--out``.

Split: ``--set tune`` = 3 portraits the evaluation does not use (tuning), ``--set wide`` = 11 such portraits
(``POSED_PROTOTYPES`` were chosen on them); ``--set heldout`` = the evaluation's 5 portraits
(``runs/eval_full/report.json``); ``--set all`` = tune + heldout.

Run: ``.venv/bin/python benchmarks/bm_emotion_fer.py --set heldout`` (about 15 s per portrait on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from moodtalk.emotion import EmotionConfig, apply_emotion, default_space, emotion_track
from moodtalk.emotion.apply import mouth_gates
from moodtalk.evaluation.emotion_eval import FER_EMOTIONS, _fer_argmax
from moodtalk.face import analyze_face
from moodtalk.metrics import EMOTION_TO_FER, FER_CLASSES, FerClassifier, spearman
from moodtalk.pipeline import (
    PortraitRig,
    load_portrait,
    neutral_landmarks,
    prepare_portrait,
    speech_to_motion,
    target_landmarks,
)
from moodtalk.render import RenderRig, prepare, render
from moodtalk.types import BLENDSHAPE_NAMES, EMOTIONS, AudioTrack, FaceAnalysis, Frames, MotionTrack
from moodtalk.video import read_audio

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
HELDOUT = ("aniportrait__lyl.png", "joyvasa__joyvasa_006.jpg", "makeittalk__natalie2.jpg",
           "emotalkingface__img03.png", "styletalk__feifeili_clip3.png")  # fmt: skip
"""The evaluation's 5 emotion portraits (``spread`` over the manifest; see ``runs/eval_full/report.json``)."""
TUNE = ("emotalkingface__img06.png", "makeittalk__obama.jpg", "eamm__21.png")
"""3 portraits the evaluation does not use: the only ones looked at while tuning."""
WIDE = TUNE + ("real3dportrait__Macron.png", "makeittalk__trump.jpg", "makeittalk__stephen.jpg", "mead__reference.jpg",
               "emotalkingface__img01.png", "edtalk__leijun.png", "hallo__4.jpg", "liveportrait__s1.jpg")  # fmt: skip
"""11 tuning portraits (``TUNE`` + 8 more, none of the evaluation's): used to choose ``POSED_PROTOTYPES``."""
INTENSITIES = (0.0, 0.25, 0.5, 0.75, 1.0)
SIZE, FPS, SECONDS = 256, 25.0, 3.0
# Inner-lip points of the MediaPipe mesh (upper 13, lower 14) and the eye centres' proxies (outer corners).
UPPER_LIP, LOWER_LIP, EYE_L, EYE_R = 13, 14, 33, 263


def lip_gap(points: np.ndarray) -> np.ndarray:
    """(T,) inner-lip gap in eye-corner distances of (T, 478, ≥2) landmarks."""
    eye = np.linalg.norm(points[:, EYE_L, :2] - points[:, EYE_R, :2], axis=1)
    return np.linalg.norm(points[:, UPPER_LIP, :2] - points[:, LOWER_LIP, :2], axis=1) / eye


def driving_speech() -> AudioTrack:
    """The evaluation's neutral driving speech, its first ``SECONDS``."""
    audio = read_audio(DATA / "emotion_speech" / "evp__M003_neutral.wav", 16000)
    return AudioTrack(audio.samples[: int(SECONDS * 16000)], 16000)


def speech_motion_of(audio: AudioTrack) -> MotionTrack:
    """Neutral speech motion with a still head: the same for every portrait."""
    return speech_to_motion(audio, FPS, lips="auto", pose="still", seed=0).motion


@dataclass(frozen=True)
class Portrait:
    """One portrait made ready to render and classify the benchmark's frames."""

    name: str
    rig: PortraitRig
    look: RenderRig
    """Render rig, expression shading measured from the person's neutral face."""
    idx: np.ndarray
    """Indices of the frames rendered and classified."""


def load_benchmark_portrait(path: Path, n: int, frames: int) -> Portrait:
    """Prepare a portrait as the evaluation does, for ``frames`` frames spread over a clip of ``n``."""
    image, name = load_portrait(path)
    rig = prepare_portrait(image, SIZE, name)
    idx = np.unique(np.linspace(0.1 * n, 0.9 * n, frames).astype(int).clip(0, n - 1))
    look = prepare(rig.image, rig.face.landmarks.points[0], neutral=neutral_landmarks(rig))
    return Portrait(name, rig, look, idx)


def render_and_classify(p: Portrait, motion: MotionTrack, fer: FerClassifier
                        ) -> tuple[np.ndarray, np.ndarray, FaceAnalysis]:  # fmt: skip
    """Render ``motion``'s chosen frames, track them again and classify them.

    Returns:
        (F, H, W, 3) frames, (F, 7) FER probabilities and the re-tracked face analysis.
    """
    imgs = render(p.look, target_landmarks(p.rig, motion, 0, len(motion))[p.idx])
    face = analyze_face([Frames(imgs, FPS)], static=True, neutral=p.rig.face.identity, source=p.name)
    return imgs, fer.predict(imgs, face.landmarks.points), face


def run_portrait(path: Path, base: MotionTrack, fer: FerClassifier, frames: int, config: EmotionConfig,
                 thumbs: dict) -> dict:  # fmt: skip
    n = len(base)
    portrait = load_benchmark_portrait(path, n, frames)
    rig, name = portrait.rig, portrait.name
    space = default_space()
    w = base.blendshapes.weights
    full = np.zeros((n, len(BLENDSHAPE_NAMES)))
    cols = [BLENDSHAPE_NAMES.index(c) for c in base.blendshapes.names]
    full[:, cols] = w
    sealed = mouth_gates(full)[1] > 0.5
    gap0 = lip_gap(target_landmarks(rig, base, 0, n))
    out: dict = {"lips": []}
    neutral_frames = None
    for emo in EMOTIONS:
        for level in INTENSITIES:
            if emo == "neutral" and level > 0:
                continue
            if emo != "neutral" and level == 0:
                out[(emo, 0.0)] = out[("neutral", 0.0)]
                continue
            motion = base
            if level > 0:
                motion = apply_emotion(base, emotion_track(emo, n, FPS, level, duration=n / FPS), config=config)
                if sealed.any():
                    gap = lip_gap(target_landmarks(rig, motion, 0, n))
                    out["lips"].append(np.abs(gap - gap0)[sealed])
                    out.setdefault(("lips", emo), []).append(float(np.abs(gap - gap0)[sealed].max()))
            imgs, probs, face = render_and_classify(portrait, motion, fer)
            dec = space.decision(face.blendshapes.weights)
            out[(emo, level)] = {"probs": probs, "decision": dec}
            if emo == "neutral":
                neutral_frames = imgs
            mid = imgs[len(imgs) // 2]
            thumbs.setdefault(emo, {}).setdefault(name, {})[level] = (mid, _label(emo, probs, dec))
    thumbs.setdefault("_neutral", {})[name] = neutral_frames[len(neutral_frames) // 2]
    return out


def _label(emo: str, probs: np.ndarray, dec: np.ndarray) -> str:
    if emo == "contempt":
        return EMOTIONS[int(dec.mean(0).argmax())]
    return _fer_argmax(np.nanmean(probs, axis=0)) or "?"


def score(results: dict[str, dict]) -> dict:
    rows = {}
    for emo in EMOTIONS:
        clip_mean, clip_major, frame, rhos, curve = [], [], [], [], {lv: [] for lv in INTENSITIES}
        for r in results.values():
            top = r[(emo, 1.0)] if emo != "neutral" else r[("neutral", 0.0)]
            if emo == "contempt":
                preds = [EMOTIONS[i] for i in top["decision"].argmax(1)]
                clip_mean.append(EMOTIONS[int(top["decision"].mean(0).argmax())] == emo)
            else:
                preds = [_fer_argmax(p) for p in top["probs"]]
                clip_mean.append(_fer_argmax(np.nanmean(top["probs"], axis=0)) == emo)
            preds = [p for p in preds if p is not None]
            clip_major.append(bool(preds) and Counter(preds).most_common(1)[0][0] == emo)
            frame += [p == emo for p in preds]
            if emo == "neutral":
                continue
            ys = []
            for lv in INTENSITIES:
                c = r[(emo, lv)]
                if emo == "contempt":
                    y = float(c["decision"][:, EMOTIONS.index(emo)].mean())
                else:
                    y = float(np.nanmean(c["probs"], axis=0)[FER_CLASSES.index(EMOTION_TO_FER[emo])])
                ys.append(y)
                curve[lv].append(y)
            rhos.append(spearman(np.array(INTENSITIES), np.array(ys)))
        rows[emo] = {"clip": np.mean(clip_mean), "clip_major": np.mean(clip_major), "frame": np.mean(frame),
                     "rho": np.nanmean(rhos) if rhos else np.nan,
                     "curve": [np.mean(curve[lv]) if curve[lv] else np.nan for lv in INTENSITIES]}  # fmt: skip
    return rows


def contact_sheets(thumbs: dict, out: Path, tag: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cell = 160
    for emo, by_portrait in thumbs.items():
        if emo.startswith("_") or emo == "neutral":
            continue
        sheet = []
        for name, levels in by_portrait.items():
            row = []
            for lv in INTENSITIES:
                if lv == 0:
                    img, lab = thumbs["_neutral"][name], "neutral"
                    lab = thumbs["neutral"][name][0.0][1]
                else:
                    img, lab = levels[lv]
                tile = cv2.resize(img, (cell, cell), interpolation=cv2.INTER_AREA)
                tile = np.concatenate([tile, np.full((18, cell, 3), 255, np.uint8)])
                cv2.putText(tile, f"{lv:g}: {lab}", (3, cell + 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (0, 0, 0), 1)
                row.append(tile)
            sheet.append(np.concatenate(row, 1))
        img = np.concatenate(sheet, 0)
        cv2.imwrite(str(out / f"{tag}_{emo}.png"), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=("tune", "wide", "heldout", "all"), default="heldout")
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bm_emotion_fer")
    args = ap.parse_args(argv)
    names = {"tune": TUNE, "wide": WIDE, "heldout": HELDOUT, "all": TUNE + HELDOUT}[args.set]
    fer = FerClassifier()
    config = EmotionConfig()
    t0 = time.time()
    base = speech_motion_of(driving_speech())
    results, thumbs = {}, {}
    for name in names:
        results[name] = run_portrait(DATA / "portraits" / name, base, fer, args.frames, config, thumbs)
    rows = score(results)
    print(f"{args.set}: {', '.join(names)} ({time.time() - t0:.0f} s)")
    print("| emotion | clip acc @1 (mean probs) | clip acc @1 (frame majority) | frame acc @1 | Spearman ρ | "
          "target score @ 0 / 0.25 / 0.5 / 0.75 / 1 |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for emo, r in rows.items():
        curve = " / ".join(f"{v:.2f}" for v in r["curve"]) if emo != "neutral" else ""
        rho = f"{r['rho']:.2f}" if emo != "neutral" else ""
        print(f"| {emo}{' (hyperplane)' if emo == 'contempt' else ''} | {r['clip']:.0%} | {r['clip_major']:.0%} | "
              f"{r['frame']:.0%} | {rho} | {curve} |")  # fmt: skip
    fer7 = [rows[e] for e in FER_EMOTIONS]
    rhos = [rows[e]["rho"] for e in FER_EMOTIONS if e != "neutral"]
    print(f"| **FER 7 classes** | **{np.mean([r['clip'] for r in fer7]):.0%}** | "
          f"**{np.mean([r['clip_major'] for r in fer7]):.0%}** | **{np.mean([r['frame'] for r in fer7]):.0%}** | "
          f"**{np.mean(rhos):.2f}** | |")  # fmt: skip
    lips = np.concatenate(results[names[0]]["lips"] + [x for n in names[1:] for x in results[n]["lips"]])
    print(
        f"lip sync: {len(lips)} sealed (bilabial) frame × emotion × intensity samples; inner-lip gap change vs "
        f"neutral motion: max {lips.max():.4f}, share ≤ 0.01 eye distances {np.mean(lips <= 0.01):.0%}"
    )
    worst = {e: max(x for n in names for x in results[n].get(("lips", e), [0.0])) for e in EMOTIONS[1:]}
    print("largest gap change per emotion: " + ", ".join(f"{e} {v:.4f}" for e, v in worst.items()))
    contact_sheets(thumbs, args.out, args.set)
    print(f"contact sheets: {args.out}/{args.set}_<emotion>.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
