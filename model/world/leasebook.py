"""The book of signed AI contracts, with their daily cash flows computed over arrays.

Contracts are ``Lease`` records (model/markets/leasing.py); the book keeps parallel arrays, rebuilt when a
lease is signed or starts, so that each day's rent, operating cost and late penalties for every miner are a
few numpy operations rather than a loop over contracts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hashpivot.model.markets.leasing import ContractKind, Lease


@dataclass
class LeaseBook:
    """All leases, and per-miner daily cash flows from them."""

    n_miners: int
    index_of: dict[int, int]  # miner unique_id -> dense account index
    leases: list[Lease] = field(default_factory=list)
    _arrays: dict | None = None
    _by_miner: dict[int, list[Lease]] = field(default_factory=dict)  # unique_id -> its leases, in signing order
    _summary: tuple = (-1, ())  # (leases signed, ``signed_summary``)
    version: int = 0  # bumped when contracts change landlord

    def add_miner(self, unique_id: int, idx: int) -> None:
        """A firm entering: its leases will book to account ``idx``."""
        self.index_of[unique_id] = idx
        self.n_miners += 1
        self._arrays = None

    def add(self, lease: Lease) -> None:
        """Record a signed lease."""
        self.leases.append(lease)
        self._by_miner.setdefault(lease.miner, []).append(lease)
        self._arrays = None

    def transfer(self, old_uid: int, new_uid: int) -> None:
        """A landlord's contracts pass to another miner (a takeover or an estate sale): rent now books to it."""
        moved = self._by_miner.pop(old_uid, [])
        for lease in moved:
            lease.miner = new_uid
        if moved:
            self._by_miner[new_uid] = sorted(self._by_miner.get(new_uid, []) + moved, key=lambda x: x.id)
            self._arrays = None
            self.version += 1

    def changed(self) -> None:
        """Invalidate the cached arrays after a lease's dates changed."""
        self._arrays = None

    def _build(self) -> dict:
        ls = self.leases
        return {
            "miner": np.array([self.index_of[x.miner] for x in ls], dtype=np.int64),
            "hyperscaler": np.array([x.hyperscaler for x in ls], dtype=np.int64),
            "mw": np.array([x.mw for x in ls]),
            "rent_mw_day": np.array([x.rent_usd_per_kw_month * 12_000.0 / 365.0 for x in ls]),
            "escalator": np.array([x.escalator_per_year for x in ls]),
            "margin": np.array([x.margin for x in ls]),
            "prepaid_share": np.array([x.prepayment_usd / max(x.total_contract_value_usd(), 1e-9) for x in ls]),
            "start": np.array([x.start_day for x in ls], dtype=np.int64),
            "end": np.array([x.end_day for x in ls], dtype=np.int64),
            "promised": np.array([x.promised_day for x in ls], dtype=np.int64),
            "penalty": np.array([x.late_penalty_usd_per_day for x in ls]),
        }

    def mw_by_hyperscaler(self, uids, day: int) -> tuple[np.ndarray, np.ndarray]:
        """MW signed with each of ``uids`` and not ended, and of them in service on ``day`` (two arrays)."""
        uids = np.asarray(uids, dtype=np.int64)
        if not self.leases:
            return np.zeros(uids.size), np.zeros(uids.size)
        a = self._arrays = self._arrays or self._build()
        signed = (a["end"] < 0) | (a["end"] > day)
        live = signed & (a["start"] >= 0) & (a["start"] <= day)
        which = a["hyperscaler"][:, None] == uids[None, :]
        return (a["mw"] * signed) @ which, (a["mw"] * live) @ which

    def daily_flows(self, day: int) -> dict[str, np.ndarray]:
        """Per-miner gross revenue, cash received (net of prepaid share), opex and late penalties for ``day``.

        Part of the rent was prepaid at signing; that share of each day's rent is not received again.
        """
        z = np.zeros(self.n_miners)
        if not self.leases:
            return {"revenue": z, "cash_in": z.copy(), "opex": z.copy(), "penalty": z.copy(), "mw_active": 0.0}
        a = self._arrays = self._arrays or self._build()
        active = (a["start"] >= 0) & (day >= a["start"]) & (day < a["end"])
        years = np.where(active, (day - a["start"]) // 365, 0)
        gross = np.where(active, a["rent_mw_day"] * a["mw"] * (1.0 + a["escalator"]) ** years, 0.0)
        late = (a["start"] < 0) & (day > a["promised"])
        per = lambda w: np.bincount(a["miner"], weights=w, minlength=self.n_miners)  # noqa: E731
        return {
            "revenue": per(gross),
            "cash_in": per(gross * (1.0 - a["prepaid_share"])),
            "opex": per(gross * (1.0 - a["margin"])),
            "penalty": per(np.where(late, a["penalty"], 0.0)),
            "mw_active": float(a["mw"][active].sum()),
        }

    def signed_summary(self) -> tuple[int, float, float, float]:
        """Leases signed, their MW, mean colocation rent and mean GPU-cloud price (NaN if none of a kind).

        Computed again only when a lease is signed: leases are only appended, and their MW, kind and rent
        never change (the recorder asks every day).
        """
        ls = self.leases
        if self._summary[0] != len(ls):
            colo = [x.rent_usd_per_kw_month for x in ls if x.kind == ContractKind.COLOCATION]
            gpu = [x.rent_usd_per_kw_month for x in ls if x.kind == ContractKind.GPU_CLOUD]
            self._summary = (
                len(ls),
                (
                    len(ls),
                    float(sum(x.mw for x in ls)),
                    float(np.mean(colo)) if colo else float("nan"),
                    float(np.mean(gpu)) if gpu else float("nan"),
                ),
            )
        return self._summary[1]

    def mw_for_hyperscaler(self, unique_id: int, day: int) -> float:
        """MW signed with a hyperscaler and not yet ended."""
        return float(
            sum(x.mw for x in self.leases if x.hyperscaler == unique_id and (x.end_day < 0 or x.end_day > day))
        )

    def for_miner(self, unique_id: int) -> list[Lease]:
        """Leases a miner signed (every firm's enterprise value asks, each decision day: kept by miner)."""
        return list(self._by_miner.get(unique_id, ()))
