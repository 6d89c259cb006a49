"""Similarity Procrustes and Euler-angle conversions, vectorised over frames."""

from __future__ import annotations

import numpy as np


def similarity_procrustes(
    source: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best similarity transform ``target ≈ scale * R @ source + t`` per frame (Umeyama, 1991).

    Args:
        source: (N, 3) or (T, N, 3) points to be moved (e.g. the canonical face).
        target: (T, N, 3) points to match (e.g. tracked landmarks in pixels).
        weights: optional (N,) non-negative point weights.

    Returns:
        rotation (T, 3, 3) with det +1, scale (T,), translation (T, 3).
    """
    target = np.asarray(target, dtype=np.float64)
    source = np.broadcast_to(np.asarray(source, dtype=np.float64), target.shape)
    n = target.shape[1]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    mu_s = np.einsum("n,tnd->td", w, source)  # (T, 3)
    mu_t = np.einsum("n,tnd->td", w, target)
    s0 = source - mu_s[:, None]
    t0 = target - mu_t[:, None]
    cov = np.einsum("n,tni,tnj->tij", w, t0, s0)  # (T, 3, 3) target-source covariance
    u, sig, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt))  # (T,) reflection guard
    fix = np.ones((len(d), 3))
    fix[:, 2] = d
    rotation = u @ (fix[:, :, None] * vt)
    var_s = np.einsum("n,tnd->t", w, s0**2)
    scale = (sig * fix).sum(-1) / var_s
    translation = mu_t - scale[:, None] * np.einsum("tij,tj->ti", rotation, mu_s)
    return rotation, scale, translation


def euler_to_matrix(angles_deg: np.ndarray) -> np.ndarray:
    """Yaw, pitch, roll in degrees → rotation matrices, ``R = Ry(yaw) @ Rx(pitch) @ Rz(roll)``.

    Axes are the image-like frame (x right, y down, z away from the camera).

    Args:
        angles_deg: (..., 3) yaw, pitch, roll.

    Returns:
        (..., 3, 3) rotation matrices.
    """
    a = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    cy, sy = np.cos(a[..., 0]), np.sin(a[..., 0])
    cp, sp = np.cos(a[..., 1]), np.sin(a[..., 1])
    cr, sr = np.cos(a[..., 2]), np.sin(a[..., 2])
    one, zero = np.ones_like(cy), np.zeros_like(cy)
    ry = np.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).reshape(a.shape[:-1] + (3, 3))
    rx = np.stack([one, zero, zero, zero, cp, -sp, zero, sp, cp], -1).reshape(a.shape[:-1] + (3, 3))
    rz = np.stack([cr, -sr, zero, sr, cr, zero, zero, zero, one], -1).reshape(a.shape[:-1] + (3, 3))
    return ry @ rx @ rz


def matrix_to_euler(rotation: np.ndarray) -> np.ndarray:
    """Inverse of :func:`euler_to_matrix` (pitch kept in (-90°, 90°)).

    Args:
        rotation: (..., 3, 3) rotation matrices.

    Returns:
        (..., 3) yaw, pitch, roll in degrees.
    """
    r = np.asarray(rotation, dtype=np.float64)
    # R = Ry Rx Rz: R[1,2] = -sin(pitch); R[0,2] = sin(yaw)cos(pitch); R[1,0] = cos(pitch)sin(roll)
    pitch = np.arcsin(np.clip(-r[..., 1, 2], -1.0, 1.0))
    yaw = np.arctan2(r[..., 0, 2], r[..., 2, 2])
    roll = np.arctan2(r[..., 1, 0], r[..., 1, 1])
    return np.rad2deg(np.stack([yaw, pitch, roll], -1))
