"""The used-ASIC market, as a service: machines listed, buyers' bids collected, trades booked, relocation.

Machines that exiters, upgraders, converting sites or banned regions give up are listed here instead of
leaving the network. Every week each miner with energised room (idle MW at a site where mining is allowed)
bids for the lots what they are worth to it there (``Miner.used_machine_bids``); the mechanism
(model/markets/machines.py) clears each lot at the marginal buyer's value. Sold machines change owner and
site -- and region, so a ban relocates hashrate -- and come back online after the move. Machines nobody buys
for ``mining.used_listing_days`` are recycled at ``mining.scrap_usd_per_th``: salvage value is an outcome.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.markets.machines import UsedLot, clear_used_machines, th_per_mw
from hashpivot.model.world.sites import Owner

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel

CLEARING_INTERVAL_DAYS = 7
PRICE_WINDOW_DAYS = 30  # the used-price index is the TH-weighted mean of the last month's trades
MW_TOLERANCE = 1e-9
LOTS_PER_BUYER = 60
SAME_REGION_MOVE_SHARE = 0.25  # a move within a region costs a quarter of an inter-regional one (no freight)


@dataclass(frozen=True)
class MachineSale:
    """One used-machine trade: who sold to whom, how much, at what price, and where the machines went."""

    day: int
    seller: int  # miner index
    buyer: int  # miner index
    mw: float
    th: float
    j_per_th: float
    usd_per_th: float
    from_region: str
    to_region: str


@dataclass(frozen=True)
class ShownLots:
    """The lots shown to buyers in one clearing, as arrays (built once, read by every buyer)."""

    batch: np.ndarray
    seller: np.ndarray
    mw: np.ndarray
    j_per_th: np.ndarray
    reserve_usd_per_th: np.ndarray
    life_years: np.ndarray  # remaining life of the machines
    region: np.ndarray  # where they are now

    @classmethod
    def of(cls, model: HashpivotModel, lots: list[UsedLot]) -> ShownLots:
        """The arrays of ``lots`` today."""
        f, life = model.fleet, model.config.mining.machine_life_years
        batch = np.array([x.lot for x in lots])
        return cls(
            batch=batch,
            seller=np.array([x.seller for x in lots]),
            mw=np.array([x.mw for x in lots]),
            j_per_th=np.array([x.j_per_th for x in lots]),
            reserve_usd_per_th=np.array([x.reserve_usd_per_th for x in lots]),
            life_years=np.maximum(life - f.age_years(batch, model.day), 0.5),
            region=model.sites.region[f.site[batch]],
        )


class MachineMarket:
    """Listings, weekly clearing, transfers and recycling of used machines (``model.machine_market``)."""

    def __init__(self, model: HashpivotModel):
        self.model = model
        self.trades: deque[tuple[int, float, float]] = deque()  # (day, TH, USD/TH) of the last month
        self.th_sold_total = 0.0
        self.mw_relocated_total = 0.0
        self.th_scrapped_total = 0.0
        self.sales: list[MachineSale] = []
        self._price: tuple[int, float] | None = None  # (day, used price): asked ~100k times a run, trades change weekly

    # --- listing ----------------------------------------------------------------------------------------------
    def list_batch(self, i: int, mw: float | None = None, reserve_usd_per_th: float | None = None) -> int:
        """Offer a batch (or ``mw`` of it) second-hand; return the listed batch.

        Without a reserve the machines are given up: taken off their site at once and offered at their
        recycling value. With one, the owner keeps running them until a buyer pays at least that (a voluntary
        sale at what they are worth to it).
        """
        m = self.model
        f = m.fleet
        if mw is not None and mw < f.mw[i] * (1 - 1e-9):
            i = f.split(i, mw)
        forced = reserve_usd_per_th is None
        scrap = m.config.mining.scrap_usd_per_th
        f.on_market[i], f.listed_day[i] = True, m.day
        f.reserve_usd_per_th[i] = scrap if forced else max(reserve_usd_per_th, scrap)
        if forced:
            f.removed[i], f.hibernating[i], f.retire_day[i] = True, False, -1
            self._refresh_site(int(f.site[i]))
        return i

    def _pay_seller(self, seller: int, usd: float) -> None:
        """Book a sale's proceeds to the seller; a seller already wound down passes them to its estate."""
        m = self.model
        m.accounts.post(seller, "salvage", usd)
        firm = m.miner_at(seller)
        if firm.gone:  # liquidated already: the proceeds pass on at once (an estate still selling keeps them)
            m.solvency.pay_estate(m.accounts, seller, usd)

    def decommission(self, site: int, owner: int, days: int) -> int:
        """Take ``owner``'s machines off a sold site in weekly tranches over ``days``; return the last day.

        Running batches are split into equal tranches of the site's MW, one retiring at the end of each week
        (``receive_arrivals`` offers a retiring batch on the used market that day); they run until then.
        Hibernating machines and machines still on order are offered now: they would not run here again.
        """
        m = self.model
        f = m.fleet
        mine = (f.site[: f.n] == site) & (f.owner[: f.n] == owner) & (f.mw[: f.n] > 0) & ~f.removed[: f.n]
        running = mine & f.installed(m.day) & ~f.hibernating[: f.n]
        for i in np.flatnonzero(mine & ~running):
            self.list_batch(int(i))
        rows = [int(i) for i in np.flatnonzero(running)]
        tranches = max(1, -(-days // 7))
        tranche_mw = sum(float(f.mw[i]) for i in rows) / tranches
        k, room = 1, tranche_mw
        for i in rows:
            while f.mw[i] > room * (1 + 1e-9) and k < tranches:  # the batch spans the tranche's end
                j = f.split(i, room)
                f.retire_day[j] = m.day + round(days * k / tranches)
                k, room = k + 1, tranche_mw
            f.retire_day[i] = m.day + round(days * k / tranches)
            room -= float(f.mw[i])
        f.touch()
        return m.day + days

    def installed_value_usd(self, site: int) -> float:
        """Second-hand value of the machines installed at a site (recent used price, else recycling value)."""
        m = self.model
        f = m.fleet
        rows = f.installed_at(site, m.day)
        price = self.used_price_usd_per_th()
        price = price if np.isfinite(price) else m.config.mining.scrap_usd_per_th
        return float((f.mw[rows] * 1e6 / f.j_per_th[rows]).sum() * price)

    def hand_over_site_machines(self, site: int, seller: int, buyer: int) -> None:
        """The machines installed at a sold site change owner with it, at their second-hand value."""
        m = self.model
        f = m.fleet
        rows = np.flatnonzero((f.site[: f.n] == site) & f.installed(m.day) & (f.owner[: f.n] == seller))
        value = self.installed_value_usd(site)
        if not rows.size:
            return
        m.miner_at(buyer).fund(value)
        m.accounts.post(buyer, "machines", -value)
        self._pay_seller(seller, value)
        f.owner[rows] = buyer
        f.on_market[rows], f.listed_day[rows], f.retire_day[rows] = False, -1, -1
        f.cost_usd[rows] = (
            f.mw[rows]
            * 1e6
            / f.j_per_th[rows]
            * (value / max(float((f.mw[rows] * 1e6 / f.j_per_th[rows]).sum()), 1e-9))
        )
        f.touch()

    def list_site_machines(self, site: int, owner: int) -> None:
        """Offer every batch ``owner`` has at a site, installed or still on order."""
        f = self.model.fleet
        mine = (f.site[: f.n] == site) & (f.owner[: f.n] == owner)
        for i in np.flatnonzero(mine & (f.mw[: f.n] > 0) & ~f.removed[: f.n]):
            self.list_batch(int(i))

    def receive_arrivals(self) -> None:
        """Machines arriving today take their MW: replaced batches leave first, and what does not fit goes back.

        Upgraded batches whose replacements arrive today go to the used market. A site can also have more
        arriving than it has room for when room was promised twice (a conversion signed while machines were
        on their way): the excess of today's arrivals is offered again rather than stacked beyond capacity.
        """
        m = self.model
        f, s = m.fleet, m.sites
        for i in np.flatnonzero((f.retire_day[: f.n] == m.day) & (f.mw[: f.n] > 0) & ~f.removed[: f.n]):
            self.list_batch(int(i))
        arriving = np.flatnonzero((f.online_day[: f.n] == m.day) & (f.mw[: f.n] > 0) & ~f.removed[: f.n])
        if not arriving.size:
            return
        installed = f.mw_by_site(s.n, m.day)
        room = s.capacity_mw[: s.n] - s.unbuilt_mw[: s.n] - s.converting_mw[: s.n] - s.ai_mw[: s.n]
        for site in np.unique(f.site[arriving]):
            excess = installed[site] - room[site]
            for i in arriving[f.site[arriving] == site]:
                if excess <= MW_TOLERANCE:
                    break
                give_back = min(excess, float(f.mw[i]))
                self.list_batch(int(i), give_back)
                excess -= give_back

    def _refresh_site(self, site: int) -> None:
        m = self.model
        f = m.fleet
        f.touch()
        here = (f.site[: f.n] == site) & f.installed(m.day)
        m.sites.machine_mw[site] = float(f.mw[: f.n][here].sum())

    # --- prices -----------------------------------------------------------------------------------------------
    def used_price_usd_per_th(self) -> float:
        """TH-weighted mean price of the last month's trades (NaN when nothing traded)."""
        day = self.model.day
        if self._price is None or self._price[0] != day:
            while self.trades and day - self.trades[0][0] >= PRICE_WINDOW_DAYS:
                self.trades.popleft()
            th = sum(x for _, x, _ in self.trades)
            self._price = (day, sum(x * p for _, x, p in self.trades) / th if th > 0 else float("nan"))
        return self._price[1]

    def lots(self) -> list[UsedLot]:
        """What is on offer now."""
        f = self.model.fleet
        return [
            UsedLot(int(i), int(f.owner[i]), float(f.mw[i]), float(f.j_per_th[i]), float(f.reserve_usd_per_th[i]))
            for i in np.flatnonzero(f.on_market[: f.n] & (f.mw[: f.n] > 0))
        ]

    def best_lots(self, k: int) -> list[UsedLot]:
        """The ``k`` most efficient lots on offer, ordered by (J/TH, batch) as ``sorted(self.lots())`` would be."""
        f = self.model.fleet
        idx = np.flatnonzero(f.on_market[: f.n] & (f.mw[: f.n] > 0))
        top = idx[np.argsort(f.j_per_th[idx], kind="stable")[:k]]  # idx ascending: ties stay in batch order
        return [
            UsedLot(int(i), int(f.owner[i]), float(f.mw[i]), float(f.j_per_th[i]), float(f.reserve_usd_per_th[i]))
            for i in top
        ]

    def lot_mw_on_offer(self) -> float:
        """MW of machines given up and waiting for a buyer (off their sites)."""
        f = self.model.fleet
        return float(f.mw[: f.n][f.on_market[: f.n] & f.removed[: f.n]].sum())

    # --- clearing ---------------------------------------------------------------------------------------------
    def run(self) -> None:
        """Weekly: clear the lots on offer among all miners' bids; recycle machines unsold for too long."""
        m = self.model
        if m.day % CLEARING_INTERVAL_DAYS:
            return
        # Each buyer looks at the most efficient lots first; beyond ``LOTS_PER_BUYER`` the rest would
        # rarely fit its room, and valuing them all is the market's cost, not the buyers'. Only shown lots
        # get bids, so only they can trade: the others are not even built as ``UsedLot``s.
        shown = self.best_lots(LOTS_PER_BUYER)
        if shown:
            bids, room, budget = [], {}, {}
            for miner, b, r, money in self._bids(ShownLots.of(m, shown)):
                if b:
                    bids += b
                    room.update(r)
                    budget[miner.idx] = money
            for trade in clear_used_machines(shown, bids, room, budget):
                self._transfer(trade)
        self._recycle_stale()

    def _bids(self, shown: ShownLots) -> list[tuple]:
        """(buyer, bids, rooms, budget) of every buyer: ``Miner.used_machine_bids``, all valued and bid in one pass."""
        from hashpivot.agents.fleet_decisions import free_mw_by_site, used_machine_bids_of  # it imports this one

        free = free_mw_by_site(self.model)  # no buyer changes a site while the others ask
        buyers = [(miner, *miner.used_machine_rooms(free)) for miner in self._buyers()]
        buyers = [(miner, rooms, budget) for miner, rooms, budget in buyers if rooms]
        bids = used_machine_bids_of(self.model, shown, [(miner.idx, rooms, budget) for miner, rooms, budget in buyers])
        return [(miner, *b) for (miner, _, _), b in zip(buyers, bids, strict=True)]

    def _buyers(self) -> list:
        """Miners with energised room somewhere (idle or unbuilt MW), the only ones that can buy."""
        m = self.model
        s, n = m.sites, m.sites.n
        room = s.idle_mw() - m.fleet.pending_mw(n, m.day) + np.where(s.energised[:n], s.unbuilt_mw[:n], 0.0)
        mine = (s.owner_kind[:n] == Owner.MINER) & (room >= 1.0)
        return [m.miner_at(int(i)) for i in np.unique(s.owner[:n][mine])]

    def _transfer(self, trade) -> None:
        m = self.model
        f, sc, acc = m.fleet, m.config.mining, m.accounts
        i = trade.lot if trade.mw >= f.mw[trade.lot] * (1 - 1e-9) else f.split(trade.lot, trade.mw)
        th = float(f.mw[i]) * th_per_mw(float(f.j_per_th[i]))
        price_usd = th * trade.usd_per_th
        seller, from_region = int(f.owner[i]), int(m.sites.region[f.site[i]])
        to_region = int(m.sites.region[trade.site])
        move_share = 1.0 if to_region != from_region else SAME_REGION_MOVE_SHARE
        # Machines bought for unbuilt MW: the buyer builds out what the idle MW do not cover.
        s = m.sites
        short = float(f.mw[i]) - max(float(s.idle_mw()[trade.site] - f.pending_mw(s.n, m.day)[trade.site]), 0.0)
        build = min(max(short, 0.0), float(s.unbuilt_mw[trade.site]))
        move_usd = sc.relocation_cost_usd_per_mw * move_share * float(f.mw[i])
        self._pay_seller(seller, price_usd)
        # Issue equity for what free cash does not cover: the machines, their move and the build-out.
        m.miner_at(trade.buyer).fund(price_usd + move_usd + build * sc.build_capex_usd_per_mw)
        acc.post(trade.buyer, "machines", -price_usd)
        acc.post(trade.buyer, "capex", -move_usd)
        if build > 0:
            s.unbuilt_mw[trade.site] -= build
            acc.post(trade.buyer, "capex", -build * sc.build_capex_usd_per_mw)
        old_site = int(f.site[i])
        f.owner[i], f.site[i], f.cost_usd[i] = trade.buyer, trade.site, price_usd
        f.on_market[i], f.removed[i], f.hibernating[i], f.listed_day[i] = False, False, False, -1
        f.margin_ema_usd_per_mw_day[i], f.retire_day[i] = 0.0, -1
        f.online_day[i] = m.day + int(round(sc.relocation_days * move_share))
        self._refresh_site(old_site)
        self._refresh_site(trade.site)
        self.trades.append((m.day, th, trade.usd_per_th))
        self._price = None
        self.th_sold_total += th
        ids = m.regions.ids
        sale = MachineSale(
            m.day, seller, trade.buyer, float(f.mw[i]), th, float(f.j_per_th[i]), trade.usd_per_th,
            ids[from_region], ids[to_region],
        )  # fmt: skip
        self.sales.append(sale)
        if to_region != from_region:
            self.mw_relocated_total += float(f.mw[i])
            m.log_event(
                m.miner_at(trade.buyer),
                "relocation",
                f"bought {sale.mw:.1f} MW of {sale.j_per_th:.1f} J/TH machines at {sale.usd_per_th:.2f} $/TH from "
                f"{m.miner_at(seller).unique_id}; moving {sale.from_region} -> {sale.to_region}",
            )

    def _recycle_stale(self) -> None:
        """Given-up machines nobody bought are recycled; a voluntary offer nobody took is withdrawn."""
        m = self.model
        f, sc = m.fleet, m.config.mining
        stale = np.flatnonzero(
            f.on_market[: f.n] & (f.mw[: f.n] > 0) & (m.day - f.listed_day[: f.n] >= sc.used_listing_days)
        )
        for i in stale:
            f.on_market[i] = False
            if not f.removed[i]:
                continue
            th = float(f.mw[i]) * th_per_mw(float(f.j_per_th[i]))
            self._pay_seller(int(f.owner[i]), th * sc.scrap_usd_per_th)
            self.th_scrapped_total += th
            f.mw[i], f.cost_usd[i], f.removed[i] = 0.0, 0.0, False
            f.touch()
