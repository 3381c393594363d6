"""The world's invariants, asserted after every step when a run asks for it (``--check-invariants``).

* every site's MW are in exactly one state, none negative (``SiteBook.check``);
* each miner's cash moved only by booked flows (``Accounts.check``);
* no MW is leased twice: leases in force fit in the MW converting or in AI service at their site;
* the network hashrate is positive and finite.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel


def check(model: HashpivotModel) -> None:
    """Raise AssertionError naming the first invariant that does not hold."""
    model.sites.check()
    model.accounts.check()
    s = model.sites
    leased = np.zeros(s.n)
    for x in model.leases.leases:
        if x.end_day < 0 or x.end_day > model.day:
            leased[x.site] += x.mw
    held = s.converting_mw[: s.n] + s.ai_mw[: s.n]
    if np.any(leased > held + 1e-6):
        i = int(np.argmax(leased - held))
        raise AssertionError(f"site {i}: {leased[i]:.3f} MW under lease but only {held[i]:.3f} MW converting/AI")
    h = model.recorder.last("network_hashrate_ehs")
    if not (np.isfinite(h) and h > 0):
        raise AssertionError(f"network hashrate {h} is not positive and finite")
