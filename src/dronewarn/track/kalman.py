"""Nearly-constant-velocity prediction of single Gaussian states, batched.

State per track: (east_m, north_m, vel_east_mps, vel_north_mps). Used to predict the
tracker's combined (moment-matched) estimates to an output time; the IMM's own cycle is in
``imm``. The model is ``motion``'s with a zero turn rate.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dronewarn.track.motion import process_noise, transition

FloatArray = npt.NDArray[np.float64]
_CV = np.zeros(1)
_CV.setflags(write=False)


def predict(
    x: FloatArray, p: FloatArray, dt: FloatArray, accel_sigma_mps2: float
) -> tuple[FloatArray, FloatArray]:
    """x(t + dt), P(t + dt) for each track."""
    f = transition(dt, _CV)[:, 0]
    q = process_noise(dt, np.array([accel_sigma_mps2]))[:, 0]
    x_new = np.einsum("nij,nj->ni", f, x)
    p_new = f @ p @ f.transpose(0, 2, 1) + q
    return x_new, p_new
