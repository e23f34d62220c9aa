"""Each track's height: a separate nearly-constant-velocity filter on (height_m, climb_mps).

Most of a drone's reports carry no height (2-D radars, acoustic nodes, sightings), so height
is decoupled from the horizontal IMM: it would otherwise need a 6-D state for all tracks and
the horizontal filter gains nothing from it. Height comes from 3-D radar plots (elevation),
positions with a vertical sigma (ADS-B, SAPIENT, CAT062) and is NaN until one arrives.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
CLIMB_SIGMA_MPS = 10.0
"""Prior climb-rate sigma of a fresh height estimate."""


def update_heights(
    h: FloatArray,
    ph: FloatArray,
    th: FloatArray,
    z: FloatArray,
    sigma: FloatArray,
    tz: FloatArray,
    accel_sigma_mps2: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fuse height measurements ``z`` +- ``sigma`` at ``tz`` into (height, climb) states.

    ``h`` (K, 2), ``ph`` (K, 2, 2) at times ``th``; a NaN height starts from the measurement.
    A measurement older than the state updates it without prediction (its process noise over
    the lag added), as in the horizontal filter.
    """
    fresh = np.isnan(h[:, 0])
    h, ph, th = h.copy(), ph.copy(), th.copy()
    dt = np.maximum(tz - th, 0.0)
    lag = np.maximum(th - tz, 0.0)
    q = accel_sigma_mps2**2
    # predict (nearly-constant climb)
    h[:, 0] += h[:, 1] * dt
    p00 = ph[:, 0, 0] + dt * (2.0 * ph[:, 0, 1] + dt * ph[:, 1, 1]) + q * dt**3 / 3.0
    p01 = ph[:, 0, 1] + dt * ph[:, 1, 1] + q * dt**2 / 2.0
    p11 = ph[:, 1, 1] + q * dt
    r = sigma**2 + q * lag**3 / 3.0
    s = p00 + r
    k0, k1 = p00 / s, p01 / s
    y = z - h[:, 0]
    h[:, 0] += k0 * y
    h[:, 1] += k1 * y
    ph[:, 0, 0] = (1.0 - k0) * p00
    ph[:, 0, 1] = ph[:, 1, 0] = (1.0 - k0) * p01
    ph[:, 1, 1] = p11 - k1 * p01
    th = np.maximum(th, tz)
    if fresh.any():
        h[fresh, 0], h[fresh, 1] = z[fresh], 0.0
        ph[fresh] = 0.0
        ph[fresh, 0, 0] = sigma[fresh] ** 2
        ph[fresh, 1, 1] = CLIMB_SIGMA_MPS**2
        th[fresh] = tz[fresh]
    return h, ph, th
