"""English phone recognition and forced alignment with pocketsphinx's bundled model.

Without a transcript the audio is decoded with pocketsphinx's all-phone search (a phone loop weighted by
the phonetic n-gram ``en-us-phone.lm.bin``). With one, the words are force-aligned (``set_align_text``)
and a second pass gives phone timings (``set_alignment`` / ``get_alignment``). Both use the
acoustic model and dictionary that ship in the pocketsphinx wheel.

Long audio is decoded in chunks of at most ``MAX_CHUNK_S`` cut in pauses. The confidence is a
heuristic: agreement between the recognised phones and an energy voice-activity detector, times the
share of phones with a plausible duration (and, when aligning, the share of words the dictionary knows).
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pocketsphinx
import scipy.ndimage
import scipy.signal

from moodtalk.audio.features import ANALYSIS_SR, FeatureConfig, speech_features
from moodtalk.audio.visemes import SILENCE_VISEME, phone_to_viseme
from moodtalk.types import AudioTrack, PhoneSegment, PhoneTimeline

SPHINX_FRAME_RATE = 100
"""pocketsphinx analysis frames per second (10 ms hop)."""
PAD_S = 0.3
"""Silence added on both sides of each chunk so the decoder starts and ends in SIL."""
DITHER_RMS = 1e-4
"""Gaussian dither (~-80 dBFS) added before decoding: digital silence breaks pocketsphinx's log energy
and cepstral mean normalisation (alignment then fails to reach the final state)."""
DITHER_SEED = 0
"""Fixed seed: the same audio always gives the same phones."""
MAX_CHUNK_S = 30.0
"""Longest stretch decoded at once (search memory and time grow with utterance length)."""
MIN_CHUNK_S = 10.0
"""A chunk cut looks for a pause between ``MIN_CHUNK_S`` and ``MAX_CHUNK_S`` after the chunk start."""
MAX_ALIGN_S = 120.0
"""Forced alignment runs on the whole utterance (the transcript cannot be split without timing);
above this length the phone loop is used instead."""
PHONE_LM_WEIGHT = 2.0
"""Language weight of the phone n-gram (CMU Sphinx wiki, "Phoneme recognition": -lw 2.0)."""
PHONE_BEAM = 1e-20
"""Beam widths of the phone loop (same wiki page: -beam 1e-20 -pbeam 1e-20)."""
VAD_FPS = 100.0
"""Rate of the voice-activity mask used to cut chunks and to score/clean the phones."""
MIN_SPEECH_OVERLAP = 0.5
"""A recognised phone that overlaps (widened) voice activity for less than this share of its length becomes SIL."""
VAD_WIDEN_S = 0.15
"""Voice activity is widened by this on both sides before cleaning phones: stop closures (the silent,
lips-closed part of P/B) lie just outside the energy detector's speech."""
PLAUSIBLE_PHONE_S = (0.03, 0.4)
"""Phone durations a talker produces; many phones outside this range mean the decoder is lost."""
SILENCE = "SIL"
"""Phone label of silence and of pocketsphinx fillers (+NSN+, +SPN+, <sil>, ...)."""


@lru_cache(maxsize=1)
def _phone_decoder() -> pocketsphinx.Decoder:
    """All-phone decoder (built once: loading the model takes ~0.2 s)."""
    model = pocketsphinx.get_model_path("en-us")
    return pocketsphinx.Decoder(
        hmm=f"{model}/en-us",
        allphone=f"{model}/en-us-phone.lm.bin",
        lw=PHONE_LM_WEIGHT,
        beam=PHONE_BEAM,
        pbeam=PHONE_BEAM,
        loglevel="FATAL",
    )


@lru_cache(maxsize=1)
def _align_decoder() -> pocketsphinx.Decoder:
    """Decoder with the CMU dictionary, for forced alignment (built once)."""
    model = pocketsphinx.get_model_path("en-us")
    return pocketsphinx.Decoder(hmm=f"{model}/en-us", dict=f"{model}/cmudict-en-us.dict", lm=None, loglevel="FATAL")


def recognize_phones(audio: AudioTrack, transcript: str | None = None) -> PhoneTimeline:
    """English phones with their times and visemes.

    Args:
        audio: mono samples at any rate.
        transcript: what is said, if known. Words the CMU dictionary lacks are skipped (and lower the
            confidence); if the alignment fails, the phone loop result is returned instead.

    Returns:
        ``PhoneTimeline`` covering the audio, silences included; ``source`` is 'alignment',
        'pocketsphinx', or 'none' for empty audio.
    """
    if audio.samples.shape[0] == 0:
        return PhoneTimeline(segments=(), confidence=0.0, source="none")
    y = _to_16k(audio)
    vad = speech_features(AudioTrack(y, ANALYSIS_SR), fps=VAD_FPS, config=FeatureConfig()).speech
    duration = audio.duration

    if transcript is not None and transcript.strip() and duration <= MAX_ALIGN_S:
        aligned = _align(y, transcript)
        if aligned is not None:
            raw, known_share = aligned
            segments = _finish(raw, vad, duration)
            return PhoneTimeline(segments, _confidence(segments, vad) * known_share, "alignment")

    raw = []
    for start, end in _chunks(vad, y.shape[0]):
        offset = start / ANALYSIS_SR
        raw += [(p, s + offset, e + offset) for p, s, e in _decode_phones(y[start:end])]
    segments = _finish(raw, vad, duration)
    return PhoneTimeline(segments, _confidence(segments, vad), "pocketsphinx")


def _to_16k(audio: AudioTrack) -> np.ndarray:
    """(N',) float32 samples at 16 kHz."""
    if audio.sample_rate == ANALYSIS_SR:
        return audio.samples
    ratio = Fraction(ANALYSIS_SR, audio.sample_rate).limit_denominator(1000)
    return scipy.signal.resample_poly(audio.samples, ratio.numerator, ratio.denominator).astype(np.float32)


def _pcm(y: np.ndarray) -> bytes:
    """Padded, dithered 16-bit little-endian PCM for pocketsphinx."""
    pad = np.zeros(round(PAD_S * ANALYSIS_SR), np.float32)
    x = np.concatenate((pad, y, pad))
    x = x + np.random.default_rng(DITHER_SEED).normal(0.0, DITHER_RMS, x.shape[0])
    return (np.clip(x, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def _run(decoder: pocketsphinx.Decoder, pcm: bytes) -> None:
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


def _decode_phones(y: np.ndarray) -> list[tuple[str, float, float]]:
    """Phone loop on one chunk: (phone, start s, end s) relative to the chunk start."""
    decoder = _phone_decoder()
    _run(decoder, _pcm(y))
    return [
        (_phone_name(s.word), s.start_frame / SPHINX_FRAME_RATE - PAD_S, (s.end_frame + 1) / SPHINX_FRAME_RATE - PAD_S)
        for s in decoder.seg()
    ]


def _align(y: np.ndarray, transcript: str) -> tuple[list[tuple[str, float, float]], float] | None:
    """Forced alignment: (phone, start s, end s) and the share of transcript words in the dictionary, or None."""
    decoder = _align_decoder()
    words = re.findall(r"[a-z0-9']+", transcript.lower())
    known = [w for w in words if decoder.lookup_word(w) is not None]
    if not known:
        return None
    pcm = _pcm(y)
    try:
        decoder.set_align_text(" ".join(known))
        _run(decoder, pcm)
        decoder.set_alignment()
        _run(decoder, pcm)
        alignment = decoder.get_alignment()
    except RuntimeError:
        return None
    if alignment is None:
        return None
    raw = [
        (_phone_name(p.name), p.start / SPHINX_FRAME_RATE - PAD_S, (p.start + p.duration) / SPHINX_FRAME_RATE - PAD_S)
        for p in alignment.phones()
    ]
    return (raw, len(known) / len(words)) if raw else None


def _phone_name(label: str) -> str:
    """ARPAbet phone without stress, or SIL for silence and fillers."""
    name = label.upper().rstrip("012")
    return name if name.isalpha() and name != "SIL" and phone_to_viseme(name) != SILENCE_VISEME else SILENCE


def _finish(raw: list[tuple[str, float, float]], vad: np.ndarray, duration: float) -> tuple[PhoneSegment, ...]:
    """Clip to [0, duration], silence phones outside voice activity, merge silences, fill gaps with SIL."""
    widen = round(VAD_WIDEN_S * VAD_FPS)
    vad = scipy.ndimage.maximum_filter1d(vad, size=2 * widen + 1) if vad.shape[0] else vad
    segments: list[PhoneSegment] = []
    cursor = 0.0
    for phone, start, end in sorted(raw, key=lambda r: r[1]):
        start, end = max(start, cursor), min(end, duration)
        if end <= start:
            continue
        if phone != SILENCE and _speech_share(vad, start, end) < MIN_SPEECH_OVERLAP:
            phone = SILENCE
        if start > cursor:
            segments = _append(segments, SILENCE, cursor, start)
        segments = _append(segments, phone, start, end)
        cursor = end
    if cursor < duration:
        segments = _append(segments, SILENCE, cursor, duration)
    return tuple(segments)


def _append(segments: list[PhoneSegment], phone: str, start: float, end: float) -> list[PhoneSegment]:
    """Append a segment, merging it into a preceding silence when both are silence."""
    if phone == SILENCE and segments and segments[-1].phone == SILENCE:
        segments[-1] = PhoneSegment(SILENCE, segments[-1].start, end, SILENCE_VISEME)
    else:
        segments.append(PhoneSegment(phone, start, end, phone_to_viseme(phone)))
    return segments


def _speech_share(vad: np.ndarray, start: float, end: float) -> float:
    """Share of [start, end) that the voice-activity mask (at VAD_FPS) marks as speech."""
    lo = min(int(start * VAD_FPS), vad.shape[0] - 1)
    hi = max(lo + 1, min(int(np.ceil(end * VAD_FPS)), vad.shape[0]))
    return float(vad[lo:hi].mean())


def _confidence(segments: tuple[PhoneSegment, ...], vad: np.ndarray) -> float:
    """0..1: how well the phones cover the voice activity, times the share of plausible phone durations.

    No voice activity at all (silence, steady noise) gives 0: there is nothing to lip-sync from phones.
    """
    if not vad.any():
        return 0.0
    phone_mask = np.zeros_like(vad)
    durations = []
    for s in segments:
        if s.phone != SILENCE:
            phone_mask[int(s.start * VAD_FPS) : int(np.ceil(s.end * VAD_FPS))] = True
            durations.append(s.end - s.start)
    if not durations:
        return 0.0
    coverage = float((phone_mask & vad).sum() / vad.sum())
    lo, hi = PLAUSIBLE_PHONE_S
    plausible = float(np.mean([lo <= d <= hi for d in durations]))
    return float(np.clip(coverage * plausible, 0.0, 1.0))


def _chunks(vad: np.ndarray, n_samples: int) -> list[tuple[int, int]]:
    """Sample ranges of at most MAX_CHUNK_S, cut in the middle of the longest pause in each cut window."""
    chunks = []
    start = 0
    max_len, min_len = round(MAX_CHUNK_S * ANALYSIS_SR), round(MIN_CHUNK_S * ANALYSIS_SR)
    per_frame = ANALYSIS_SR / VAD_FPS
    while n_samples - start > max_len:
        lo, hi = int((start + min_len) / per_frame), int((start + max_len) / per_frame)
        window = ~vad[lo:hi]
        cut = lo + _longest_run_middle(window) if window.any() else hi
        end = int(cut * per_frame)
        chunks.append((start, end))
        start = end
    chunks.append((start, n_samples))
    return chunks


def _longest_run_middle(mask: np.ndarray) -> int:
    """Index of the middle of the longest run of True in mask (which holds at least one True)."""
    padded = np.concatenate(([0], mask.astype(np.int8), [0]))
    change = np.diff(padded)
    starts, ends = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
    k = int(np.argmax(ends - starts))
    return int((starts[k] + ends[k]) // 2)
