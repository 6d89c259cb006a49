"""recognize_phones, the viseme table and frame-rate visemes."""

from __future__ import annotations

import numpy as np
import pytest

from moodtalk.audio import PHONE_TO_VISEME, VISEMES, recognize_phones, speech_features, viseme_frames, viseme_one_hot
from moodtalk.types import AudioTrack, PhoneSegment, PhoneTimeline
from tests.audio.audio_signals import noise

BILABIALS = {"P", "B", "M"}


def _check_timeline(timeline: PhoneTimeline, duration: float) -> None:
    segs = timeline.segments
    assert 0.0 <= timeline.confidence <= 1.0
    assert all(s.end > s.start for s in segs)
    assert all(a.end <= b.start + 1e-9 for a, b in zip(segs, segs[1:], strict=False))
    assert segs[0].start >= 0.0 and segs[-1].end <= duration + 1e-6
    assert all(s.viseme in VISEMES for s in segs)


def test_table_covers_the_cmu_phone_set() -> None:
    cmu = "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH"
    assert set(cmu.split()) <= set(PHONE_TO_VISEME)
    assert set(PHONE_TO_VISEME.values()) == set(VISEMES)


def test_silence_and_noise_give_no_confident_phones() -> None:
    for track in (AudioTrack(np.zeros(16_000 * 2, np.float32), 16_000), noise(2.0, rms=0.05)):
        timeline = recognize_phones(track)
        _check_timeline(timeline, track.duration)
        assert timeline.confidence == 0.0
        assert all(s.phone == "SIL" for s in timeline.segments)


def test_bilabials_in_espeak_speech(espeak_speech: AudioTrack) -> None:
    timeline = recognize_phones(espeak_speech)
    assert timeline.source == "pocketsphinx"
    _check_timeline(timeline, espeak_speech.duration)
    assert timeline.confidence > 0.5
    pp = [s for s in timeline.segments if s.phone in BILABIALS]
    assert len(pp) >= 3 and all(s.viseme == "PP" for s in pp)
    # 'map' and 'Bombay' are in the second half; the phones must lie inside the speech.
    speech = speech_features(espeak_speech, fps=100.0).speech
    first, last = np.flatnonzero(speech)[[0, -1]] / 100.0
    assert all(first - 0.2 <= s.start <= last + 0.2 for s in pp)
    assert any(s.start > (first + last) / 2 for s in pp)


def test_forced_alignment_orders_the_transcript(espeak_speech: AudioTrack) -> None:
    timeline = recognize_phones(espeak_speech, "Peter bought a map of Bombay!")
    assert timeline.source == "alignment"
    _check_timeline(timeline, espeak_speech.duration)
    phones = [s.phone for s in timeline.segments if s.phone != "SIL"]
    # CMU dictionary: P IY T ER | B AO T | AH | M AE P | AH V | B AA M B EY (alternative prons allowed).
    assert phones[0] == "P" and phones[-1] == "EY"
    assert [p for p in phones if p in BILABIALS] == ["P", "B", "M", "P", "B", "M", "B"]
    speech = speech_features(espeak_speech, fps=100.0).speech
    first, last = np.flatnonzero(speech)[[0, -1]] / 100.0
    spoken = [s for s in timeline.segments if s.phone != "SIL"]
    assert abs(spoken[0].start - first) < 0.15 and abs(spoken[-1].end - last) < 0.3
    assert timeline.confidence > 0.5


def test_unknown_transcript_falls_back_to_phone_loop(espeak_speech: AudioTrack) -> None:
    timeline = recognize_phones(espeak_speech, "zzqx vbbrt")
    assert timeline.source == "pocketsphinx"


def test_viseme_frames() -> None:
    timeline = PhoneTimeline(
        segments=(
            PhoneSegment("SIL", 0.0, 0.1, "sil"),
            PhoneSegment("M", 0.1, 0.2, "PP"),
            PhoneSegment("AA", 0.2, 0.4, "aa"),
        ),
        confidence=1.0,
        source="alignment",
    )
    idx = viseme_frames(timeline, 12, 25.0)  # centres at 0.02, 0.06, ..., 0.46
    names = [VISEMES[i] for i in idx]
    assert names == ["sil", "sil", "PP", "PP", "PP", "aa", "aa", "aa", "aa", "aa", "sil", "sil"]
    one_hot = viseme_one_hot(timeline, 12, 25.0)
    assert one_hot.shape == (12, len(VISEMES)) and (one_hot.sum(axis=1) == 1).all()


def test_empty_audio() -> None:
    timeline = recognize_phones(AudioTrack(np.zeros(0, np.float32), 16_000))
    assert timeline.segments == () and timeline.source == "none"


@pytest.mark.real
def test_real_clip_phones_and_features(real_speech: AudioTrack) -> None:
    feats = speech_features(real_speech)
    assert 0.4 < feats.speech.mean() <= 1.0
    assert 0.2 < feats.voiced.mean() < 0.9
    assert 70.0 < np.nanmedian(feats.f0) < 200.0  # an adult male voice
    timeline = recognize_phones(real_speech)
    _check_timeline(timeline, real_speech.duration)
    assert timeline.confidence > 0.5
    assert sum(s.phone != "SIL" for s in timeline.segments) > 5 * real_speech.duration  # ~10 phones/s
