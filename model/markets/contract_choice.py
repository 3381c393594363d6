"""Which AI contract a hyperscaler asks for: GPU cloud or colocation, by comparing what each costs it.

Both routes end with the same GPUs running at a powered site; they differ in who finances what
(economics.md, "Two AI business models"):

* **colocation**: it rents a converted shell from the landlord (the shell annuitised at the landlord's
  contracted-rent rate over the colocation term) and buys and runs the GPUs itself, financed at its own rate;
* **GPU cloud**: the landlord buys the GPUs and sells compute; the price recovers shell and GPUs, net of
  the GPUs' residual value, at the landlord's GPU-cloud rate over the (shorter) GPU-cloud term.

Each is grossed up by its operating share (``margin``), as the reservation rents in leasing.py are. At the
default terms GPU cloud costs ~2 M$ per MW-year more (the landlord's higher rate on ~29 M$ of GPUs), so a
cost-minimising buyer with nothing else to weigh would never choose it, yet one of the ~5-7 landlord deals of
2024-25 is GPU cloud (IREN-Microsoft, seed). What tips a buyer the other way -- a capex budget that is
rationed, GPUs kept off its balance sheet, the landlord's time to market -- is not observed; it is modelled as
a random-utility term (McFadden 1974): each RFP's kind is a logit choice on the cost gap, with the logit's
scale set so that the choice reproduces the observed share (``ai.gpu_cloud_share``) *at the reference
terms*. The scale is then fixed: when the scenario changes GPU capex, rates or terms, the cost gap moves and
so does the share (cheaper GPUs shrink the landlord's financing premium and raise it).

Pure: every input is passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hashpivot.model.markets.leasing import effective_capex_usd_per_mw
from hashpivot.model.world.finance import crf

MW_YEAR_PER_KW_MONTH = 12_000.0  # 1 USD per kW-month = 12,000 USD per MW-year


@dataclass(frozen=True)
class RouteCosts:
    """What a MW of AI capacity costs the buyer a year by each route, USD per MW-year."""

    colocation_usd_per_mw_year: float
    gpu_cloud_usd_per_mw_year: float

    @property
    def gpu_cloud_premium_usd_per_mw_year(self) -> float:
        """How much more GPU cloud costs than colocation with its own GPUs (negative when it is cheaper)."""
        return self.gpu_cloud_usd_per_mw_year - self.colocation_usd_per_mw_year


def route_costs(colocation, gpu_cloud, rate_colocation: float, rate_gpu_cloud: float, rate_own: float) -> RouteCosts:
    """The two routes' yearly costs per MW of IT load.

    Args:
        colocation: the colocation ``ContractTerms`` (the shell lease).
        gpu_cloud: the GPU-cloud ``ContractTerms`` (its GPUs are the ones a colocation tenant buys itself).
        rate_colocation: the landlord's rate on contracted rent (``finance.rate_contracted``).
        rate_gpu_cloud: the landlord's rate on GPU-cloud revenue (``finance.rate_gpu_cloud``).
        rate_own: the buyer's own cost of capital (``ai.rate_hyperscaler``).
    """
    shell = colocation.conversion_capex_usd_per_mw * crf(rate_colocation, colocation.term_years)
    own_gpus = effective_capex_usd_per_mw(gpu_cloud, rate_own, conversion=False) * crf(rate_own, gpu_cloud.term_years)
    colo = shell / max(colocation.margin, 1e-6) + own_gpus / max(gpu_cloud.margin, 1e-6)
    landlord = effective_capex_usd_per_mw(gpu_cloud, rate_gpu_cloud) * crf(rate_gpu_cloud, gpu_cloud.term_years)
    return RouteCosts(float(colo), float(landlord / max(gpu_cloud.margin, 1e-6)))


def logit_scale_usd_per_mw_year(reference_premium_usd_per_mw_year: float, reference_share: float) -> float:
    """The random-utility scale at which the logit share at the reference cost gap equals ``reference_share``.

    ``share = 1 / (1 + exp(premium / scale))``, so ``scale = premium / ln((1 - share) / share)``. Only for an
    interior share and a gap that points the same way as the share (a costlier GPU cloud chosen less than
    half the time, or a cheaper one more); otherwise there is no such scale and the choice is by cost alone
    (0).
    """
    if not 0.0 < reference_share < 1.0:
        return 0.0
    log_odds = math.log((1.0 - reference_share) / reference_share)
    if log_odds == 0.0:
        return math.inf  # a coin flip at any gap
    scale = reference_premium_usd_per_mw_year / log_odds
    return scale if scale > 0 else 0.0


def gpu_cloud_probability(
    premium_usd_per_mw_year: float, scale_usd_per_mw_year: float, reference_share: float
) -> float:
    """The chance an RFP asks for GPU cloud when it costs ``premium`` more per MW-year than colocation.

    A reference share of 0 or 1 is a fixed choice (no buyer, or every buyer, ever prefers GPU cloud); a scale
    of 0 is the cost-minimising choice; an infinite one the reference coin flip.
    """
    if reference_share <= 0.0 or reference_share >= 1.0:
        return float(reference_share >= 1.0)
    if math.isinf(scale_usd_per_mw_year):
        return reference_share
    if scale_usd_per_mw_year <= 0.0:
        return float(premium_usd_per_mw_year < 0.0)
    z = premium_usd_per_mw_year / scale_usd_per_mw_year
    return 1.0 / (1.0 + math.exp(min(z, 700.0)))
