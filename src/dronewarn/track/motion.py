"""Motion models of the IMM, batched: nearly-constant velocity and coordinated turns.

State per model: (east_m, north_m, vel_east_mps, vel_north_mps). A coordinated turn at a
*fixed* rate ``omega`` (rad/s, positive = counter-clockwise, i.e. a left turn seen from above)
is linear in this state, so all models share one state vector and one Kalman algebra; the IMM
runs CV with a left and a right turn model (Bar-Shalom, Li and Kirubarajan, *Estimation with
Applications to Tracking and Navigation*, 2001, sections 11.6-11.7). Process noise is the
continuous white-noise acceleration model for every model (each with its own intensity).

Mode switching is a continuous-time Markov chain (each model left at rate ``1/sojourn_s``, to
the others equally), so the transition matrix follows from any time step:
``P_ii(dt) = 1/M + (1 - 1/M) exp(-M/(M-1) dt / sojourn_s)``. Sensors report at 1-10 s and
citizens at random: a per-scan matrix would not fit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def transition(dt: FloatArray, omega: FloatArray) -> FloatArray:
    """F for each (time step, model): dt (K,), omega (M,) rad/s -> (K, M, 4, 4)."""
    t = dt[:, None]
    w = omega[None, :]
    wt = w * t
    small = np.abs(w) < 1e-9
    safe_w = np.where(small, 1.0, w)
    s = np.where(small, t, np.sin(wt) / safe_w)  # sin(wt)/w -> t
    c = np.where(small, 0.0, (1.0 - np.cos(wt)) / safe_w)  # (1-cos wt)/w -> 0
    cos, sin = np.cos(wt), np.sin(wt)
    f = np.zeros((len(dt), len(omega), 4, 4))
    f[..., 0, 0] = f[..., 1, 1] = 1.0
    f[..., 0, 2] = s
    f[..., 0, 3] = -c
    f[..., 1, 2] = c
    f[..., 1, 3] = s
    f[..., 2, 2] = cos
    f[..., 2, 3] = -sin
    f[..., 3, 2] = sin
    f[..., 3, 3] = cos
    return f


def process_noise(dt: FloatArray, accel_sigma_mps2: FloatArray) -> FloatArray:
    """Q of white-noise acceleration for each (|dt|, model intensity) -> (K, M, 4, 4)."""
    t = np.abs(dt)[:, None]
    q = (accel_sigma_mps2**2)[None, :]
    t1, t2, t3 = t * q, t * t * q / 2.0, t**3 * q / 3.0
    out = np.zeros((len(dt), len(accel_sigma_mps2), 4, 4))
    out[..., 0, 0] = out[..., 1, 1] = t3
    out[..., 2, 2] = out[..., 3, 3] = t1
    out[..., 0, 2] = out[..., 2, 0] = out[..., 1, 3] = out[..., 3, 1] = t2
    return out


def switching(dt: FloatArray, n_models: int, sojourn_s: float) -> FloatArray:
    """Mode transition matrices Pi[k, i, j] = P(model j at t+dt | model i at t) -> (K, M, M)."""
    m = n_models
    stay = 1.0 / m + (1.0 - 1.0 / m) * np.exp(-m / (m - 1) * np.abs(dt) / sojourn_s)
    move = (1.0 - stay) / (m - 1)
    out = np.broadcast_to(move[:, None, None], (len(dt), m, m)).copy()
    idx = np.arange(m)
    out[:, idx, idx] = stay[:, None]
    return out
