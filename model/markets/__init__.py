"""Market mechanisms: lease negotiation and site auctions, each picked by name from a registry."""
