"""Emotion and intensity: generated faces judged by the independent FER classifier, the same classifier on
real labelled clips, and the audio → emotion / intensity models on labelled speech.

* Generated: each portrait is prepared like ``generate`` does (``prepare_portrait`` at ``size``), driven by one
  neutral speech clip with a still head, and rendered with every emotion at every intensity
  (``emotion_track`` + ``apply_emotion``, exactly what ``--emotion E --intensity I`` does). ``frames_per_combo``
  frames spread over the clip are rendered, tracked again (``analyze_face``, static, with the portrait's own
  neutral face) and classified: the FER-2013 model (``metrics.FerClassifier``) gives 7 probabilities per frame
  (averaged over the frames); contempt, which FER-2013 lacks, is judged by moodtalk's own emotion hyperplanes
  (``default_space().decision`` on the re-tracked blendshapes) — not independent, so reported apart.
* Real reference: the same classifier on the real emotion-labelled videos (every ``fer_stride``-th frame,
  landmarks from ``analyze_face``): clip label by majority vote of the frames, and frame accuracy.
* Audio: ``intensity_from_speech`` (mean over speech frames) and ``emotion_from_speech`` on every labelled
  speech file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moodtalk.evaluation.manifest import Entry, arousal_of
from moodtalk.face import analyze_face
from moodtalk.metrics import EMOTION_TO_FER, FER_CLASSES, FerClassifier, spearman
from moodtalk.types import EMOTIONS, AudioTrack, Frames

FER_EMOTIONS: tuple[str, ...] = tuple(e for e in EMOTIONS if EMOTION_TO_FER[e] is not None)
"""The 7 moodtalk emotions FER-2013 can name (all but contempt)."""


@dataclass(frozen=True)
class EmotionSettings:
    """Settings of the generated-emotion task."""

    size: int = 256
    """Portrait crop side (pixels), as ``generate --size``."""
    fps: float = 25.0
    """Motion frame rate."""
    seconds: float = 3.0
    """Length of the driving speech used."""
    intensities: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    """Intensities rendered (0 = neutral; shared by every emotion)."""
    frames_per_combo: int = 8
    """Frames rendered and classified per portrait × emotion × intensity."""
    lips: str = "auto"
    """Mouth model."""
    seed: int = 0
    """Behaviour seed (the head is still; blinks remain)."""


@dataclass(frozen=True)
class RealFerSettings:
    """Settings of the FER reference on real clips."""

    fps: float = 25.0
    """Frames are read at this rate."""
    max_size: int = 512
    """Long side of the frames."""
    max_seconds: float = 20.0
    """Only the first seconds of each clip."""
    fer_stride: int = 2
    """Every n-th frame is classified."""


def _fer_argmax(probs: np.ndarray) -> str | None:
    """moodtalk emotion of the largest FER probability (None when undefined)."""
    if not np.isfinite(probs).all():
        return None
    name = FER_CLASSES[int(np.argmax(probs))]
    return next(e for e in FER_EMOTIONS if EMOTION_TO_FER[e] == name)


def combos(s: EmotionSettings) -> list[tuple[str, float]]:
    """(emotion, intensity) pairs rendered per portrait: neutral once (intensity 0), every other emotion at each
    positive intensity."""
    out = [("neutral", 0.0)]
    for emo in EMOTIONS:
        if emo == "neutral":
            continue
        out += [(emo, float(i)) for i in s.intensities if i > 0]
    return out


def evaluate_portrait(
    entry: Entry, audio: AudioTrack, s: EmotionSettings, fer: FerClassifier, thumbs: Path
) -> dict[str, Any]:
    """Render and classify one portrait with every emotion × intensity.

    Returns:
        ``{"combos": [{emotion, intensity, fer_probs, fer_pred, frame_preds, decision, hyper_pred, thumb}],
        "portrait_fer": ...}`` (``fer_probs``: the frames' mean probabilities; ``frame_preds``: each frame's label)

    Raises:
        InputError: unreadable portrait, no face, face too small.
    """
    import cv2

    from moodtalk.emotion import apply_emotion, default_space, emotion_track
    from moodtalk.pipeline import load_portrait, neutral_landmarks, prepare_portrait, speech_to_motion, target_landmarks
    from moodtalk.render import prepare, render

    image, name = load_portrait(entry.path)
    rig = prepare_portrait(image, s.size, name)
    space = default_space()
    base = speech_to_motion(audio, s.fps, lips=s.lips, pose="still", seed=s.seed).motion
    n = len(base)
    idx = np.unique(np.linspace(0.1 * n, 0.9 * n, s.frames_per_combo).astype(int).clip(0, n - 1))
    render_rig = prepare(rig.image, rig.face.landmarks.points[0], neutral=neutral_landmarks(rig))
    own = fer.predict(rig.image[None], rig.face.landmarks.points[:1])[0]
    thumbs.mkdir(parents=True, exist_ok=True)
    results = []
    for emo, level in combos(s):
        motion = base
        if emo != "neutral" and level > 0:
            motion = apply_emotion(base, emotion_track(emo, n, s.fps, level, duration=n / s.fps))
        frames = render(render_rig, target_landmarks(rig, motion, 0, n)[idx])
        face = analyze_face([Frames(frames, s.fps)], static=True, neutral=rig.face.identity, source=name)
        per_frame = fer.predict(frames, face.landmarks.points)
        probs = np.nanmean(per_frame, axis=0)
        decision = space.decision(face.blendshapes.weights).mean(0)
        thumb = thumbs / f"{emo}_{level:.2f}.jpg"
        mid = frames[len(frames) // 2]
        cv2.imwrite(str(thumb), cv2.cvtColor(cv2.resize(mid, (160, 160), interpolation=cv2.INTER_AREA),
                                             cv2.COLOR_RGB2BGR))  # fmt: skip
        results.append({
            "emotion": emo,
            "intensity": level,
            "fer_probs": probs,
            "fer_pred": _fer_argmax(probs),
            "frame_preds": [_fer_argmax(p) for p in per_frame],
            "decision": decision,
            "hyper_pred": EMOTIONS[int(np.argmax(decision))],
            "thumb": str(thumb),
        })  # fmt: skip
    return {"portrait_fer": own, "portrait_fer_pred": _fer_argmax(own), "frames_classified": len(idx),
            "combos": results}  # fmt: skip


def evaluate_real_clip(entry: Entry, s: RealFerSettings, fer: FerClassifier) -> dict[str, Any]:
    """The FER classifier (and the hyperplanes) on one real labelled video.

    Raises:
        InputError: unreadable file, no face.
    """
    from moodtalk.emotion import default_space
    from moodtalk.video import read_frames

    frames = read_frames(entry.path, fps=s.fps, max_size=s.max_size)
    n = min(len(frames), max(1, int(round(s.max_seconds * s.fps))))
    images = frames.images[:n]
    face = analyze_face([Frames(images, s.fps)], source=str(entry.path))
    keep = np.arange(0, n, max(1, s.fer_stride))
    probs = fer.predict(images[keep], face.landmarks.points[keep])
    preds = [_fer_argmax(p) for p in probs]
    preds_ok = [p for p in preds if p is not None]
    decision = default_space().decision(face.blendshapes.weights[keep])
    hyper = [EMOTIONS[int(i)] for i in np.argmax(decision, axis=1)]
    label = entry.emotion
    majority = Counter(preds_ok).most_common(1)[0][0] if preds_ok else None
    return {
        "emotion": label,
        "informal": entry.informal,
        "frames": len(keep),
        "fer_mean_probs": np.nanmean(probs, axis=0),
        "fer_majority": majority,
        "fer_frame_preds": dict(Counter(preds_ok)),
        "fer_frame_accuracy": float(np.mean([p == label for p in preds_ok])) if preds_ok else float("nan"),
        "hyper_majority": Counter(hyper).most_common(1)[0][0],
        "hyper_frame_accuracy": float(np.mean([h == label for h in hyper])),
    }


def evaluate_speech(entry: Entry, fps: float = 25.0) -> dict[str, Any]:
    """Audio → intensity and emotion on one labelled speech file.

    Raises:
        InputError: unreadable or empty audio.
    """
    from moodtalk.audio import speech_features
    from moodtalk.emotion import emotion_from_speech, intensity_from_speech
    from moodtalk.errors import InputError
    from moodtalk.video import read_audio

    audio = read_audio(entry.path, 16000)
    if audio.samples.size == 0:
        raise InputError(entry.path, "audio is empty")
    f = speech_features(audio, fps)
    if not f.speech.any():
        raise InputError(entry.path, "no speech detected")
    intensity = float(intensity_from_speech(f)[f.speech].mean())
    probs, arousal = emotion_from_speech(f)
    return {
        "label": entry.label,
        "emotion": entry.emotion,
        "intensity_label": entry.intensity,
        "dataset": entry.dataset,
        "pair_key": entry.pair_key,
        "intensity_mean": intensity,
        "pred": EMOTIONS[int(np.argmax(probs))],
        "probs": probs,
        "arousal": arousal,
        "arousal_label": arousal_of(entry.label),
    }


# --------------------------------------------------------------------------- summaries


def confusion(pairs: list[tuple[str, str]], classes: tuple[str, ...]) -> list[list[int]]:
    """Rows true class, columns predicted class, counts."""
    m = np.zeros((len(classes), len(classes)), int)
    for t, p in pairs:
        if t in classes and p in classes:
            m[classes.index(t), classes.index(p)] += 1
    return m.tolist()


def summarize_generated(portraits: list[dict[str, Any]], s: EmotionSettings) -> dict[str, Any]:
    """Accuracy at the top intensity, confusion matrix, contempt by hyperplane, intensity monotonicity."""
    top = max(s.intensities)
    pairs, hyper_pairs, frame_ok = [], [], []
    mono: dict[str, list[float]] = {e: [] for e in EMOTIONS if e != "neutral"}
    curve: dict[str, dict[float, list[float]]] = {e: {} for e in EMOTIONS if e != "neutral"}
    for p in portraits:
        by = {(c["emotion"], c["intensity"]): c for c in p["combos"]}
        neutral = by.get(("neutral", 0.0))
        if neutral is not None:
            pairs.append(("neutral", neutral["fer_pred"]))
            frame_ok += [f == "neutral" for f in neutral.get("frame_preds", []) if f is not None]
            hyper_pairs.append(("neutral", neutral["hyper_pred"]))
        for emo in mono:
            c = by.get((emo, top))
            if c is not None:
                hyper_pairs.append((emo, c["hyper_pred"]))
                if emo in FER_EMOTIONS:
                    pairs.append((emo, c["fer_pred"]))
                    frame_ok += [f == emo for f in c.get("frame_preds", []) if f is not None]
            xs, ys = [], []
            for level in sorted({0.0, *s.intensities}):
                c = neutral if level == 0 else by.get((emo, level))
                if c is None:
                    continue
                fi = FER_CLASSES.index(EMOTION_TO_FER[emo]) if EMOTION_TO_FER[emo] else None
                # Target score: FER probability of the emotion; contempt: its hyperplane decision value.
                y = c["fer_probs"][fi] if fi is not None else c["decision"][EMOTIONS.index(emo)]
                y = float("nan") if y is None else float(y)
                xs.append(level)
                ys.append(y)
                curve[emo].setdefault(level, []).append(y)
            if len(xs) >= 3:
                mono[emo].append(spearman(np.array(xs), np.array(ys)))
    fer_ok = [t == p for t, p in pairs]
    per_class = {e: _mean([p == e for t, p in pairs if t == e]) for e in FER_EMOTIONS}
    rhos = [r for v in mono.values() for r in v if np.isfinite(r)]
    contempt = [p == "contempt" for t, p in hyper_pairs if t == "contempt"]
    return {
        "intensity": top,
        "fer_accuracy": _mean(fer_ok),
        "fer_n": len(fer_ok),
        "fer_frame_accuracy": _mean(frame_ok),
        "fer_frames_n": len(frame_ok),
        "fer_per_class": per_class,
        "fer_confusion": confusion(pairs, FER_EMOTIONS),
        "fer_classes": list(FER_EMOTIONS),
        "hyper_accuracy_8": _mean([t == p for t, p in hyper_pairs]),
        "contempt_by_hyperplane": _mean(contempt),
        "contempt_n": len(contempt),
        "monotonicity_spearman_mean": _mean(rhos),
        "monotonicity_positive_share": _mean([r > 0 for r in rhos]),
        "monotonicity_n": len(rhos),
        "monotonicity_per_emotion": {e: _mean([r for r in v if np.isfinite(r)]) for e, v in mono.items()},
        "target_score_by_intensity": {e: {f"{k:g}": _mean(v) for k, v in sorted(d.items())} for e, d in curve.items()},
    }


def summarize_real(clips: list[dict[str, Any]]) -> dict[str, Any]:
    """FER accuracy on real labelled clips (contempt excluded: FER-2013 has no such class)."""

    def block(rows: list[dict[str, Any]]) -> dict[str, Any]:
        rows = [r for r in rows if r["emotion"] in FER_EMOTIONS]
        frames = sum(r["frames"] for r in rows)
        frame_acc = sum(r["fer_frame_accuracy"] * r["frames"] for r in rows if r["fer_frame_accuracy"] is not None)
        return {
            "clips": len(rows),
            "clip_accuracy": _mean([r["fer_majority"] == r["emotion"] for r in rows]),
            "frame_accuracy": frame_acc / frames if frames else float("nan"),
            "confusion": confusion([(r["emotion"], r["fer_majority"]) for r in rows], FER_EMOTIONS),
        }

    contempt = [r for r in clips if r["emotion"] == "contempt" and not r["informal"]]
    return {
        "dataset_labels": block([r for r in clips if not r["informal"]]),
        "with_informal_labels": block(clips),
        "fer_classes": list(FER_EMOTIONS),
        "contempt_by_hyperplane": _mean([r["hyper_majority"] == "contempt" for r in contempt]),
        "contempt_n": len(contempt),
        "hyper_clip_accuracy_8": _mean([r["hyper_majority"] == r["emotion"] for r in clips if not r["informal"]]),
    }


def summarize_speech(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """RAVDESS strong-vs-normal agreement, 8-class and arousal accuracy of the speech-emotion model."""
    pairs: dict[str, dict[str, float]] = {}
    for r in rows:
        if r["pair_key"] and r["intensity_label"] in ("normal", "strong"):
            pairs.setdefault(r["pair_key"], {})[r["intensity_label"]] = r["intensity_mean"]
    wins, wins_no_calm, normal, strong = [], [], [], []
    for key, m in pairs.items():
        if "normal" in m and "strong" in m:
            win = m["strong"] > m["normal"]
            wins.append(win)
            normal.append(m["normal"])
            strong.append(m["strong"])
            if key.split("/")[1] != "02":  # RAVDESS emotion code 02 = calm
                wins_no_calm.append(win)
    labelled = [r for r in rows if r["emotion"] is not None]
    aroused = [r for r in rows if r["arousal_label"] is not None]
    per_dataset: dict[str, list[bool]] = {}
    for r in labelled:
        per_dataset.setdefault(r["dataset"].split(" (")[0] or "unknown", []).append(r["pred"] == r["emotion"])
    return {
        "ravdess_pairs": len(wins),
        "strong_gt_normal_share": _mean(wins),
        "strong_gt_normal_share_without_calm": _mean(wins_no_calm),
        "mean_intensity_normal": _mean(normal),
        "mean_intensity_strong": _mean(strong),
        "emotion_accuracy_8": _mean([r["pred"] == r["emotion"] for r in labelled]),
        "emotion_n": len(labelled),
        "emotion_confusion": confusion([(r["emotion"], r["pred"]) for r in labelled], EMOTIONS),
        "emotion_accuracy_per_dataset": {k: _mean(v) for k, v in sorted(per_dataset.items())},
        "arousal_accuracy": _mean([(r["arousal"] > 0.5) == r["arousal_label"] for r in aroused]),
        "arousal_n": len(aroused),
        "chance_8": 1.0 / len(EMOTIONS),
        "note": "in-sample: the shipped speech-emotion model was trained on these same labelled files "
        "(scripts/train_speech_emotion.py), so these accuracies are optimistic",
    }


def _mean(values: list[Any]) -> float:
    v = [float(x) for x in values if x is not None and np.isfinite(float(x))]
    return float(np.mean(v)) if v else float("nan")


def settings_dict(s: EmotionSettings | RealFerSettings) -> dict[str, Any]:
    """The settings as a plain dict."""
    return asdict(s)
