"""The site market, as a service: parcels listed, weekly auctions run, sold sites transferred.

The mechanism (second or first price, model/markets/auction.py) is pure and picked by name; this service
collects the bids from the agents (``value_site`` on miners and hyperscalers), sets the developer fringe's
reserve, and books the transfer. The developer fringe stands for the many powered-land buyers outside the
model: it bids the powered-land value of a site's convertible MW where data-centre tenants go.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hashpivot.agents.hyperscaler import Hyperscaler
from hashpivot.agents.miner import Miner
from hashpivot.model.markets.auction import AUCTIONS, Sale, SiteBid
from hashpivot.model.world.construction import OwnBuild
from hashpivot.model.world.liquidity import free_equity_of
from hashpivot.model.world.sites import Cooling, Owner

if TYPE_CHECKING:
    from hashpivot.model.simulation import HashpivotModel

AUCTION_INTERVAL_DAYS = 7
PARCEL_POWER_ADDER_USD_PER_MWH = 5.0  # a released parcel's delivery cost over the regional price
DEVELOPER = -1  # bidder id of the developer fringe (powered land for data centres)
ENTRANTS = -2  # bidder id of would-be mining entrants (a new firm is created if they win)


@dataclass(frozen=True)
class SiteSale:
    """One completed auction (a row of ``sales.csv``); ``winner`` is a unique_id, -1 for the developer fringe."""

    day: int
    site: int
    winner: int
    price_usd: float
    mw: float
    convertible_mw: float
    region: str
    buyer_kind: str  # "miner", "hyperscaler", "entrant" or "developer"
    mining_value_usd: float  # what new machines there were worth to an entrant, net of their cost (0 if none)


class SiteMarket:
    """Listings, auctions and transfers of sites (``model.site_market``)."""

    def __init__(self, model: HashpivotModel):
        self.model = model
        self.sales: list[SiteSale] = []
        self._recent: tuple = (None, {})  # (day, sales so far) -> recent sales by region
        self.handovers: dict[int, tuple[int, Sale]] = {}  # site -> (handover day, sale): sold, being vacated
        self._relisted: set[int] = set()  # the fringe's own land, offered back to mining this round

    def handing_over(self, sites: np.ndarray) -> np.ndarray:
        """Which of ``sites`` are sold and being vacated for a non-mining buyer (``_sell_to_non_miner``)."""
        if not self.handovers:
            return np.zeros(np.shape(sites), dtype=bool)
        return np.isin(sites, np.fromiter(self.handovers, dtype=np.int64))

    def handing_over_mask(self, n: int) -> np.ndarray:
        """``handing_over(np.arange(n))``, without the search: the sites being vacated, marked."""
        mask = np.zeros(n, dtype=bool)
        mask[list(self.handovers)] = True
        return mask

    def convertible_mw_bought_by(self, uid: int) -> float:
        """Convertible MW of sites a buyer has bought and not yet taken over (they count as secured)."""
        if not self.handovers:
            return 0.0
        s = self.model.sites
        return float(sum(s.convertible_mw[x] for x, (_, sale) in self.handovers.items() if sale.winner == uid))

    # --- listings ---------------------------------------------------------------------------------------------
    def list_for_sale(self, site: int) -> None:
        """Put a site on the block: it is auctioned at the next weekly round (unless it is already sold)."""
        if site not in self.handovers:
            self.model.sites.for_sale[site] = True

    def offer_parcel(self, region: int, mw: float) -> None:
        """A grid operator releases an energised parcel: it joins the site auction."""
        m = self.model
        conv = float(m.regions.column("convertible_share")[region]) * mw
        site = m.sites.add(
            region=region,
            capacity_mw=mw,
            owner_kind=Owner.NONE,
            owner=-1,
            energised=True,
            power_adder_usd_per_mwh=m.site_power_adder(PARCEL_POWER_ADDER_USD_PER_MWH),
            cooling=Cooling.AIR,
            convertible_mw=conv,
            capex_multiplier=1.0,
        )
        self.list_for_sale(site)

    def _relist_fringe_sites(self) -> None:
        """The developer fringe sells energised land back to mining where mining is worth more than its reserve.

        The fringe holds powered land for what it is worth to data centres (``developer_bid_usd``: nothing
        where hyperscalers do not go). A site it bought while mining did not pay is still energised and built;
        when new machines there are worth more to mining entrants than the fringe's reserve, it is put to
        auction, where entrants, miners, hyperscalers and the fringe itself bid as for any site. Before, the
        fringe was a sink: energised mining sites left the market for good, and mining re-entered a region
        only through new queue requests (baseline seed 0: 3.6 GW in China, 4.8 GW in Russia, 1.6 GW in
        Kazakhstan held idle by the fringe at the end, bought at ~0 USD; 80-90% of hashrate in the US by 2033).

        A quick screen (the newest machines' NPV per MW to the entrants' pool, net of their price, over the
        site's built MW; no installed machines, no queue wait) picks the candidates; the auction values them
        exactly (``Entry.site_value_usd``).
        """
        m = self.model
        s, n = m.sites, m.sites.n
        if not m.config.entry.enabled:
            return
        idle_land = (
            (s.owner_kind[:n] == Owner.NONE)
            & s.energised[:n]
            & ~s.for_sale[:n]
            & ~s.greenfield[:n]
            & (s.ai_mw[:n] + s.converting_mw[:n] <= 0)
        )
        sites = np.flatnonzero(idle_land)
        sites = sites[[m.grid.mining_allowed(int(x)) for x in sites]] if sites.size else sites
        if sites.size == 0 or m.entry.capital_left_usd() <= 0:
            return
        gen = m.technology.newest(m.date)
        npv = m.valuations.npv_in_regions(
            s.region[sites],
            s.power_adder_usd_per_mwh[sites],
            gen.j_per_th,
            np.full(sites.size, m.beliefs.n_firms),
            m.config.mining.machine_life_years,
            m.config.entry.hurdle_premium,
        )
        built = s.capacity_mw[sites] - s.unbuilt_mw[sites]
        value = (npv - m.technology.cost_usd_per_mw(gen.j_per_th)) * built
        value -= m.config.mining.build_capex_usd_per_mw * s.unbuilt_mw[sites]
        for site in sites[value > 0]:
            site = int(site)
            if m.entry.site_value_usd(site) > self.developer_bid_usd(site):
                self.list_for_sale(site)
                self._relisted.add(site)

    # --- prices -----------------------------------------------------------------------------------------------
    def developer_bid_usd(self, site: int) -> float:
        """The developer fringe's bid: powered-land value of the convertible MW, scaled by hyperscaler access.

        No developer buys where hyperscalers do not go.
        """
        m = self.model
        access = float(m.regions.column("hyperscaler_access")[m.sites.region[site]])
        return m.config.grid.developer_bid_usd_per_mw * access * float(m.sites.convertible_mw[site])

    def sale_estimate_usd(self, site: int) -> float:
        """What a site would fetch, judged from the market.

        The developers' reserve, plus the premium per convertible MW that hyperscalers paid for comparable sites
        in the region in the last year, weighted by how often they were the buyers.
        """
        m = self.model
        floor = self.developer_bid_usd(site)
        conv = float(m.sites.convertible_mw[site])
        recent = self._recent_sales().get(m.regions.ids[m.sites.region[site]], [])
        to_ai = [x.price_usd / x.convertible_mw for x in recent if x.buyer_kind == "hyperscaler"]
        if not to_ai or not hyperscaler_appetite_mw(m) >= m.config.ai.min_block_mw:
            return floor
        # The premium counts only as often as hyperscalers actually won the region's recent auctions.
        chance = len(to_ai) / len(recent)
        return floor + chance * max(0.0, float(np.median(to_ai)) * conv - floor)

    def _recent_sales(self) -> dict[str, list[SiteSale]]:
        """Sales of sites with convertible MW in the last year, by region in order (once a day and per sale)."""
        m = self.model
        key = (m.day, len(self.sales))
        if self._recent[0] != key:
            by_region: dict[str, list[SiteSale]] = {}
            year_ago = bisect.bisect_left(self.sales, m.day - 365, key=lambda x: x.day)  # sales are in day order
            for x in self.sales[year_ago:]:
                if x.convertible_mw > 0:
                    by_region.setdefault(x.region, []).append(x)
            self._recent = (key, by_region)
        return self._recent[1]

    # --- auctions ---------------------------------------------------------------------------------------------
    def run_auctions(self) -> None:
        """Weekly: every site for sale is auctioned among miners, hyperscalers and the developer fringe.

        Daily first: sites whose handover period ends today pass to their buyers.
        """
        m = self.model
        for site in [x for x, (day, _) in self.handovers.items() if day <= m.day]:
            self._transfer(site, self.handovers.pop(site)[1], signed=True)
        if m.day % AUCTION_INTERVAL_DAYS:
            return
        s = m.sites
        self._relist_fringe_sites()
        mechanism = AUCTIONS[m.config.rules.auction]
        # The round's bidders are those present when it opens: a firm entering by winning a site bids next week.
        miners, hyperscalers = list(m.miners), list(m.hyperscalers)
        for site in np.flatnonzero(s.for_sale[: s.n]):
            site = int(site)
            if s.converting_mw[site] + s.ai_mw[site] > 0:  # a contract binds the land: not for sale after all
                s.for_sale[site] = False
                continue
            offers = self._agent_bids(site, miners, hyperscalers)
            bids = [b for a, b in offers if b is not None and not a.owns_site(site)]
            reserve = self.developer_bid_usd(site)
            mining_value = m.entry.site_value_usd(site)
            if mining_value > 0:  # outside mining capital bids too: energised MW do not go for nothing
                # Entrants are a competitive fringe (free entry, economics.md): many outside firms value the
                # site alike, so when they win they pay their value, not a lone bidder's reserve. Two equal
                # bids stand for that competition in any registered mechanism.
                bids += [SiteBid(ENTRANTS, mining_value)] * 2
            sale = mechanism(site, bids + [SiteBid(DEVELOPER, reserve)], reserve)
            if site in self._relisted and (sale is None or sale.winner == DEVELOPER):
                self._relisted.discard(site)  # nobody outbid the fringe for its own land: withdrawn, no sale
                s.for_sale[site] = False
                continue
            self._relisted.discard(site)
            if sale is None:  # no bid met the reserve (first price shades even the fringe's): for sale next week
                continue
            if self._vacated_first(site, sale):
                self._sell_to_non_miner(site, sale)
            else:
                self._transfer(site, sale)

    def _vacated_first(self, site: int, sale: Sale) -> bool:
        """A mining seller's running site sold to a buyer that will not mine it: it must be vacated first."""
        m = self.model
        if m.config.mining.decommission_days <= 0 or m.sites.owner_kind[site] != Owner.MINER:
            return False
        if self._buyer_kind(sale) not in ("developer", "hyperscaler"):
            return False
        return m.fleet.installed_at(site, m.day).size > 0

    def _sell_to_non_miner(self, site: int, sale: Sale) -> None:
        """Sign the sale now, hand the site over at the end of the decommissioning period.

        The seller is paid at signing and keeps running its machines until they are taken down, in weekly
        tranches (``MachineMarket.decommission``), each offered on the used market as it comes off; the buyer
        takes possession when the last is gone. A firm's exit used to take all its machines off the network on
        the auction day: 4-5 GW in one day when a large firm sold to data-centre developers (seed 3 of the
        baseline, 2031-04-26: -21% hashrate overnight), where real sites are vacated over months.
        """
        m = self.model
        s = m.sites
        s.for_sale[site] = False
        seller = int(s.owner[site])
        m.accounts.post(seller, "site_sales", sale.price_usd)
        self.sales.append(self._sale_row(site, sale, self._buyer_kind(sale)))
        day = m.machine_market.decommission(site, seller, m.config.mining.decommission_days)
        self.handovers[site] = (day, sale)

    def _agent_bids(self, site: int, miners: list[Miner], hyperscalers: list[Hyperscaler]) -> list[tuple]:
        """(bidder, bid or None) of each miner, then each hyperscaler: their ``value_site`` bids, in that order.

        The miners' mining values are computed in one batched valuation, and the takeover equity once: both
        are the numbers ``Miner.value_site`` would compute bidder by bidder, bit for bit.
        """
        m = self.model
        allowed = m.grid.mining_allowed(site)  # the same for every bidder
        bidding, bids = [a for a in miners if a.bids_for_site(site, allowed)], {}
        if bidding:
            idx = np.array([a.idx for a in bidding])
            takeover_usd = m.entry.takeover_equity_usd(site)
            free = free_equity_of(m, idx)
            # A firm whose free equity does not cover the takeover bids nothing whatever the site is worth to it
            # (``site_bid``): only the others are valued. Each value is the bidder's own, whoever else is valued.
            pays = free - takeover_usd > 0
            payers = [a for a, ok in zip(bidding, pays.tolist(), strict=True) if ok]
            values = m.entry.site_mining_values_usd(site, idx[pays]) if payers else []
            bids = {
                a.idx: a.site_bid(float(v), takeover_usd, e)
                for a, v, e in zip(payers, values, free[pays].tolist(), strict=True)
            }
        return [(a, bids.get(a.idx)) for a in miners] + [(h, h.value_site(site)) for h in hyperscalers]

    def _buyer_kind(self, sale: Sale) -> str:
        if sale.winner in (ENTRANTS, DEVELOPER):
            return "entrant" if sale.winner == ENTRANTS else "developer"
        return "miner" if isinstance(self.model.agent_by_uid(sale.winner), Miner) else "hyperscaler"

    def _sale_row(self, site: int, sale: Sale, kind: str) -> SiteSale:
        m, s = self.model, self.model.sites
        return SiteSale(
            day=m.day,
            site=site,
            winner=sale.winner,
            price_usd=sale.price_usd,
            mw=float(s.capacity_mw[site]),
            convertible_mw=float(s.convertible_mw[site]),
            region=m.regions.ids[s.region[site]],
            buyer_kind=kind,
            mining_value_usd=max(m.entry.site_value_usd(site), 0.0),
        )

    def _transfer(self, site: int, sale: Sale, signed: bool = False) -> None:
        """The buyer takes the site; ``signed``: the sale was booked at signing (``_sell_to_non_miner``)."""
        m = self.model
        s, acc = m.sites, m.accounts
        s.for_sale[site] = False
        kind = self._buyer_kind(sale)
        row = None if signed else self._sale_row(site, sale, kind)  # valued before the move
        seller = int(s.owner[site]) if s.owner_kind[site] == Owner.MINER else -1
        if seller >= 0 and not signed:
            acc.post(seller, "site_sales", sale.price_usd)
        rigs_usd = m.machine_market.installed_value_usd(site)
        if kind == "entrant":
            capex = m.entry.equip_capex_usd(site) - rigs_usd  # the rigs are paid in cash, with the price
            buyer = m.entry.create_entrant(sale.price_usd + rigs_usd, capex, commit=True)
        else:
            buyer = None if kind == "developer" else m.agent_by_uid(sale.winner)
        if isinstance(buyer, Miner) and seller >= 0:
            # A mining buyer takes the site as a going concern: the installed machines keep running, and it
            # pays the seller their second-hand value; machines on order or given up stay with the seller.
            m.machine_market.hand_over_site_machines(site, seller, buyer.idx)
        if seller >= 0:  # whatever the buyer does not take goes to the used market
            m.machine_market.list_site_machines(site, seller)
        if row is not None:
            self.sales.append(row)
        if buyer is None:  # the developer fringe: the site leaves the modelled market
            s.set_owner(site, Owner.NONE, -1)
        elif isinstance(buyer, Miner):
            s.set_owner(site, Owner.MINER, buyer.idx)
            acc.post(buyer.idx, "site_purchases", -sale.price_usd)
            if kind == "entrant":
                m.entry.mw_entered_total += float(s.capacity_mw[site])
                m.log_event(buyer, "entry", f"bought site {site} ({s.capacity_mw[site]:.0f} MW) to mine")
                buyer.equip_new_site(site)
        else:
            self._hand_to_hyperscaler(site, sale, buyer)

    def _hand_to_hyperscaler(self, site: int, sale: Sale, buyer: Hyperscaler) -> None:
        m = self.model
        s = m.sites
        s.set_owner(site, Owner.HYPERSCALER, buyer.idx)
        conv = float(s.convertible_mw[site])
        s.unbuilt_mw[site] -= min(float(s.unbuilt_mw[site]), conv)  # a fresh parcel is built straight to AI
        s.converting_mw[site] += conv
        m.construction.add_own_build(OwnBuild(site=site, mw=conv, done_day=m.day + m.config.ai.colocation.build_days))
        m.log_event(
            buyer, "site", f"bought site {site} ({s.capacity_mw[site]:.0f} MW) for {sale.price_usd / 1e6:.1f} M$"
        )


def hyperscaler_appetite_mw(model: HashpivotModel) -> float:
    """Near-term MW hyperscalers still need (what they would buy sites for today)."""
    near = model.day + model.config.ai.colocation.build_days
    return float(sum(max(0.0, h.demand_mw(near) - h.committed_mw(by_day=near)) for h in model.hyperscalers))
