"""HashPivot world: network, regions, sites, markets, metrics, the Model and its tooling."""

__all__ = ["HashpivotModel"]


def __getattr__(name):
    # Lazy: agents import model submodules, and the Model imports the agents.
    if name == "HashpivotModel":
        from model.simulation import HashpivotModel

        return HashpivotModel
    raise AttributeError(f"module 'model' has no attribute {name!r}")
