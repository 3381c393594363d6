"""Gaussian-process emulators of the model: one per target, over the parameters in the unit cube.

Each target gets its own scikit-learn ``GaussianProcessRegressor`` fitted on every run so far (all
replications of all points, not their means). The kernel is a constant times an anisotropic Matern 5/2
(one length scale per parameter: a parameter the target does not feel gets a long one) plus a white-noise
term. The white-noise term is the model's own run-to-run spread at one parameter point, learnt from the
replications, so the predictive variance ``predict`` returns is the emulator's uncertainty about the mean
*plus* the spread of a single run -- the right variance to compare one observed history with, since the
observed world is one realisation too.

The fit is deterministic: the optimiser's restarts draw from a fixed ``random_state``, so the same runs give
the same emulator (and the next wave's design) on every machine with the same library versions.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

RESTARTS = 4
"""Optimiser restarts of the kernel hyperparameters (from random starts within their bounds)."""
LENGTH_SCALE_BOUNDS = (0.02, 50.0)
"""Length scales in unit-cube units: 0.02 resolves 2% of a prior range, 50 is 'flat'."""
NOISE_BOUNDS = (1e-8, 1.0)
"""White noise as a share of the target's variance across runs (normalize_y scales it to 1)."""


@dataclass
class Emulators:
    """The fitted emulators, one per target (None where a target had too few finite runs)."""

    gps: list

    def predict(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Predictive mean and variance of one run's outcome, ``(points, targets)`` each.

        A target without an emulator predicts NaN (it then plays no part in the likelihood).
        """
        unit = np.atleast_2d(np.asarray(unit, dtype=float))
        mean = np.full((unit.shape[0], len(self.gps)), np.nan)
        var = np.full_like(mean, np.nan)
        for k, gp in enumerate(self.gps):
            if gp is not None:
                mu, sd = gp.predict(unit, return_std=True)
                mean[:, k], var[:, k] = mu, sd**2
        return mean, var

    def noise_sd(self) -> np.ndarray:
        """The learnt run-to-run spread of each target at one point (the white-noise term), in its units."""
        out = np.full(len(self.gps), np.nan)
        for k, gp in enumerate(self.gps):
            if gp is not None:
                scale = float(np.atleast_1d(getattr(gp, "_y_train_std", 1.0))[0])  # normalize_y's scale
                out[k] = float(np.sqrt(gp.kernel_.k2.noise_level) * scale)
        return out

    def length_scales(self) -> np.ndarray:
        """Fitted length scales, ``(targets, parameters)``, in unit-cube units (NaN without an emulator)."""
        rows = []
        for gp in self.gps:
            rows.append(None if gp is None else np.atleast_1d(gp.kernel_.k1.k2.length_scale))
        width = max((len(r) for r in rows if r is not None), default=0)
        return np.array([r if r is not None else np.full(width, np.nan) for r in rows], dtype=float)


def fit_emulators(unit: np.ndarray, outcomes: np.ndarray, seed: int) -> Emulators:
    """Fit one emulator per target.

    Args:
        unit: ``(runs, parameters)`` design coordinates of every run, in ``[0, 1]``.
        outcomes: ``(runs, targets)`` the runs' target values (NaN where a run gave none).
        seed: Seeds the optimiser's restarts.

    Returns:
        The emulators; a target with fewer than 4 finite runs, or no spread at all, gets none.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    unit = np.asarray(unit, dtype=float)
    dims = unit.shape[1]
    gps = []
    for k in range(outcomes.shape[1]):
        y = np.asarray(outcomes[:, k], dtype=float)
        keep = np.isfinite(y)
        if keep.sum() < 4 or np.ptp(y[keep]) == 0:
            gps.append(None)
            continue
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
            length_scale=np.full(dims, 0.5), length_scale_bounds=LENGTH_SCALE_BOUNDS, nu=2.5
        ) + WhiteKernel(0.05, NOISE_BOUNDS)
        gp = GaussianProcessRegressor(
            kernel=kernel, normalize_y=True, n_restarts_optimizer=RESTARTS, random_state=seed + k
        )
        with warnings.catch_warnings():
            # A length scale at its upper bound is an answer (the target does not feel that parameter), not a fault.
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(unit[keep], y[keep])
        gps.append(gp)
    return Emulators(gps)
