"""The numpy spectrum and mel filterbank equal the reference implementation the models were trained with."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from moodtalk.audio.spectrum import fft_frequencies, hz_to_mel, mel_filterbank, mel_to_hz, stft_power

librosa = pytest.importorskip("librosa")


@pytest.mark.parametrize("n_mels", [20, 40, 80])
def test_mel_filterbank_matches_slaney_reference(n_mels: int) -> None:
    ref = librosa.filters.mel(sr=16000, n_fft=512, n_mels=n_mels, fmax=8000)
    np.testing.assert_allclose(mel_filterbank(16000, 512, n_mels), ref, atol=1e-7)


@pytest.mark.parametrize("n", [300, 512, 16000, 16001])
def test_centred_stft_power_matches_reference(n: int) -> None:
    y = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    window = scipy.signal.get_window("hann", 400)
    spec = librosa.stft(np.pad(y, (0, max(0, 512 - n))), n_fft=512, hop_length=160, win_length=400, window=window,
                        center=True, pad_mode="constant")  # fmt: skip
    ref = (np.abs(spec) ** 2).T
    ours = stft_power(np.pad(y, (0, max(0, 512 - n))), 512, 160, window)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-5 * ref.max())


def test_mel_scale_round_trip_and_break_at_1khz() -> None:
    hz = np.array([0.0, 500.0, 1000.0, 4000.0, 8000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(hz)), hz, rtol=1e-9, atol=1e-9)
    assert hz_to_mel(np.array(1000.0)) == pytest.approx(15.0)
    assert fft_frequencies(16000, 512)[-1] == 8000.0
