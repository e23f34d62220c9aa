"""Batched nearly-constant-velocity Kalman filter maths in the plane.

State per track: (east_m, north_m, vel_east_mps, vel_north_mps). Every function works on
arrays of tracks at once (leading axis N) with per-track time steps, so a whole batch is a
handful of numpy calls and never a Python loop over tracks.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

_DIAG = np.arange(4)
_DIAG.setflags(write=False)
H = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
H.setflags(write=False)


def transition(dt: FloatArray) -> FloatArray:
    """F for each dt (N x 4 x 4)."""
    f = np.zeros((len(dt), 4, 4))
    f[:, _DIAG, _DIAG] = 1.0
    f[:, 0, 2] = dt
    f[:, 1, 3] = dt
    return f


def process_noise(dt: FloatArray, accel_sigma_mps2: float) -> FloatArray:
    """Q of the continuous white-noise acceleration model for each |dt| (N x 4 x 4)."""
    t = np.abs(dt)
    q = accel_sigma_mps2**2
    t2, t3 = t * t * q / 2.0, t**3 * q / 3.0
    out = np.zeros((len(dt), 4, 4))
    out[:, 0, 0] = out[:, 1, 1] = t3
    out[:, 2, 2] = out[:, 3, 3] = t * q
    out[:, 0, 2] = out[:, 2, 0] = out[:, 1, 3] = out[:, 3, 1] = t2
    return out


def predict(
    x: FloatArray, p: FloatArray, dt: FloatArray, accel_sigma_mps2: float
) -> tuple[FloatArray, FloatArray]:
    """x(t + dt), P(t + dt) for each track."""
    f = transition(dt)
    x_new = np.einsum("nij,nj->ni", f, x)
    p_new = f @ p @ f.transpose(0, 2, 1) + process_noise(dt, accel_sigma_mps2)
    return x_new, p_new


def inv2(m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Inverse and determinant of 2x2 matrices (..., 2, 2) in closed form."""
    a, b, c, d = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
    det = a * d - b * c
    inv = np.empty_like(m)
    inv[..., 0, 0] = d / det
    inv[..., 0, 1] = -b / det
    inv[..., 1, 0] = -c / det
    inv[..., 1, 1] = a / det
    return inv, det


def update(
    x: FloatArray, p: FloatArray, z: FloatArray, r: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Kalman update of each track with its position measurement (Joseph form)."""
    y = z - x[:, :2]
    s = p[:, :2, :2] + r
    s_inv, _ = inv2(s)
    k = p[:, :, :2] @ s_inv  # N x 4 x 2
    x_new = x + np.einsum("nij,nj->ni", k, y)
    i_kh = np.eye(4) - k @ H
    p_new = i_kh @ p @ i_kh.transpose(0, 2, 1) + k @ r @ k.transpose(0, 2, 1)
    return x_new, p_new
