"""State and physics of the world: chain, prices, regions, sites, fleets, accounts, contracts, metrics."""
