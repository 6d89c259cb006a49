"""Emotion from the voice: frame-wise emotional intensity and an utterance-level emotion guess.

Intensity (``intensity_from_speech``) follows the idea of an audio-to-intensity predictor (Xu et al.,
"Learning Frame-Wise Emotion Intensity for Audio-Driven Talking-Head Generation", arXiv 2409.19501):
how strongly an emotion shows varies frame by frame with the speech tone. Here it is knowledge-based,
not learned: a weighted sum of prosodic arousal cues known from the speech-emotion literature
(Scherer 2003, "Vocal communication of emotion", Speech Communication 40; Juslin & Laukka 2003,
Psychological Bulletin 129): louder voice, higher and more variable pitch, faster articulation and a
flatter spectral tilt (tense voice) all signal higher arousal / stronger emotion.

Every cue is scored twice and the two are mixed:

* absolute: against fixed reference values of ordinary calm speech (so a recording that is strong
  throughout scores higher than a calm one of the same sentence);
* relative: against the utterance's own median (so the track moves with stressed syllables whatever
  the recording level or the speaker's register).

Emotion (``emotion_from_speech``) is a multinomial logistic regression on utterance statistics of the
same cues, trained by ``scripts/train_speech_emotion.py`` on the labelled speech of ``../shared/data``;
its few parameters ship as ``moodtalk/data/speech_emotion.npz``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import scipy.ndimage
import scipy.signal

from moodtalk.types import EMOTIONS, SpeechFeatures

# --- Reference values of calm speech (the "absolute" scales) -------------------------------------------
LOUD_REF_DBFS = -26.0
"""Active speech level that recordings are commonly normalised to (ITU-T P.56 / P.800 use -26 dBov);
vowel-peak loudness at this level scores 0 on the absolute loudness scale."""
LOUD_SCALE_DB = 10.0
"""dB per unit of the loudness cue: raised to loud voice is ~+6 to +12 dB (Traunmüller & Eriksson 2000,
"Acoustic effects of variation in vocal effort by men, women, and children", JASA 107)."""
F0_REF_HZ = 160.0
"""Pitch reference: geometric mean of typical adult speaking F0, ~116 Hz men and ~217 Hz women
(Titze 1994, "Principles of Voice Production"), so neither register is treated as aroused."""
PITCH_SCALE_ST = 6.0
"""Semitones per unit of the pitch cue: anger and joy raise mean F0 by several semitones over
neutral speech (Juslin & Laukka 2003, table 7)."""
PITCH_SD_REF_ST = 2.5
"""F0 standard deviation (semitones) of ordinary read speech (Traunmüller & Eriksson 1995,
"The perceptual evaluation of F0 excursions in speech as evidenced in liveliness estimations")."""
PITCH_SD_SCALE_ST = 2.0
"""Semitones per unit of the pitch-variability cue."""
RATE_REF_SYL_S = 4.5
"""Articulation rate of ordinary speech in syllables per second (pauses excluded; ~4-6 syl/s across
languages, Pellegrino, Coupé & Marsico 2011, Language 87)."""
RATE_SCALE_SYL_S = 2.0
"""Syllables per second per unit of the rate cue."""
TILT_REF_DB = 24.0
"""Low (50-1000 Hz) minus high (3-8 kHz) band energy of voiced frames in calm speech, in dB. Louder,
tenser phonation strengthens the high harmonics and flattens the tilt (Sundberg & Nordenberg 2006,
"Effects of vocal loudness variation on spectrum balance", JASA 120)."""
TILT_SCALE_DB = 8.0
"""dB of tilt flattening per unit of the tension cue."""
CENTROID_REF_HZ = 500.0
"""Spectral centroid of voiced frames in calm speech (Hz)."""
CENTROID_SCALE_OCT = 1.0
"""Octaves of centroid rise per unit of the tension cue."""

# --- Syllable nuclei (speaking-rate proxy) --------------------------------------------------------------
NUCLEUS_PROMINENCE_DB = 2.0
"""A loudness peak is a syllable nucleus when it stands this far above the dips around it (de Jong &
Wempe 2009, "Praat script to detect syllable nuclei and measure speech rate automatically", BRM 41)."""
NUCLEUS_MIN_GAP_S = 0.1
"""Nuclei closer than this are one syllable (no one articulates more than ~10 syllables per second)."""

ACTIVE_RANGE_DB = 35.0
"""Speech frames more than this below the utterance's loud (90th percentile) frames are treated as pauses when
gating: the voice-activity hangover and digital silence inside 'speech' must not drag the held value down.
Speech spans ~30 dB from vowels to weak consonants."""

_EPS = 1e-9


@dataclass(frozen=True)
class ProsodyConfig:
    """Settings of ``intensity_from_speech``; every cue weight is a share of the arousal score."""

    weight_loudness: float = 0.35
    """Loudness: the strongest single acoustic correlate of arousal (Juslin & Laukka 2003)."""
    weight_pitch: float = 0.3
    """Pitch level: second strongest."""
    weight_tension: float = 0.2
    """Spectral tilt and centroid (tense vs lax voice quality)."""
    weight_variability: float = 0.075
    """Pitch range: F0 standard deviation in a sliding window."""
    weight_rate: float = 0.075
    """Articulation rate from syllable nuclei (weak and emotion-dependent: sadness is slow, fear fast)."""
    absolute_share: float = 0.5
    """Mix of each cue's absolute (fixed reference) and relative (utterance median) score: 1 keeps only the
    absolute level, 0 only the within-utterance variation."""
    gain: float = 2.5
    """Slope of the logistic that maps the arousal score to [0, 1]."""
    calm_intensity: float = 0.3
    """Intensity of speech at every reference value (score 0)."""
    cue_clip: float = 2.0
    """Each cue is clipped to ± this many units so that no single cue (a shout, an octave error) dominates."""
    envelope_s: float = 0.2
    """Loudness is the running maximum over about a syllable, so consonant dips do not read as calm."""
    window_s: float = 1.0
    """Sliding window of the pitch-variability cue."""
    rate_window_s: float = 1.5
    """Sliding window of the articulation-rate cue."""
    hold_s: float = 0.5
    """In pauses shorter than this the last intensity is held (a breath does not end an emotion)."""
    decay_s: float = 0.5
    """Beyond ``hold_s`` the intensity decays to 0 with this time constant."""
    smooth_s: float = 0.4
    """Full width at half maximum of the final Gaussian smoothing."""


def intensity_from_speech(features: SpeechFeatures, config: ProsodyConfig = ProsodyConfig()) -> np.ndarray:
    """Frame-wise emotional intensity from prosody.

    Args:
        features: speech descriptors of one utterance or recording, T frames.
        config: cue weights, scales and temporal settings.

    Returns:
        (T,) float32 in [0, 1]: ~``calm_intensity`` for calm speech at the reference values, towards 1 for
        loud, high, tense speech, ~0 in silence (held through short pauses, decaying in long ones).
    """
    t = len(features)
    speech = features.speech.astype(bool)
    if t == 0 or not speech.any():
        return np.zeros(t, np.float32)
    score = _arousal_score(features, config)
    raw = 1.0 / (1.0 + np.exp(-(config.gain * score + _logit(config.calm_intensity))))
    active = speech & (features.rms >= np.percentile(features.rms[speech], 90) - ACTIVE_RANGE_DB)
    gated = _gate(raw, active, features.fps, config.hold_s, config.decay_s)
    sigma = config.smooth_s / (2.0 * math.sqrt(2.0 * math.log(2.0))) * features.fps
    if sigma > 0.3:
        gated = scipy.ndimage.gaussian_filter1d(gated, sigma, mode="constant")
    return np.clip(gated, 0.0, 1.0).astype(np.float32)


def _arousal_score(f: SpeechFeatures, c: ProsodyConfig) -> np.ndarray:
    """(T,) weighted sum of the clipped cue scores (0 = calm reference speech)."""
    tracks = cue_tracks(f, c)
    speech = f.speech.astype(bool)
    a = c.absolute_share

    def mixed(absolute: np.ndarray) -> np.ndarray:
        relative = absolute - np.median(absolute[speech])
        return np.clip(a * absolute + (1.0 - a) * relative, -c.cue_clip, c.cue_clip)

    loud = mixed((tracks["loudness_db"] - LOUD_REF_DBFS) / LOUD_SCALE_DB)
    pitch = mixed(tracks["pitch_st"] / PITCH_SCALE_ST)
    tension = mixed(
        0.5 * (TILT_REF_DB - tracks["tilt_db"]) / TILT_SCALE_DB
        + 0.5 * np.log2(tracks["centroid_hz"] / CENTROID_REF_HZ) / CENTROID_SCALE_OCT
    )
    # Variability and rate are already measured over windows: only their absolute level is used.
    variability = np.clip((tracks["pitch_sd_st"] - PITCH_SD_REF_ST) / PITCH_SD_SCALE_ST, -c.cue_clip, c.cue_clip)
    rate = np.clip((tracks["rate_syl_s"] - RATE_REF_SYL_S) / RATE_SCALE_SYL_S, -c.cue_clip, c.cue_clip)
    return (
        c.weight_loudness * loud
        + c.weight_pitch * pitch
        + c.weight_tension * tension
        + c.weight_variability * variability
        + c.weight_rate * rate
    )


def cue_tracks(f: SpeechFeatures, config: ProsodyConfig = ProsodyConfig()) -> dict[str, np.ndarray]:
    """Frame-wise prosodic cues, each (T,) float64 and finite everywhere.

    Returns:
        ``loudness_db`` running-max RMS (dBFS); ``pitch_st`` F0 in semitones re ``F0_REF_HZ``, interpolated
        over unvoiced frames; ``pitch_sd_st`` F0 standard deviation in a sliding window (semitones);
        ``rate_syl_s`` syllable nuclei per second of speech in a sliding window; ``tilt_db`` low-high band
        energy of voiced frames (dB) and ``centroid_hz`` spectral centroid of voiced frames, both interpolated.
        Where a cue cannot be measured (no voiced frame at all) it holds its calm reference value.
    """
    fps = f.fps
    speech = f.speech.astype(bool)
    voiced = f.voiced.astype(bool) & np.isfinite(f.f0)
    rms = f.rms.astype(np.float64)
    size = max(1, round(config.envelope_s * fps)) | 1
    loudness = scipy.ndimage.maximum_filter1d(np.where(speech, rms, -200.0), size, mode="nearest")
    loudness = np.where(speech, np.maximum(loudness, rms), rms)

    semitones = np.full(len(f), np.nan)
    semitones[voiced] = 12.0 * np.log2(f.f0[voiced] / F0_REF_HZ)
    pitch = _interpolate(semitones, voiced, 0.0)
    pitch_sd = _windowed_sd(semitones, voiced, max(3, round(config.window_s * fps)), PITCH_SD_REF_ST)

    spectral = {name: f.spectral[:, i].astype(np.float64) for i, name in enumerate(f.spectral_names)}
    tilt = _interpolate(spectral.get("low_high_db", np.full(len(f), TILT_REF_DB)), voiced, TILT_REF_DB)
    centroid = _interpolate(spectral.get("centroid_hz", np.full(len(f), CENTROID_REF_HZ)), voiced, CENTROID_REF_HZ)

    nuclei = syllable_nuclei(f)
    win = max(3, round(config.rate_window_s * fps))
    count = scipy.ndimage.uniform_filter1d(nuclei.astype(np.float64), win, mode="constant") * win
    speech_s = scipy.ndimage.uniform_filter1d(speech.astype(np.float64), win, mode="constant") * win / fps
    enough = speech_s >= 0.3  # a rate over less than 0.3 s of speech is noise
    rate = np.where(enough, count / np.maximum(speech_s, _EPS), RATE_REF_SYL_S)
    return {
        "loudness_db": loudness,
        "pitch_st": pitch,
        "pitch_sd_st": pitch_sd,
        "rate_syl_s": rate,
        "tilt_db": tilt,
        "centroid_hz": np.maximum(centroid, 1.0),
    }


def syllable_nuclei(f: SpeechFeatures) -> np.ndarray:
    """(T,) bool: frames holding a syllable nucleus.

    De Jong & Wempe (2009): peaks of the loudness contour that stand ``NUCLEUS_PROMINENCE_DB`` above their
    surroundings, at least ``NUCLEUS_MIN_GAP_S`` apart, inside speech and voiced within one frame.
    """
    t = len(f)
    out = np.zeros(t, bool)
    if t < 3:
        return out
    speech = f.speech.astype(bool)
    contour = scipy.ndimage.uniform_filter1d(np.where(speech, f.rms, f.rms.min()).astype(np.float64), 3)
    peaks, _ = scipy.signal.find_peaks(
        contour, prominence=NUCLEUS_PROMINENCE_DB, distance=max(1, round(NUCLEUS_MIN_GAP_S * f.fps))
    )
    near_voiced = scipy.ndimage.maximum_filter1d(f.voiced.astype(np.uint8), 3).astype(bool)
    peaks = peaks[speech[peaks] & near_voiced[peaks]]
    out[peaks] = True
    return out


def _interpolate(values: np.ndarray, valid: np.ndarray, default: float) -> np.ndarray:
    """(T,) values at the valid frames, linearly interpolated between them (held at the ends)."""
    idx = np.flatnonzero(valid & np.isfinite(values))
    if idx.size == 0:
        return np.full(values.shape[0], default, np.float64)
    return np.interp(np.arange(values.shape[0]), idx, values[idx].astype(np.float64))


def _windowed_sd(values: np.ndarray, valid: np.ndarray, window: int, default: float) -> np.ndarray:
    """(T,) standard deviation of the valid values in a centred window; ``default`` where fewer than 3."""
    x = np.where(valid, values, 0.0)
    n = scipy.ndimage.uniform_filter1d(valid.astype(np.float64), window, mode="constant") * window
    s1 = scipy.ndimage.uniform_filter1d(x, window, mode="constant") * window
    s2 = scipy.ndimage.uniform_filter1d(x * x, window, mode="constant") * window
    n_safe = np.maximum(n, 1.0)
    var = np.maximum(s2 / n_safe - (s1 / n_safe) ** 2, 0.0)
    return np.where(n >= 2.5, np.sqrt(var), default)


def _gate(raw: np.ndarray, speech: np.ndarray, fps: float, hold_s: float, decay_s: float) -> np.ndarray:
    """(T,) raw inside speech; in pauses hold the last speech value, then decay it to 0; 0 before speech."""
    out = np.zeros(raw.shape[0], np.float64)
    last, gap = 0.0, 0
    hold, tau = hold_s * fps, max(decay_s * fps, _EPS)
    for i in range(raw.shape[0]):
        if speech[i]:
            last, gap = float(raw[i]), 0
            out[i] = last
        else:
            gap += 1
            out[i] = last if gap <= hold else last * math.exp(-(gap - hold) / tau)
    return out


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1.0 - p))


# --- Utterance-level emotion ----------------------------------------------------------------------------

STAT_NAMES: tuple[str, ...] = (
    "loudness_p90_dbfs",
    "loudness_range_db",
    "pitch_median_st",
    "pitch_sd_st",
    "pitch_range_st",
    "tilt_median_db",
    "centroid_median_oct",
    "flatness_median_log10",
    "voiced_fraction",
    "rate_syl_s",
    "intensity_mean",
)
"""Utterance statistics fed to the speech-emotion classifier, in this order (see ``utterance_statistics``)."""

HIGH_AROUSAL: tuple[str, ...] = ("angry", "fearful", "happy", "surprised")
"""High-arousal classes on Russell's circumplex (Russell 1980, "A circumplex model of affect", JPSP 39:
afraid, angry, excited/delighted, astonished lie in the aroused half)."""
LOW_AROUSAL: tuple[str, ...] = ("neutral", "sad")
"""Low-arousal classes (neutral at the centre, sad/depressed/bored/tired in the unaroused half); RAVDESS
'calm' and Emo-DB 'boredom' count as low too. Disgust and contempt sit near the middle of the arousal axis
and are left out of the arousal labels."""

MODEL_FILE = "speech_emotion.npz"
"""Package data of the classifier (in ``moodtalk/data``), made by ``scripts/train_speech_emotion.py``."""


def utterance_statistics(features: SpeechFeatures, config: ProsodyConfig = ProsodyConfig()) -> np.ndarray:
    """(len(STAT_NAMES),) float64 prosodic statistics of one utterance, over its speech frames.

    Loudness 90th percentile (dBFS) and 90-10 range (dB); median, standard deviation and 90-10 range of F0
    (semitones re ``F0_REF_HZ``); median spectral tilt (dB), centroid (octaves re ``CENTROID_REF_HZ``) and
    log10 flatness of voiced frames; voiced share of speech frames; syllable nuclei per second of speech;
    mean ``intensity_from_speech``. Values that cannot be measured take calm reference values.
    """
    speech = features.speech.astype(bool)
    if not speech.any():
        speech = np.ones(len(features), bool)
    voiced = features.voiced.astype(bool) & np.isfinite(features.f0) & speech
    rms = features.rms[speech].astype(np.float64) if speech.any() else np.array([LOUD_REF_DBFS])
    spectral = {name: features.spectral[:, i].astype(np.float64) for i, name in enumerate(features.spectral_names)}
    if voiced.sum() >= 2:
        st = 12.0 * np.log2(features.f0[voiced] / F0_REF_HZ)
        pitch = (np.median(st), np.std(st), np.percentile(st, 90) - np.percentile(st, 10))
        tilt = np.median(spectral["low_high_db"][voiced])
        centroid = np.log2(max(np.median(spectral["centroid_hz"][voiced]), 1.0) / CENTROID_REF_HZ)
        flatness = np.median(np.log10(np.maximum(spectral["flatness"][voiced], 1e-9)))
    else:
        pitch = (0.0, PITCH_SD_REF_ST, 2.0 * PITCH_SD_REF_ST)
        tilt, centroid, flatness = TILT_REF_DB, 0.0, -2.5
    n_speech = max(int(speech.sum()), 1)
    rate = syllable_nuclei(features)[speech].sum() / (n_speech / features.fps)
    intensity = intensity_from_speech(features, config)[speech].mean() if len(features) else 0.0
    return np.array(
        [
            np.percentile(rms, 90),
            np.percentile(rms, 90) - np.percentile(rms, 10),
            *pitch,
            tilt,
            centroid,
            flatness,
            voiced.sum() / n_speech,
            rate,
            intensity,
        ],
        np.float64,
    )


@dataclass(frozen=True)
class SpeechEmotionModel:
    """A multinomial logistic regression over ``EMOTIONS`` plus a binary one for arousal, on standardised
    ``utterance_statistics``."""

    mean: np.ndarray
    """(F,) feature means of the training set."""
    scale: np.ndarray
    """(F,) feature standard deviations of the training set."""
    coef: np.ndarray
    """(8, F) class weights (rows in ``EMOTIONS`` order; classes never seen in training have -inf bias)."""
    intercept: np.ndarray
    """(8,) class biases."""
    arousal_coef: np.ndarray
    """(F,) weights of the high-arousal logit."""
    arousal_intercept: float
    """Bias of the high-arousal logit."""

    def predict(self, stats: np.ndarray) -> tuple[np.ndarray, float]:
        """(8,) class probabilities and the probability of high arousal, for (F,) statistics."""
        z = (np.asarray(stats, np.float64) - self.mean) / self.scale
        logits = self.coef @ z + self.intercept
        logits = logits - logits[np.isfinite(logits)].max()
        p = np.exp(logits)
        p /= p.sum()
        arousal = 1.0 / (1.0 + math.exp(-float(self.arousal_coef @ z + self.arousal_intercept)))
        return p, arousal

    def save(self, path: str) -> None:
        """Write the parameters as an npz file (with the feature names, for checking on load)."""
        np.savez(
            path,
            mean=self.mean,
            scale=self.scale,
            coef=self.coef,
            intercept=self.intercept,
            arousal_coef=self.arousal_coef,
            arousal_intercept=np.array(self.arousal_intercept),
            stat_names=np.array(STAT_NAMES),
            emotions=np.array(EMOTIONS),
        )


@lru_cache(maxsize=1)
def load_speech_emotion_model() -> SpeechEmotionModel | None:
    """The packaged classifier, or None when the package data is missing or does not match this code."""
    try:
        ref = resources.files("moodtalk") / "data" / MODEL_FILE
        with resources.as_file(ref) as path, np.load(path) as data:
            if tuple(data["stat_names"]) != STAT_NAMES or tuple(data["emotions"]) != EMOTIONS:
                return None
            return SpeechEmotionModel(
                mean=data["mean"],
                scale=data["scale"],
                coef=data["coef"],
                intercept=data["intercept"],
                arousal_coef=data["arousal_coef"],
                arousal_intercept=float(data["arousal_intercept"]),
            )
    except (FileNotFoundError, KeyError, OSError):
        return None


def emotion_from_speech(features: SpeechFeatures, model: SpeechEmotionModel | None = None) -> tuple[np.ndarray, float]:
    """Guess the emotion of an utterance from its prosody.

    Args:
        features: speech descriptors of the utterance.
        model: classifier; default the packaged one. Without one, a rule maps the mean intensity to arousal
            and spreads it over the high- or low-arousal classes.

    Returns:
        (8,) float64 probabilities over ``EMOTIONS`` (sum 1) and the arousal in [0, 1] (probability that the
        voice is highly aroused). No speech at all gives (neutral one-hot, 0).
    """
    probs = np.zeros(len(EMOTIONS))
    if len(features) == 0 or not features.speech.any():
        probs[EMOTIONS.index("neutral")] = 1.0
        return probs, 0.0
    stats = utterance_statistics(features)
    model = model if model is not None else load_speech_emotion_model()
    if model is not None:
        return model.predict(stats)
    # Fallback rule: arousal from mean intensity (0.3 calm → 0.5 at 0.45 → ~1 at 0.7).
    arousal = float(np.clip((stats[STAT_NAMES.index("intensity_mean")] - 0.3) / 0.3, 0.0, 1.0))
    for name in HIGH_AROUSAL:
        probs[EMOTIONS.index(name)] = arousal / len(HIGH_AROUSAL)
    for name in LOW_AROUSAL:
        probs[EMOTIONS.index(name)] = (1.0 - arousal) / len(LOW_AROUSAL)
    return probs / probs.sum(), arousal
