"""History matching with emulators, then the posterior on the emulators: the estimation method, as pure functions.

The method (Vernon, Goldstein & Bower 2010, Bayesian Analysis 5(4); Andrianakis et al. 2015, PLoS Comput Biol
11(1) e1003968, for an individual-based model) in three steps, all in the unit cube of the prior ranges:

1. **Waves.** Run the model at a space-filling design (a Latin hypercube in wave 1), several seeds per point;
   fit one emulator per target (``emulator.py``). A point is *implausible* when for some target the observed
   value is more than ``cutoff`` standard deviations from the emulated one::

       I_k(x) = |z_k - E[f_k(x)]| / sqrt(sd_k^2 + Var[f_k(x)])      ruled out if max_k I_k(x) > cutoff

   (``Var`` is the emulator's uncertainty plus one run's spread). 3 is Pukelsheim's three-sigma rule, the
   usual choice. The next wave's points are picked from the points not ruled out, spread as far apart as
   possible, so runs are spent where the data allow the parameters to be.
2. **Posterior.** With the prior uniform on the ranges and independent Gaussian errors, the posterior density at
   ``x`` is proportional to ``prod_k N(z_k; E[f_k(x)], sd_k^2 + Var[f_k(x)])``: observation error, the model's
   own noise and the emulator's uncertainty all widen it. It is evaluated on a scrambled Sobol sample of the
   prior (importance sampling with the prior as proposal); the effective sample size says whether the draws
   resolve it.
3. **Summaries.** Weighted medians and 5-95% quantiles (the 90% credible interval) per parameter, the weighted
   correlations between parameters (equifinality: two parameters that trade off show a strong correlation),
   and the *posterior contraction* ``1 - Var_post / Var_prior`` (Betancourt 2018, arXiv 1803.08393): near 0 the
   data say nothing about a parameter; near 1 they pin it down.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IDENTIFIED_CONTRACTION = 0.5
"""A parameter counts as identified when the data remove at least half of its prior variance."""
PRIOR_UNIT_VARIANCE = 1.0 / 12.0
"""Variance of a uniform prior on [0, 1]."""


@dataclass(frozen=True)
class Observations:
    """The targets' observed values and standard errors, in file order."""

    names: tuple[str, ...]
    values: np.ndarray
    sd: np.ndarray


def implausibility(mean: np.ndarray, var: np.ndarray, obs: Observations) -> np.ndarray:
    """``I_k(x)`` for every point and target, ``(points, targets)``; NaN where a target has no emulator."""
    return np.abs(obs.values - mean) / np.sqrt(obs.sd**2 + var)


def max_implausibility(imp: np.ndarray) -> np.ndarray:
    """The largest implausibility over the emulated targets of each point (targets without one are skipped)."""
    filled = np.where(np.isfinite(imp), imp, -np.inf)
    return filled.max(axis=1)


def log_likelihood(mean: np.ndarray, var: np.ndarray, obs: Observations) -> np.ndarray:
    """Gaussian log-likelihood of the observations at each point (targets without an emulator left out)."""
    total_var = obs.sd**2 + var
    terms = -0.5 * ((obs.values - mean) ** 2 / total_var + np.log(2 * np.pi * total_var))
    return np.where(np.isfinite(terms), terms, 0.0).sum(axis=1)


def normalised_weights(log_lik: np.ndarray) -> np.ndarray:
    """Importance weights from log-likelihoods (uniform prior proposal), summing to 1."""
    shifted = np.exp(log_lik - np.max(log_lik))
    return shifted / shifted.sum()


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalised weights."""
    return float(1.0 / np.sum(weights**2))


def spread_out(candidates: np.ndarray, count: int, start: np.ndarray | None = None) -> np.ndarray:
    """Pick ``count`` rows of ``candidates`` greedily, each farthest from those picked (and from ``start``).

    Deterministic (the first pick is the candidate farthest from ``start``, or the first candidate), so a wave's
    design follows from the runs before it.

    Returns:
        Indices into ``candidates``.
    """
    count = min(count, len(candidates))
    nearest = np.full(len(candidates), np.inf)
    if start is not None and len(start):
        for row in np.atleast_2d(start):
            nearest = np.minimum(nearest, np.sum((candidates - row) ** 2, axis=1))
    picked: list[int] = []
    for _ in range(count):
        i = int(np.argmax(nearest)) if np.isfinite(nearest).any() else 0
        picked.append(i)
        nearest = np.minimum(nearest, np.sum((candidates - candidates[i]) ** 2, axis=1))
        nearest[i] = -np.inf
    return np.array(picked, dtype=int)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q``-quantile of weighted draws (the inverse of the weighted empirical CDF, interpolated)."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cdf = np.cumsum(w) - 0.5 * w
    cdf /= w.sum()
    return float(np.interp(q, cdf, v))


def weighted_correlation(draws: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted correlation matrix of the draws' columns (NaN for a column without spread)."""
    mean = weights @ draws
    centred = draws - mean
    cov = (centred * weights[:, None]).T @ centred
    sd = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        return cov / np.outer(sd, sd)


@dataclass(frozen=True)
class Marginal:
    """The posterior of one parameter, in the unit cube of its prior range."""

    median: float
    low90: float
    high90: float
    mean: float
    contraction: float

    @property
    def identified(self) -> bool:
        """Whether the data remove at least ``IDENTIFIED_CONTRACTION`` of the prior variance."""
        return self.contraction >= IDENTIFIED_CONTRACTION


def marginals(draws: np.ndarray, weights: np.ndarray) -> list[Marginal]:
    """Median, 90% interval, mean and contraction of each column of weighted unit-cube draws."""
    out = []
    for j in range(draws.shape[1]):
        x = draws[:, j]
        mean = float(weights @ x)
        var = float(weights @ (x - mean) ** 2)
        out.append(
            Marginal(
                median=weighted_quantile(x, weights, 0.5),
                low90=weighted_quantile(x, weights, 0.05),
                high90=weighted_quantile(x, weights, 0.95),
                mean=mean,
                contraction=1.0 - var / PRIOR_UNIT_VARIANCE,
            )
        )
    return out
