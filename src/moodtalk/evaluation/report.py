"""Write the evaluation report: ``report.json`` (every number, versions, settings), ``report.md`` (tables) and
figures (contact sheets per emotion, mouth-opening curves, confusion matrices)."""

from __future__ import annotations

import datetime as _dt
import math
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from moodtalk.evaluation import emotion_eval
from moodtalk.evaluation.cache import Cache, to_jsonable, write_json_atomic
from moodtalk.types import EMOTIONS

if TYPE_CHECKING:
    from moodtalk.evaluation.manifest import Manifest
    from moodtalk.evaluation.run import EvalPlan, Outcome

REENACT_ROWS: tuple[tuple[str, str | None, str, str], ...] = (
    ("mouth_r", None, "mouth-opening correlation (best lag ±12 frames)", "higher"),
    ("mouth_r_lag0", None, "mouth-opening correlation at lag 0", "higher"),
    ("mouth_lag_ms", None, "lag of that best correlation, ms (> 0: generated late)", "≈ 0"),
    ("closure_recall", None, "bilabial/lip-closure recall (±2 frames)", "higher"),
    ("closure_precision", None, "lip-closure precision", "higher"),
    ("mouth_r_targets", None, "mouth-opening correlation of the target landmarks (motion before rendering)", "higher"),
    ("closure_recall_targets", None, "lip-closure recall of the target landmarks (motion before rendering)", "higher"),
    ("m_lmd", None, "M-LMD, pose-free, eye distances (natural-pose video)", "lower"),
    ("f_lmd", None, "F-LMD, pose-free, eye distances (natural-pose video)", "lower"),
    ("m_lmd_image_realpose", None, "M-LMD, image, eye distances (real-pose video)", "lower"),
    ("f_lmd_image_realpose", None, "F-LMD, image, eye distances (real-pose video)", "lower"),
    ("psnr_realpose", "psnr_still_frame", "PSNR face box, dB: real-pose video vs still first frame", "higher"),
    ("ssim_realpose", "ssim_still_frame", "SSIM face box: real-pose video vs still first frame", "higher"),
    ("psnr_natural", None, "PSNR face box, dB (natural-pose video)", "higher"),
    ("ssim_natural", None, "SSIM face box (natural-pose video)", "higher"),
    ("identity_drift_slope_gen", "identity_drift_slope_real", "identity drift slope, eye distances / s", "≈ real"),
    ("blink_rate_gen", "blink_rate_real", "blinks per minute", "≈ real"),
    ("jitter_gen", "jitter_real", "head jitter, p95 deg/frame", "≈ real"),
    ("head_speed_gen", "head_speed_real", "head angular speed, deg/s", "≈ real"),
    ("mouth_open_mean_gen", "mouth_open_mean_real", "mean mouth opening, eye distances", "≈ real"),
)
"""(generated metric, real/baseline metric or None, description, better) rows of the self-reenactment table."""


def _stats(values: list[Any]) -> dict[str, float | int]:
    v = np.array([float(x) for x in values if x is not None and math.isfinite(float(x))])
    if v.size == 0:
        return {"mean": float("nan"), "median": float("nan"), "n": 0}
    return {"mean": float(v.mean()), "median": float(np.median(v)), "n": int(v.size)}


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(f):
        return "–"
    return f"{f:.{digits}f}"


def _pct(x: Any) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "–"
    return "–" if not math.isfinite(f) else f"{100 * f:.0f} %"


def summarize_reenact(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean/median/n of every per-clip metric over the clips that succeeded."""
    ok = [r["result"]["metrics"] for r in items if r["status"] == "ok"]
    names = sorted({k for m in ok for k in m})
    return {k: _stats([m.get(k) for m in ok]) for k in names}


# --------------------------------------------------------------------------- figures


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def mouth_figure(items: list[dict[str, Any]], path: Path, fps: float, limit: int = 8) -> Path | None:
    """Real vs generated mouth opening of up to ``limit`` clips."""
    ok = [r for r in items if r["status"] == "ok"][:limit]
    if not ok:
        return None
    plt = _plt()
    fig, axes = plt.subplots(len(ok), 1, figsize=(10, 1.8 * len(ok) + 0.6), squeeze=False)
    for ax, r in zip(axes[:, 0], ok, strict=True):
        c, m = r["result"]["curves"], r["result"]["metrics"]
        real = np.array([np.nan if v is None else v for v in c["real_open"]], float)
        gen = np.array([np.nan if v is None else v for v in c["gen_open"]], float)
        t = np.arange(len(real)) / fps
        ax.plot(t, real, color="black", lw=1.2, label="real")
        ax.plot(t[: len(gen)], gen, color="tab:red", lw=1.0, label="generated")
        ax.set_title(f"{Path(r['file']).name}: r={_fmt(m.get('mouth_r'), 2)} at lag {m.get('mouth_lag_frames')} "
                     f"frames, closure recall {_fmt(m.get('closure_recall'), 2)}", fontsize=8)  # fmt: skip
        ax.set_ylabel("opening / IOD", fontsize=7)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def confusion_figure(gen: dict[str, Any] | None, real: dict[str, Any] | None, path: Path) -> Path | None:
    """Row-normalised FER confusion matrices: generated (top intensity) beside real labelled clips."""
    panels = []
    if gen and gen.get("fer_n"):
        panels.append((f"generated (intensity {gen['intensity']:g}), acc {_pct(gen['fer_accuracy'])}",
                       np.array(gen["fer_confusion"], float)))  # fmt: skip
    if real and real["dataset_labels"]["clips"]:
        b = real["dataset_labels"]
        panels.append((f"real labelled clips, acc {_pct(b['clip_accuracy'])}", np.array(b["confusion"], float)))
    if not panels:
        return None
    plt = _plt()
    classes = list(emotion_eval.FER_EMOTIONS)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.6), squeeze=False)
    for ax, (title, m) in zip(axes[0], panels, strict=True):
        rows = m.sum(1, keepdims=True)
        norm = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
        ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(classes)):
            for j in range(len(classes)):
                if m[i, j]:
                    ax.text(j, i, int(m[i, j]), ha="center", va="center", fontsize=8,
                            color="white" if norm[i, j] > 0.5 else "black")  # fmt: skip
        ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(classes)), classes, fontsize=8)
        ax.set_xlabel("FER prediction")
        ax.set_ylabel("target / label")
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def contact_sheets(items: list[dict[str, Any]], out: Path, intensities: tuple[float, ...]) -> list[Path]:
    """One PNG per emotion: rows portraits, columns intensities (0 = the neutral render), FER label under each."""
    import cv2

    ok = [r for r in items if r["status"] == "ok"]
    if not ok:
        return []
    levels = sorted({0.0, *intensities})
    paths = []
    for emo in EMOTIONS:
        if emo == "neutral" and len(levels) > 1:
            cols = [0.0]
        else:
            cols = levels
        tile, pad = 160, 18
        sheet = np.full((len(ok) * (tile + pad), len(cols) * tile, 3), 255, np.uint8)
        for i, r in enumerate(ok):
            by = {(c["emotion"], c["intensity"]): c for c in r["result"]["combos"]}
            for j, level in enumerate(cols):
                c = by.get(("neutral", 0.0) if level == 0 else (emo, level))
                if c is None:
                    continue
                img = cv2.imread(c["thumb"]) if c.get("thumb") else None
                y0 = i * (tile + pad)
                if img is not None and img.shape[:2] == (tile, tile):
                    sheet[y0 : y0 + tile, j * tile : (j + 1) * tile] = img[..., ::-1]
                text = f"{level:g}: {c['fer_pred'] or '?'}" if emo != "contempt" else f"{level:g}: {c['hyper_pred']}"
                cv2.putText(sheet, text, (j * tile + 3, y0 + tile + 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                            cv2.LINE_AA)  # fmt: skip
        path = out / f"contact_{emo}.png"
        cv2.imwrite(str(path), sheet[..., ::-1])
        paths.append(path)
    return paths


# --------------------------------------------------------------------------- report


def write_report(out: Path, data: Path, plan: EvalPlan, manifest: Manifest, outcomes: dict[str, Outcome],
                 cache: Cache, started: float, env: dict[str, Any], notes: list[str], extra: dict[str, Any]
                 ) -> Path:  # fmt: skip
    """Summarise every task, draw the figures and write ``report.json`` and ``report.md``; returns report.md."""
    re_items = outcomes["selfreenact"].items
    emo_items = outcomes["emotion"].items
    emo_ok = [r["result"] for r in emo_items if r["status"] == "ok"]
    gen_summary = emotion_eval.summarize_generated(emo_ok, plan.emotion) if emo_ok else None
    real_ok = [r["result"] for r in outcomes["fer_real"].items if r["status"] == "ok"]
    real_summary = emotion_eval.summarize_real(real_ok) if real_ok else None
    sp_ok = [r["result"] for r in outcomes["speech"].items if r["status"] == "ok"]
    speech_summary = emotion_eval.summarize_speech(sp_ok) if sp_ok else None
    speed = {str(r["result"]["size"]): r["result"] for r in outcomes["speed"].items if r["status"] == "ok"}

    figures: list[Path] = []
    for maker in (
        lambda: mouth_figure(re_items, out / "mouth_curves.png", plan.reenact.fps),
        lambda: confusion_figure(gen_summary, real_summary, out / "confusion.png"),
    ):
        try:
            p = maker()
        except Exception as e:  # noqa: BLE001 - a figure must never cost the report
            notes.append(f"figure failed: {type(e).__name__}: {e}")
            p = None
        if p is not None:
            figures.append(p)
    try:
        figures += contact_sheets(emo_items, out, plan.emotion.intensities)
    except Exception as e:  # noqa: BLE001
        notes.append(f"contact sheets failed: {type(e).__name__}: {e}")

    failures = [{"task": task, "file": r["file"], "reason": r["reason"]}
                for task, o in outcomes.items() for r in o.items if r["status"] != "ok"]  # fmt: skip
    duration = time.time() - started
    report = {
        "created": _dt.datetime.now().isoformat(timespec="seconds"),
        "data": str(data),
        "mode": "quick" if plan.quick else "full",
        "duration_s": duration,
        # What the items cost when they were computed (a resumed run reuses most of them from the cache).
        "compute_s": sum(float(r.get("compute_seconds") or 0.0) for o in outcomes.values() for r in o.items),
        **env,
        "settings": {
            "selfreenact": asdict(plan.reenact),
            "selfreenact_clips_limit": plan.reenact_clips,
            "emotion": asdict(plan.emotion),
            "portraits": plan.portraits,
            "fer_real": asdict(plan.real_fer),
            "fer_real_clips_limit": plan.real_fer_clips,
            "speech_files_limit": plan.speech_files,
            "speed_seconds": plan.speed_seconds,
            **extra,
        },
        "notes": notes,
        "manifest": {
            "rows": len(manifest.entries),
            "warnings": manifest.warnings,
            "missing": [e.file for e in manifest.missing],
            "columns": list(manifest.columns),
        },  # fmt: skip
        "counts": {task: o.counts() for task, o in outcomes.items() if o.items},
        "failures": failures,
        "cache": {"hits": cache.hits, "misses": cache.misses, "folder": str(cache.root)},
        "selfreenact": {"summary": summarize_reenact(re_items), "clips": re_items},
        "emotion": {
            "generated": gen_summary,
            "real_reference": real_summary,
            "portraits": emo_items,
            "real_clips": outcomes["fer_real"].items,
        },
        "speech": {"summary": speech_summary, "files": outcomes["speech"].items},
        "speed": speed,
        "figures": [p.name for p in figures],
    }
    write_json_atomic(out / "report.json", report)
    md = markdown(report, plan)
    path = out / "report.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(md, encoding="utf-8")
    tmp.replace(path)
    return path


def markdown(r: dict[str, Any], plan: EvalPlan) -> str:
    """report.md from the report dict."""
    m, v = r["machine"], r["versions"]
    lines = [
        f"# moodtalk evaluation ({r['mode']})",
        "",
        f"Data `{r['data']}`, run {r['created']} in {r['duration_s'] / 60:.1f} min (the items' own compute time, "
        f"cached ones included: {r['compute_s'] / 60:.1f} min) on {m['cpu']} "
        f"({m['cores']} cores, {m['memory_gib']} GiB), {m['os']}. moodtalk {v.get('moodtalk')}, Python "
        f"{v.get('python')}, mediapipe {v.get('mediapipe', '?')}, fer {v.get('fer', '?')}. "
        f"Cache: {r['cache']['hits']} items reused, {r['cache']['misses']} computed. "
        f"Mouth model: `{plan.reenact.lips}`.",
        "",
    ]
    for note in r["notes"]:
        lines.append(f"* note: {note}")
    if r["notes"]:
        lines.append("")
    lines += ["## Items", "", "| task | ok | failed | from cache |", "|---|---|---|---|"]
    for task, c in r["counts"].items():
        lines.append(f"| {task} | {c['ok']} | {c['failed']} | {c['cached']} |")
    if r["manifest"]["warnings"]:
        lines += ["", "Manifest warnings:", ""] + [f"* {w}" for w in r["manifest"]["warnings"]]
    if r["failures"]:
        lines += ["", "Failed items:", "", "| task | file | reason |", "|---|---|---|"]
        lines += [f"| {f['task']} | `{f['file']}` | {f['reason']} |" for f in r["failures"]]

    s = plan.reenact
    lines += [
        "",
        "## 1. Self-reenactment (lip sync and fidelity)",
        "",
        f"Each talking clip with its own audio (first {s.max_seconds:g} s, {s.fps:g} fps, long side ≤ {s.max_size} "
        "px): portrait = its first frame at that size, audio = its own sound, emotion = its label at intensity 1 "
        "when it has one. Two videos are generated: *natural* (the product default: stochastic head pose, blinks) "
        "and *real pose* (the same face motion with the real clip's tracked head pose relative to frame 0). Real "
        "and generated videos are tracked by the same face stage. Lip-sync numbers use the pose-free points of "
        "the natural video; PSNR/SSIM compare pixels in the real face's landmark box (grown by "
        f"{100 * s.face_margin:.0f} %, every {s.pixel_stride}nd frame) — meaningful only for the real-pose video; "
        "*still frame* is the baseline of holding the first frame still. Blinks, jitter and head speed compare the "
        "natural video with the real one (both as tracked).",
        "",
        "| measure | generated | real / baseline | n | better |",
        "|---|---|---|---|---|",
    ]
    summ = r["selfreenact"]["summary"]
    for key, ref, text, better in REENACT_ROWS:
        g = summ.get(key, {})
        b = summ.get(ref, {}) if ref else {}
        lines.append(f"| {text} | {_fmt(g.get('mean'))} (median {_fmt(g.get('median'))}) | "
                     f"{_fmt(b.get('mean')) if ref else ''} | {g.get('n', 0)} | {better} |")  # fmt: skip
    ok = [c for c in r["selfreenact"]["clips"] if c["status"] == "ok"]
    if ok:
        lines += [
            "",
            "Per clip (means are over clips):",
            "",
            "| clip | s | r | lag | closure R/P | M-LMD | F-LMD | PSNR rp / still | SSIM rp / still | blinks g/r "
            "| jitter g/r |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for c in ok:
            x = c["result"]["metrics"]
            lines.append(
                f"| `{Path(c['file']).name}` | {c['result']['seconds']:.1f} | {_fmt(x['mouth_r'], 2)} | "
                f"{x['mouth_lag_frames']} | {_fmt(x['closure_recall'], 2)}/{_fmt(x['closure_precision'], 2)} | "
                f"{_fmt(x['m_lmd'])} | {_fmt(x['f_lmd'])} | {_fmt(x['psnr_realpose'], 1)} / "
                f"{_fmt(x['psnr_still_frame'], 1)} | {_fmt(x['ssim_realpose'], 2)} / {_fmt(x['ssim_still_frame'], 2)} "
                f"| {_fmt(x['blink_rate_gen'], 0)}/{_fmt(x['blink_rate_real'], 0)} | {_fmt(x['jitter_gen'], 2)}/"
                f"{_fmt(x['jitter_real'], 2)} |"
            )

    e = plan.emotion
    gen, real = r["emotion"]["generated"], r["emotion"]["real_reference"]
    levels_text = ", ".join(f"{i:g}" for i in e.intensities)
    lines += [
        "",
        "## 2. Emotion accuracy (independent FER-2013 classifier)",
        "",
        f"Portraits prepared as `generate --size {e.size}` does, driven by `{r['settings'].get('driving_speech')}` "
        f"(first {e.seconds:g} s, still head), each emotion at intensities {levels_text}; "
        f"{e.frames_per_combo} frames per combination are rendered, re-tracked and classified, probabilities "
        "averaged. FER-2013 has no contempt: contempt is judged by moodtalk's own emotion hyperplanes on the "
        "re-tracked blendshapes (not independent). The reference row is the same classifier on the real "
        "labelled videos (clip label = majority of its frames' labels).",
        "",
    ]
    if gen:
        dl = real["dataset_labels"] if real else None
        ref_acc = (f"{_pct(dl['clip_accuracy'])} of clips, {_pct(dl['frame_accuracy'])} of frames (n={dl['clips']} "
                   "clips) |") if dl else "– |"  # fmt: skip
        lines += [
            "| | generated | real labelled clips |",
            "|---|---|---|",
            f"| FER 7-class accuracy | {_pct(gen['fer_accuracy'])} of clips (n={gen['fer_n']}, intensity "
            f"{gen['intensity']:g}), {_pct(gen.get('fer_frame_accuracy'))} of frames "
            f"(n={gen.get('fer_frames_n', 0)}) | " + ref_acc,
            f"| contempt by hyperplane | {_pct(gen['contempt_by_hyperplane'])} (n={gen['contempt_n']}) | "
            + (f"{_pct(real['contempt_by_hyperplane'])} (n={real['contempt_n']}) |" if real else "– |"),
            f"| chance (7 classes) | {_pct(1 / 7)} | {_pct(1 / 7)} |",
            "",
            "| emotion | " + " | ".join(emotion_eval.FER_EMOTIONS) + " |",
            "|---|" + "---|" * len(emotion_eval.FER_EMOTIONS),
            "| generated accuracy | "
            + " | ".join(_pct(gen["fer_per_class"][k]) for k in emotion_eval.FER_EMOTIONS)
            + " |",
        ]
        if real and real["with_informal_labels"]["clips"] != real["dataset_labels"]["clips"]:
            w = real["with_informal_labels"]
            lines += ["", f"With the informal web-clip labels too, the real reference is {_pct(w['clip_accuracy'])} "
                          f"of {w['clips']} clips."]  # fmt: skip
        lines += [
            "",
            "## 3. Intensity",
            "",
            f"Monotonicity: Spearman ρ of the target score over intensity per portrait × emotion (target score = FER "
            "probability of the emotion; contempt: hyperplane value), mean "
            f"**{_fmt(gen['monotonicity_spearman_mean'], 2)}**, ρ > 0 for "
            f"{_pct(gen['monotonicity_positive_share'])} of {gen['monotonicity_n']} series.",
            "",
        ]
        levels = sorted({k for d in gen["target_score_by_intensity"].values() for k in d}, key=float)
        if levels:
            lines += ["| emotion | ρ | " + " | ".join(f"score @ {k}" for k in levels) + " |",
                      "|---|---|" + "---|" * len(levels)]  # fmt: skip
            for emo, d in gen["target_score_by_intensity"].items():
                lines.append(f"| {emo} | {_fmt(gen['monotonicity_per_emotion'].get(emo), 2)} | "
                             + " | ".join(_fmt(d.get(k)) for k in levels) + " |")  # fmt: skip
    else:
        lines += ["No generated emotion result (see failed items)."]
    sp = r["speech"]["summary"]
    if sp:
        lines += [
            "",
            "Audio (labelled speech; **in-sample**: the shipped speech-emotion model was trained on these same files):",
            "",
            "| measure | value | n |",
            "|---|---|---|",
            f"| RAVDESS strong take has higher mean `intensity_from_speech` than its normal take | "
            f"{_pct(sp['strong_gt_normal_share'])} ({_pct(sp['strong_gt_normal_share_without_calm'])} without calm) | "
            f"{sp['ravdess_pairs']} pairs |",
            f"| mean intensity normal → strong | {_fmt(sp['mean_intensity_normal'])} → "
            f"{_fmt(sp['mean_intensity_strong'])} | |",
            f"| `emotion_from_speech` 8-class accuracy (chance {_pct(sp['chance_8'])}) | "
            f"{_pct(sp['emotion_accuracy_8'])} | {sp['emotion_n']} |",
            f"| arousal (high vs low) accuracy | {_pct(sp['arousal_accuracy'])} | {sp['arousal_n']} |",
        ]
        for ds, acc in sp["emotion_accuracy_per_dataset"].items():
            lines.append(f"| 8-class accuracy, {ds} | {_pct(acc)} | |")

    lines += ["", "## 4. Speed and memory", ""]
    if r["speed"]:
        lines += [
            f"One process per size ({r['settings'].get('speed_inputs')}, {plan.speed_seconds:g} s of audio); fps = "
            "video frames per second of wall time; real-time factor = processing time / audio duration (< 1 is "
            "faster than real time); peak memory = the process's max resident set size.",
            "",
            "| size | features fps | motion fps | portrait s | render fps | encode fps | end-to-end fps | real-time "
            "factor | peak RSS MiB |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for size, x in sorted(r["speed"].items(), key=lambda kv: int(kv[0])):
            f = x["fps"]
            lines.append(f"| {size} | {_fmt(f['speech_features'], 0)} | {_fmt(f['motion'], 0)} | "
                         f"{_fmt(x['seconds']['portrait'], 2)} | {_fmt(f['render'], 1)} | {_fmt(f['encode'], 0)} | "
                         f"{_fmt(x['end_to_end_fps'], 1)} | {_fmt(x['real_time_factor'], 2)} | "
                         f"{_fmt(x['peak_rss_mb'], 0)} |")  # fmt: skip
    else:
        lines.append("No speed result (see failed items).")
    if r["figures"]:
        lines += ["", "## Figures", ""] + [f"* [{name}]({name})" for name in r["figures"]]
    lines += ["", "Every number above, per item, with settings and versions: `report.json`.", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- README

README_BEGIN = "<!-- moodtalk-eval:begin (generated from report.md by `make eval`; do not edit by hand) -->"
README_END = "<!-- moodtalk-eval:end -->"


def readme_section(report_md: str) -> str:
    """The README's results section made from a report.md: its title line becomes the machine/date line, the
    per-clip table, the figure list and the closing pointer are dropped, headings go one level down."""
    out: list[str] = []
    skip = False
    for line in report_md.splitlines():
        if line.startswith("# "):
            continue
        if line.startswith("Per clip") or line.startswith("## Figures"):
            skip = True
            continue
        if skip and line.startswith("## "):
            skip = False
        if skip or line.startswith("Every number above"):
            continue
        out.append("#" + line if line.startswith("## ") else line)
    text = "\n".join(out).strip()
    return f"{README_BEGIN}\n{text}\n\nFull tables, per-clip numbers and figures: `runs/eval_full/report.md` " \
           f"(regenerate with `make eval`).\n{README_END}"  # fmt: skip


def update_readme(report_md: Path, readme: Path) -> None:
    """Replace the text between the README markers (or append a "## Results" section) with ``readme_section``."""
    section = readme_section(Path(report_md).read_text(encoding="utf-8"))
    text = Path(readme).read_text(encoding="utf-8")
    if README_BEGIN in text and README_END in text:
        head, rest = text.split(README_BEGIN, 1)
        text = head + section + rest.split(README_END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Results (`make eval`)\n\n" + section + "\n"
    Path(readme).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """``python -m moodtalk.evaluation.report REPORT_MD README``: write the README's results section."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m moodtalk.evaluation.report REPORT_MD README", file=sys.stderr)
        return 2
    update_readme(Path(args[0]), Path(args[1]))
    print(f"updated the results section of {args[1]} from {args[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["markdown", "readme_section", "summarize_reenact", "to_jsonable", "update_readme", "write_report"]
