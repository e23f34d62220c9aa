"""Interacting multiple model filter, batched over tracks and models.

One call runs one IMM cycle for K tracks at once: mixing, prediction by every model,
an optional position update, the mode probabilities and the combined estimate. Arrays are
(K, M, 4) states, (K, M, 4, 4) covariances and (K, M) mode probabilities: a few numpy calls
per cycle whatever K is, and never a Python loop over tracks.

The update takes a measurement matrix per track, ``H = [I, -lag I]``: a measurement taken
``lag`` seconds before the track's time (a radar plot early in a scan, a citizen's sighting
minutes late) is applied to the present state through the nearly-constant-velocity
retrodiction ``x(t - lag) = x(t) - lag v(t) - w``, the process noise ``w`` over the lag
added to its covariance (Bar-Shalom's one-step out-of-sequence update with the correlation
of ``w`` and the estimate neglected). The measurement is used, not dropped, and the present
state's own position-velocity correlation is respected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dronewarn.track.motion import process_noise, switching, transition

FloatArray = npt.NDArray[np.float64]
_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True)
class ModelSet:
    """The IMM's models: turn rates (rad/s; 0 = nearly-constant velocity), noise, priors."""

    omega_radps: FloatArray
    accel_sigma_mps2: FloatArray
    prior: FloatArray
    sojourn_s: float

    @classmethod
    def cv_and_turns(
        cls,
        turn_rate_degps: float,
        cv_accel_sigma_mps2: float,
        turn_accel_sigma_mps2: float,
        cv_prior: float,
        sojourn_s: float,
    ) -> ModelSet:
        """Nearly-constant velocity plus a left and a right coordinated turn."""
        w = np.radians(turn_rate_degps)
        side = (1.0 - cv_prior) / 2.0
        return cls(
            omega_radps=np.array([0.0, w, -w]),
            accel_sigma_mps2=np.array(
                [cv_accel_sigma_mps2, turn_accel_sigma_mps2, turn_accel_sigma_mps2]
            ),
            prior=np.array([cv_prior, side, side]),
            sojourn_s=sojourn_s,
        )

    def __len__(self) -> int:
        return len(self.omega_radps)


@dataclass
class ImmResult:
    x: FloatArray  # (K, M, 4)
    p: FloatArray  # (K, M, 4, 4)
    mu: FloatArray  # (K, M)


def cycle(
    x: FloatArray,
    p: FloatArray,
    mu: FloatArray,
    dt: FloatArray,
    models: ModelSet,
    z: FloatArray,
    r: FloatArray,
    lag: FloatArray,
) -> ImmResult:
    """Mix, predict by ``dt`` and update with ``z`` (K, 2), ``r`` (K, 2, 2) taken ``lag`` s ago."""
    pi = switching(dt, len(models), models.sojourn_s)  # (K, i, j)
    c = np.einsum("ki,kij->kj", mu, pi)  # predicted mode probabilities
    w = pi * mu[:, :, None] / np.maximum(c[:, None, :], 1e-300)  # w[k, i, j] = P(i | j)
    x0 = np.einsum("kij,kia->kja", w, x)
    dx = x[:, :, None, :] - x0[:, None, :, :]  # (K, i, j, 4)
    p0 = np.einsum("kij,kiab->kjab", w, p) + np.einsum("kij,kija,kijb->kjab", w, dx, dx)
    f = transition(dt, models.omega_radps)
    xp = np.einsum("kmab,kmb->kma", f, x0)
    pp = f @ p0 @ f.transpose(0, 1, 3, 2) + process_noise(dt, models.accel_sigma_mps2)
    # H = [I, -lag I]; S = H P H^T + R (+ the process noise over the lag, CV)
    lg = lag[:, None]
    hx = xp[..., :2] - lg[..., None] * xp[..., 2:]
    ph = pp[..., :2] - lg[..., None, None] * pp[..., 2:]  # P H^T: (K, M, 4, 2)
    s = ph[..., :2, :] - lg[..., None, None] * ph[..., 2:, :]
    q_lag = models.accel_sigma_mps2[None, :] ** 2 * (lag**3)[:, None] / 3.0
    s = s + r[:, None] + q_lag[..., None, None] * np.eye(2)
    a, b, d = s[..., 0, 0], s[..., 0, 1], s[..., 1, 1]
    det = a * d - b * b
    s_inv = np.empty_like(s)
    s_inv[..., 0, 0] = d / det
    s_inv[..., 1, 1] = a / det
    s_inv[..., 0, 1] = s_inv[..., 1, 0] = -b / det
    y = z[:, None, :] - hx
    gain = ph @ s_inv  # (K, M, 4, 2)
    xn = xp + np.einsum("kmab,kmb->kma", gain, y)
    pn = pp - gain @ ph.transpose(0, 1, 3, 2)
    pn = 0.5 * (pn + pn.transpose(0, 1, 3, 2))
    d2 = np.einsum("kma,kmab,kmb->km", y, s_inv, y)
    loglik = -0.5 * (d2 + np.log(np.maximum(det, 1e-300))) - _LOG_2PI
    logw = loglik + np.log(np.maximum(c, 1e-300))
    logw -= logw.max(axis=1, keepdims=True)
    mu_new = np.exp(logw)
    mu_new /= mu_new.sum(axis=1, keepdims=True)
    return ImmResult(xn, pn, mu_new)


def cycle_combined(
    x: FloatArray,
    p: FloatArray,
    mu: FloatArray,
    dt: FloatArray,
    models: ModelSet,
    z: FloatArray,
    r: FloatArray,
    lag: FloatArray,
) -> tuple[ImmResult, FloatArray, FloatArray]:
    """``cycle`` then ``combine``, compiled (``imm_kernel``): what the tracker runs."""
    from dronewarn.track.imm_kernel import cycle_kernel

    xo, po, muo, xc, pc = cycle_kernel(
        np.ascontiguousarray(x),
        np.ascontiguousarray(p),
        np.ascontiguousarray(mu),
        np.ascontiguousarray(dt, dtype=np.float64),
        models.omega_radps,
        models.accel_sigma_mps2,
        float(models.sojourn_s),
        np.ascontiguousarray(z),
        np.ascontiguousarray(r),
        np.ascontiguousarray(lag, dtype=np.float64),
    )
    return ImmResult(xo, po, muo), xc, pc


def combine(x: FloatArray, p: FloatArray, mu: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Moment-matched single Gaussian of each track's mixture: (K, 4), (K, 4, 4)."""
    xc = np.einsum("km,kma->ka", mu, x)
    dx = x - xc[:, None, :]
    pc = np.einsum("km,kmab->kab", mu, p) + np.einsum("km,kma,kmb->kab", mu, dx, dx)
    return xc, pc
