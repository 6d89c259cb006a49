"""Known answers for the pure evaluation measures."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from moodtalk.geometry.landmarks import EYE_LEFT_INNER, EYE_LEFT_OUTER, EYE_RIGHT_INNER, EYE_RIGHT_OUTER, RIGID_POINTS
from moodtalk.metrics.measures import (
    MOUTH_POINTS,
    angular_jitter,
    angular_speed,
    best_lag_correlation,
    blink_rate,
    closure_events,
    face_lmd,
    identity_drift,
    landmark_distance,
    match_events,
    mouth_lmd,
    pearson,
    psnr,
    spearman,
    ssim,
)
from moodtalk.types import N_LANDMARKS

RNG = np.random.default_rng(0)


def _image(h: int = 64, w: int = 64) -> np.ndarray:
    return RNG.integers(20, 200, size=(h, w, 3), dtype=np.uint8)


# ----------------------------------------------------------------- PSNR / SSIM


def test_identical_images_give_psnr_inf_and_ssim_one() -> None:
    a = _image()
    assert psnr(a, a.copy()) == float("inf")
    assert ssim(a, a.copy()) == pytest.approx(1.0)
    assert ssim(a[..., 0], a[..., 0].copy()) == pytest.approx(1.0)


def test_constant_shift_gives_known_psnr() -> None:
    a = _image()
    b = a + np.uint8(10)  # every value +10: MSE = 100
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 / 100), abs=1e-9)  # 28.13 dB
    assert psnr(a, a + np.uint8(1)) == pytest.approx(48.1308, abs=1e-4)  # MSE = 1


def test_region_restricts_the_comparison() -> None:
    a = _image()
    b = a.copy()
    b[:, 32:] = 0  # right half differs
    box = (0, 0, 32, 64)  # x0, y0, x1, y1: the left half
    mask = np.zeros(a.shape[:2], bool)
    mask[:, :32] = True
    assert psnr(a, b, box) == float("inf")
    assert psnr(a, b, mask) == float("inf")
    assert ssim(a, b, box) == pytest.approx(1.0)
    assert ssim(a, b, mask) > ssim(a, b)  # the window straddling the edge lowers the border a little
    assert np.isfinite(psnr(a, b)) and ssim(a, b) < 0.8


def test_ssim_drops_with_noise_and_matches_skimage() -> None:
    from skimage.metrics import structural_similarity

    a = _image()
    noisy = np.clip(a.astype(int) + RNG.normal(0, 20, a.shape), 0, 255).astype(np.uint8)
    s = ssim(a, noisy)
    assert 0 < s < 0.99
    assert ssim(a, np.clip(a.astype(int) + RNG.normal(0, 60, a.shape), 0, 255).astype(np.uint8)) < s
    assert s == pytest.approx(structural_similarity(a, noisy, data_range=255, channel_axis=-1))


def test_images_are_checked() -> None:
    a = _image()
    with pytest.raises(ValueError, match="shape"):
        psnr(a, a[:10])
    with pytest.raises(ValueError, match="uint8"):
        ssim(a.astype(np.float32), a.astype(np.float32))


# ----------------------------------------------------------------- landmarks


def _face(t: int = 4, iod: float = 50.0) -> np.ndarray:
    """(T, 478, 3) random points with the eye corners placed so the eye distance is ``iod``."""
    p = RNG.normal(100, 20, (t, N_LANDMARKS, 3))
    p[:, [EYE_RIGHT_OUTER, EYE_RIGHT_INNER], :] = [[80, 100, 0], [100, 100, 0]]
    p[:, [EYE_LEFT_INNER, EYE_LEFT_OUTER], :] = [[80 + iod, 100, 0], [100 + iod, 100, 0]]
    return p


def test_landmark_distance_known_offset() -> None:
    real = RNG.normal(0, 1, (5, 10, 2))
    pred = real + np.array([3.0, 4.0])  # every point 5 px away
    assert landmark_distance(pred, real) == pytest.approx(5.0)
    assert landmark_distance(pred, real, np.full(5, 10.0)) == pytest.approx(0.5)
    assert landmark_distance(real, real) == 0.0


def test_mouth_and_face_lmd_are_in_eye_distance_units() -> None:
    real = _face(iod=50.0)
    pred = real.copy()
    pred[:, list(MOUTH_POINTS), 1] += 5.0  # the lips move down 5 px = 0.1 IOD
    assert len(MOUTH_POINTS) == 40
    assert mouth_lmd(pred, real) == pytest.approx(0.1)
    assert face_lmd(pred, real) == pytest.approx(0.1 * 40 / N_LANDMARKS)
    pred[..., 2] += 100.0  # depth is ignored
    assert mouth_lmd(pred, real) == pytest.approx(0.1)


# ----------------------------------------------------------------- correlation


def test_best_lag_finds_the_shift_of_a_sine() -> None:
    t = np.arange(200)
    x = np.sin(2 * np.pi * t / 37.0) + 0.3 * np.sin(2 * np.pi * t / 11.0)
    y = np.roll(x, 4)  # y[t] = x[t - 4]: y is 4 frames late
    r, lag = best_lag_correlation(x, y, max_lag=12)
    assert lag == 4 and r == pytest.approx(1.0, abs=1e-9)
    r, lag = best_lag_correlation(x, np.roll(x, -3), max_lag=12)
    assert lag == -3 and r == pytest.approx(1.0, abs=1e-9)
    r, lag = best_lag_correlation(x, x)
    assert lag == 0 and r == pytest.approx(1.0)


def test_best_lag_handles_degenerate_input() -> None:
    r, lag = best_lag_correlation(np.ones(50), np.arange(50.0))
    assert np.isnan(r) and lag == 0
    x = np.arange(30.0)
    y = x.copy()
    y[5] = np.nan
    assert best_lag_correlation(x, y, max_lag=0) == (pytest.approx(1.0), 0)


def test_spearman_matches_scipy_with_ties() -> None:
    x = np.array([1, 2, 2, 3, 5, 8, 8, 9.0])
    y = np.array([2, 1, 4, 4, 6, 7, 9, 10.0])
    assert spearman(x, y) == pytest.approx(spearmanr(x, y).statistic)
    assert spearman(np.arange(10.0), np.exp(np.arange(10.0))) == pytest.approx(1.0)  # monotone → 1
    assert spearman(np.arange(10.0), -np.arange(10.0)) == pytest.approx(-1.0)
    assert pearson(np.arange(10.0), np.exp(np.arange(10.0))) < 0.9


# ----------------------------------------------------------------- events


def test_closure_events_on_a_hand_made_curve() -> None:
    o = np.full(40, 0.3)
    o[5] = 0.02  # a single-frame closure
    o[[12, 13, 14]] = [0.03, 0.01, 0.03]  # a closure with its minimum at 13
    o[[20, 23]] = [0.02, 0.01]  # two minima 3 frames apart: separate events
    o[[26, 27]] = [0.02, 0.02]  # plateau → one event at its first frame
    o[30] = 0.2  # a dip above the threshold is no closure
    o[36] = 0.01  # outside speech
    speech = np.ones(40, bool)
    speech[34:] = False
    assert closure_events(o, speech, 0.05).tolist() == [5, 13, 20, 23, 26]
    assert closure_events(o, None, 0.05).tolist() == [5, 13, 20, 23, 26, 36]
    o[21] = 0.015  # now the minima are 21 and 23, 2 frames apart: one event at the lowest (23)
    assert closure_events(o, speech, 0.05).tolist() == [5, 13, 23, 26]
    assert closure_events(np.full(10, 0.3), None, 0.05).size == 0


def test_match_events_recall_and_precision() -> None:
    real = [10, 20, 30, 40]
    gen = [11, 22, 35, 41, 60]
    # 10↔11, 20↔22, 40↔41 match; 30 has none within 2; 35 and 60 are false alarms
    assert match_events(real, gen, tolerance=2) == (pytest.approx(0.75), pytest.approx(0.6))
    # one-to-one: a single generated event cannot serve two real ones
    assert match_events([10, 12], [11], tolerance=2) == (pytest.approx(0.5), pytest.approx(1.0))
    r, p = match_events([], [1, 2])
    assert np.isnan(r) and p == 0.0
    assert match_events([5], [5]) == (1.0, 1.0)


def test_blink_rate_on_a_synthetic_eye_curve() -> None:
    fps = 25.0
    eye = np.full(int(60 * fps), 0.30)  # one minute
    eye += RNG.normal(0, 0.01, eye.size)
    for start in range(40, eye.size, 100):  # 15 blinks of 3 frames
        eye[start : start + 3] = [0.12, 0.03, 0.12]
    assert blink_rate(eye, fps) == pytest.approx(15.0)
    eye[1450:1480] = 0.02  # eyes shut for 30 frames (1.2 s): not a blink
    assert blink_rate(eye, fps) == pytest.approx(15.0)
    assert blink_rate(eye[: eye.size // 2], fps) == pytest.approx(16.0)  # 8 blinks in 30 s


# ----------------------------------------------------------------- head motion


def test_jitter_and_speed_on_a_known_ramp() -> None:
    fps = 25.0
    angles = np.zeros((100, 3))
    angles[:, 0] = 0.5 * np.arange(100)  # yaw ramp, 0.5° per frame
    assert angular_jitter(angles) == pytest.approx(0.5)
    assert angular_speed(angles, fps) == pytest.approx(12.5)
    angles[:, 1] = 1.2 * np.arange(100)  # + pitch 1.2° per frame: step 1.3°
    assert angular_jitter(angles) == pytest.approx(1.3)
    shaky = np.zeros((101, 3))
    shaky[1::2, 2] = 2.0  # roll flips 0, 2, 0, 2: 2° every frame, no net motion
    assert angular_jitter(shaky) == pytest.approx(2.0)
    wrap = np.array([[179.0, 0, 0], [-179.0, 0, 0]])
    assert angular_jitter(wrap) == pytest.approx(2.0)


# ----------------------------------------------------------------- identity drift


def _rot_z(deg: float) -> np.ndarray:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def test_identity_drift_ignores_pose_and_finds_a_morph() -> None:
    fps = 25.0
    base = RNG.normal(0, 1, (N_LANDMARKS, 3))
    t = 50
    posed = np.stack([(1.0 + 0.01 * i) * base @ _rot_z(i).T + 0.1 * i for i in range(t)])
    res = identity_drift(posed, fps)
    assert np.allclose(res.curve, 0, atol=1e-9) and abs(res.slope) < 1e-9  # pose and scale are not identity

    direction = RNG.normal(0, 1, (N_LANDMARKS, 3))
    direction -= direction.mean(0)
    morph = np.stack([base + 0.002 * i * direction for i in range(t)])
    res = identity_drift(morph, fps, points=None)
    assert res.curve[0] == pytest.approx(0, abs=1e-12) and np.all(np.diff(res.curve) > 0)
    assert res.slope > 0 and res.final > res.curve[10]

    expressive = np.repeat(base[None], t, 0)
    mouth = [i for i in MOUTH_POINTS if i not in RIGID_POINTS]
    expressive[:, mouth, 1] += np.sin(np.arange(t) / 3.0)[:, None]  # the mouth moves: not identity
    assert np.allclose(identity_drift(expressive, fps).curve, 0, atol=1e-9)


def test_identity_drift_on_embeddings() -> None:
    emb = np.zeros((26, 4))
    emb[:, 0] = np.arange(26) * 0.1  # 0.1 per frame = 2.5 per second
    res = identity_drift(emb, 25.0)
    assert res.slope == pytest.approx(2.5)
    assert res.curve[-1] == pytest.approx(2.5)
