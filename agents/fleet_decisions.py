"""A miner's fleet decisions: switch machines off and on, sell, upgrade, expand, buy used, seek new sites.

Each is taken at the firm's decision point, with its own expectations (model/world/beliefs.py):

* **Hibernate or restart** (Dixit & Pindyck 1994, economics.md "Hysteresis"): a batch whose expected margin
  at today's difficulty-implied hashprice is negative, and has been losing money (30-day realised margin), is
  switched off: no power, no opex, a small holding cost. It is switched back on when the margin turns positive.
* **Sell** only when the machines are worth less to the firm -- including the option to restart -- than
  second-hand (the used market's recent price, or the recycling value when nothing trades).
* **Upgrade** batches, least efficient first, when the newest generation's NPV at the site, less what the old
  machines are still worth there, exceeds its cost (the firm's hurdle rate and beliefs); the old batch keeps
  running until the new one is delivered, then goes to the used market (it does not leave the network on the
  order day).
* **Expand** idle and unbuilt MW with new machines when their NPV exceeds their cost -- the test entrants and
  site requests use -- and **buy used** machines for idle MW when they are worth more per dollar than new ones
  (``used_machine_bids``).
* **Seek a new site** through the grid's queue when its own sites are full and a new one pays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hashpivot.model.markets.machine_market import SAME_REGION_MOVE_SHARE, ShownLots
from hashpivot.model.markets.machines import MachineBid, UsedLot
from hashpivot.model.world.valuation import product_margin_groups

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel

DEALER_SPREAD = 0.25  # assumption: older models trade ~20-25% below dealers' "fair value" (cal: Luxor RFQ, Jun 2023)
MIN_ORDER_MW = 1.0  # orders below 1 MW are not worth a purchase agreement
UPGRADE_MIN_GAIN = 0.9  # a new generation must be at least 10% more efficient to replace a batch


class FleetDecisions:
    """Fleet decisions of a Miner (mixed into ``agents.miner.Miner``)."""

    model: HashpivotModel
    idx: int
    unique_id: int
    strategy: str

    # --- what it runs -----------------------------------------------------------------------------------------
    def batches(self) -> np.ndarray:
        """Indices of its installed machine batches (running or hibernating)."""
        return self.model.fleet.installed_of(self.idx, self.model.day)

    def resale_usd_per_th(self) -> float:
        """What machines fetch second-hand now: the used market's recent price, else their recycling value."""
        m = self.model
        price = m.machine_market.used_price_usd_per_th()
        return price if np.isfinite(price) else m.config.mining.scrap_usd_per_th

    def salvage_value_usd(self, batches: np.ndarray) -> float:
        """What its machines would fetch second-hand."""
        f = self.model.fleet
        th = f.mw[batches] * 1e6 / f.j_per_th[batches]
        return float(th.sum() * self.resale_usd_per_th())

    def manage_fleet(self) -> None:
        """Switch machines off and on, sell what is worth more to others, upgrade, expand, seek a new site."""
        b = self.batches()
        if b.size:
            self._switch(b)
            self._sell_unwanted(self.batches())
        self._upgrade()
        for site in self.sites:
            self._expand(int(site))
        self._seek_new_site()

    def _switch(self, b: np.ndarray) -> None:
        f, v = self.model.fleet, self.model.valuations
        margin = v.batch_margin_per_mw_day(b)
        losing = (margin < 0) & (f.margin_ema_usd_per_mw_day[b] < 0)
        f.hibernating[b[losing & ~f.hibernating[b]]] = True
        f.hibernating[b[(margin > 0) & f.hibernating[b]]] = False

    def _sell_unwanted(self, b: np.ndarray) -> None:
        """Give up idle machines worth less than recycling; offer those worth less than the market pays.

        An offered batch keeps running until a buyer pays at least what it is worth to the firm.
        """
        m = self.model
        f, sc = m.fleet, m.config.mining
        b = b[(f.retire_day[b] < 0) & ~f.on_market[b]]
        th_per_mw = 1e6 / f.j_per_th[b]
        keep_usd_per_th = m.valuations.batch_npv_per_mw(b) / th_per_mw
        # Only a switched-off batch is given up: one that earns today is worth at least that (the option value).
        for i in b[(keep_usd_per_th < sc.scrap_usd_per_th) & f.hibernating[b]]:
            m.machine_market.list_batch(int(i))
        # A running batch is offered only if the market pays clearly more than it is worth here: the price must
        # also cover the dealer's spread and the weeks it is offline in transit (``DEALER_SPREAD``).
        ask = keep_usd_per_th * (1.0 + DEALER_SPREAD)
        offer = (keep_usd_per_th >= sc.scrap_usd_per_th) & (ask < self.resale_usd_per_th())
        for i, reserve in zip(b[offer], ask[offer], strict=True):
            m.machine_market.list_batch(int(i), reserve_usd_per_th=float(reserve))

    def _upgrade(self) -> None:
        """Replace inefficient batches, least efficient first, where the newest generation's NPV gain pays its cost.

        Every batch that passes the NPV test is replaced on the decision day, as far as the budget goes: a firm
        does not wait a month per batch, and one batch at a site where new machines do not pay does not hold up the
        others (it did: only the firm's least efficient batch was ever considered, and old machines stood
        hibernating for years on MW where new ones paid).
        """
        f = self.model.fleet
        b = self.batches()
        b = b[f.retire_day[b] < 0]
        for worst in self._upgrade_candidates(b[np.argsort(-f.j_per_th[b], kind="stable")]):
            if not self._upgrade_batch(int(worst)):
                return

    def _upgrade_candidates(self, order: np.ndarray) -> np.ndarray:
        """The batches of ``order`` (least efficient first) that are worth replacing, in the same order.

        Two tests, for all batches at once. Efficiency: the newest generation must use at most
        ``UPGRADE_MIN_GAIN`` of a batch's J/TH; the first batch that fails ends the list, as none after it gains
        more. NPV (the expansion test): the newest machines' NPV at the site, less what the old ones would still
        earn there (never below 0: they can idle), must exceed their cost. Neither changes while the firm
        upgrades: the newest generation and its price are the day's, and an upgrade only appends batches (the
        split-off part and the new machines), so the values of the batches already there and of their sites
        stay this week's. The valuations are asked for only if a batch passes the first test (the first ask
        of a week revises the values).
        """
        m = self.model
        f, v = m.fleet, m.valuations
        gen = m.technology.newest(m.date)
        too_close = gen.j_per_th >= f.j_per_th[order] * UPGRADE_MIN_GAIN
        order = order[: int(np.argmax(too_close)) if too_close.any() else order.size]
        if not order.size:
            return order
        gain = v.site_new_npv_per_mw_all()[f.site[order]] - np.maximum(v.batch_npv_per_mw(order), 0.0)
        return order[~(gain <= m.technology.cost_usd_per_mw(gen.j_per_th))]

    def _upgrade_batch(self, worst: int) -> bool:
        """Replace batch ``worst`` (it passed ``_upgrade_candidates``); False once the budget is spent."""
        m, sc = self.model, self.model.config
        f = m.fleet
        gen = m.technology.newest(m.date)
        site, mw = int(f.site[worst]), float(f.mw[worst])
        cost = m.technology.cost_usd_per_mw(gen.j_per_th)
        equity_share = 1.0 - sc.finance.loan_to_cost_mining
        mw = min(mw, self.investable_usd() / (cost * equity_share))
        if mw < MIN_ORDER_MW:
            return False
        self.fund(cost * mw * equity_share)
        old = worst if mw >= f.mw[worst] * (1 - 1e-9) else f.split(worst, mw)
        new = m.assets.build_and_equip(self.idx, site, mw, 0.0, gen)
        f.retire_day[old] = f.online_day[new]
        if f.online_day[new] <= m.day:
            m.machine_market.list_batch(old)
        return True

    def _expand(self, site: int, planned: bool = False) -> None:
        """Fill idle MW with the newest machines, and build unbuilt MW, where that pays to the firm's beliefs.

        The test is the one entrants and site requests use (``finance.mining_npv_usd_per_mw`` at the firm's hurdle
        rate and beliefs): the newest machines' NPV per MW at this site must exceed what they cost (and the build
        capex, for unbuilt MW). With a simple-payback rule here instead, a firm left its own energised MW idle
        while the same numbers made it ask the grid for a new site.
        """
        m, sc = self.model, self.model.config
        s = m.sites
        if not m.grid.mining_allowed(site):
            return
        gen = m.technology.newest(m.date)
        cost_per_mw = m.technology.cost_usd_per_mw(gen.j_per_th)
        npv_per_mw = np.inf if planned else m.valuations.site_new_npv_per_mw(site)
        if npv_per_mw <= cost_per_mw:
            return
        idle = max(0.0, self.room_mw(site))
        built = 0.0
        if s.energised[site] and s.unbuilt_mw[site] > 0 and npv_per_mw > cost_per_mw + sc.mining.build_capex_usd_per_mw:
            built = s.unbuilt_mw[site]
        mw = idle + built
        if mw <= 0:
            return
        unit = cost_per_mw + (sc.mining.build_capex_usd_per_mw if built > 0 else 0.0) * built / mw
        equity_share = 1.0 - sc.finance.loan_to_cost_mining
        budget = self.investable_usd()
        affordable = budget / (unit * equity_share) if budget > 0 else 0.0
        mw = min(mw, affordable)
        if mw < MIN_ORDER_MW:
            return
        build_mw = min(built, mw * built / (idle + built))
        self.fund(unit * mw * equity_share)
        m.assets.build_and_equip(self.idx, site, mw, build_mw, gen)

    def room_mw(self, site: int) -> float:
        """Energised MW at a site with no machines on them or on their way (idle, not reserved)."""
        m = self.model
        s = m.sites
        on_way = m.fleet.pending_mw(s.n, m.day)[site]  # ordered, relocating or replacing
        return float(s.idle_mw_at(site) - on_way)

    def equip_new_site(self, site: int, planned: bool = False) -> None:
        """A new site of its own is energised: build it out and order machines, if that pays.

        ``planned``: a new firm created for a project that was filed and still pays on the pool's beliefs
        (``Entry.on_approved``) carries out the plan its capital was raised for. Tested on its own drawn
        beliefs instead, it ordered nothing whenever they were gloomier than the pool's, and left mining two
        weeks later, selling the site (all 45-83 "retired for losses" exits of a 10-year baseline).
        """
        self._expand(site, planned)

    def _seek_new_site(self) -> None:
        """Ask the grid for a new site when its own are full, it can fund one, and one pays to its beliefs."""
        m, e = self.model, self.model.config.entry
        if self.strategy == "exit" or not e.enabled or m.entry.pending_for(self.unique_id) > 0:
            return
        if any(self.room_mw(int(s)) + m.sites.unbuilt_mw[s] >= MIN_ORDER_MW for s in self.sites):
            return
        # Whether it could fund a site does not depend on where: asked first, as valuing every region costs more
        # (most firms with full sites cannot fund another).
        gen = m.technology.newest(m.date)
        capex = e.site_mw * (m.technology.cost_usd_per_mw(gen.j_per_th) + m.config.mining.build_capex_usd_per_mw)
        if self.investable_usd() < capex * (1.0 - m.config.finance.loan_to_cost_mining):
            return
        npv = m.entry.site_npv_per_mw(self.idx, 0.0)
        best = int(np.argmax(npv))
        if npv[best] <= 0 or m.grid.operators[best].mining_banned:
            return
        m.entry.request_site(self.unique_id, best, e.site_mw)

    # --- the used market --------------------------------------------------------------------------------------
    def used_machine_bids(self, lots: list[UsedLot]) -> tuple[list[MachineBid], dict, float]:
        """Its bids for used lots: each lot's value per TH at each of its sites with room, and its budget.

        A lot is worth the NPV of its machines at the site (the firm's beliefs, the machines' remaining life),
        less the move (``mining.relocation_cost_usd_per_mw``) and discounted over the move's days. If new
        machines are worth more per dollar than they cost, a used lot must be at least as good per dollar:
        the bid is its value divided by the new machines' NPV per dollar. (The market values and bids for
        every buyer in one pass: ``used_machine_bids_of``.)
        """
        rooms, budget = self.used_machine_rooms()
        if not rooms:
            return [], {}, 0.0
        return used_machine_bids_of(self.model, ShownLots.of(self.model, lots), [(self.idx, rooms, budget)])[0]

    def used_machine_rooms(self, free_mw: np.ndarray | None = None) -> tuple[dict, float]:
        """Its room for used machines, MW by ``(idx, site)``, and its budget; no room if it cannot buy.

        ``free_mw``: every site's idle MW less those on their way (``free_mw_by_site``), when the market has
        computed it for all buyers.
        """
        m = self.model
        if self.strategy == "exit":
            return {}, 0.0
        # Room: idle MW, and unbuilt MW it would build out for the machines (energised sites only).
        s = m.sites
        free = free_mw_by_site(m) if free_mw is None else free_mw
        rooms = {
            (self.idx, int(site)): r
            for site in self.sites
            if m.grid.mining_allowed(int(site))
            and (r := max(float(free[site]), 0.0) + (s.unbuilt_mw[site] if s.energised[site] else 0.0)) >= MIN_ORDER_MW
        }
        budget = self.investable_usd()
        if not rooms or budget <= 0:
            return {}, 0.0
        return rooms, budget

    def value_site_for_mining(self, site: int) -> float:
        """What a site is worth to it for mining: its running machines as a going concern, new ones on the rest."""
        return self.model.entry.site_mining_value_usd(site, self.idx)


def free_mw_by_site(model: HashpivotModel) -> np.ndarray:
    """Idle MW of every site less the machines on their way to it (``room_mw``)."""
    s = model.sites
    return s.idle_mw() - model.fleet.pending_mw(s.n, model.day)


def used_machine_bids_of(
    model: HashpivotModel, shown: ShownLots, buyers: list[tuple]
) -> list[tuple[list, dict, float]]:
    """``used_machine_bids`` of several buyers, ``(idx, rooms, budget)`` each (``used_machine_rooms``), in one pass.

    Every buyer's sites with room are the rows of one (rows x lots) table: the market's weekly clearing has ~25
    buyers, and one pass over all their rows costs what one buyer's did. The valuations are one
    ``npv_in_regions`` call per buyer for its lots at its sites (row-major) and one for new machines there,
    joined (``Valuations.npv_in_regions_joined``); the arithmetic after them is elementwise, row by row what a
    buyer alone computes. Each row bids on its lots worth most, in that order, up to twice its room: the lots
    it does not bid on are sorted after the others, so the running MW of the ones it does are the prefix sums a
    buyer alone computes.
    """
    if not buyers:
        return []
    m, sc = model, model.config
    s = m.sites
    row_buyer = np.concatenate([np.full(len(rooms), idx) for idx, rooms, _ in buyers])
    row_site = np.array([site for _, rooms, _ in buyers for _, site in rooms], dtype=np.int64)
    row_room = np.array([r for _, rooms, _ in buyers for r in rooms.values()])
    npv, new_npv = _lot_and_new_npvs(m, shown, buyers, row_buyer, row_site)
    move = np.where(shown.region[None, :] == s.region[row_site][:, None], SAME_REGION_MOVE_SHARE, 1.0)
    rate = m.beliefs.rate_mining[row_buyer]
    delay = (1.0 + rate)[:, None] ** -(sc.mining.relocation_days * move / 365.0)
    # Where the room is unbuilt the buyer also pays the build, on average over the site's room.
    unbuilt_share = s.unbuilt_mw[row_site] / row_room
    build = np.minimum(unbuilt_share, 1.0)[:, None] * sc.mining.build_capex_usd_per_mw
    install = sc.mining.relocation_cost_usd_per_mw * move + build  # USD per MW, paid with the price
    value_per_th = (npv * delay - install) / (1e6 / shown.j_per_th)[None, :]
    gen = m.technology.newest(m.date)
    per_dollar_new = new_npv / m.technology.cost_usd_per_mw(gen.j_per_th)
    value_per_th /= np.maximum(per_dollar_new, 1.0)[:, None]
    ok = (value_per_th > shown.reserve_usd_per_th[None, :]) & (shown.seller[None, :] != row_buyer[:, None])
    # Bid on the lots worth most here, up to twice the room (the rest would not fit anyway).
    order = np.argsort(np.where(ok, -value_per_th, np.inf), axis=1, kind="stable")
    ok_sorted = np.take_along_axis(ok, order, axis=1)
    mw_sorted = np.where(ok_sorted, shown.mw[order], 0.0)
    fits = ok_sorted & (np.cumsum(mw_sorted, axis=1) <= 2.0 * row_room[:, None] + mw_sorted)
    rows, ranks = np.nonzero(fits)
    cols = order[rows, ranks]
    bid_rows = zip(
        row_site[rows].tolist(),
        shown.batch[cols].tolist(),
        value_per_th[rows, cols].tolist(),
        install[rows, cols].tolist(),
        strict=True,
    )
    buyer_of_bid = row_buyer[rows].tolist()
    bids = [MachineBid(b, *bid) for b, bid in zip(buyer_of_bid, bid_rows, strict=True)]
    out, start, first_row = [], 0, 0
    for _, rooms, budget in buyers:
        stop = start + int(np.count_nonzero(fits[first_row : first_row + len(rooms)]))
        mine = bids[start:stop]
        out.append((mine, rooms, budget if mine else 0.0))
        start, first_row = stop, first_row + len(rooms)
    return out


def _lot_and_new_npvs(m, shown: ShownLots, buyers: list[tuple], row_buyer: np.ndarray, row_site: np.ndarray) -> tuple:
    """NPV per MW of every lot at every row's site (rows x lots) and of new machines there (rows), to the buyer.

    As one ``npv_in_regions`` call per buyer for its lots (its sites' rows, lot after lot) and one for new
    machines at its sites would value them, joined: the lots' calls first, then the new machines'.
    """
    s, rows, n = m.sites, row_site.size, shown.j_per_th.size
    lots_everywhere = (
        np.repeat(s.region[row_site], n),
        np.repeat(s.power_adder_usd_per_mwh[row_site], n),
        np.tile(shown.j_per_th, rows),
        np.repeat(row_buyer, n),
        np.tile(shown.life_years, rows),
    )
    new_here = (
        s.region[row_site],
        s.power_adder_usd_per_mwh[row_site],
        np.full(rows, m.technology.newest(m.date).j_per_th),
        row_buyer,
        np.full(rows, m.config.mining.machine_life_years),
    )
    joined = [np.concatenate([a, b]) for a, b in zip(lots_everywhere, new_here, strict=True)]
    sites_of = [len(rooms) for _, rooms, _ in buyers]
    groups = product_margin_groups(rows, shown.j_per_th, after=rows)
    npvs = m.valuations.npv_in_regions_joined(
        (*joined, np.zeros(rows * n + rows)), [k * n for k in sites_of] + sites_of, margin_groups=groups
    )
    return np.concatenate(npvs[: len(buyers)]).reshape(rows, n), np.concatenate(npvs[len(buyers) :])
