"""HashPivot world: network, regions, sites, markets, metrics, the Model and its tooling."""
