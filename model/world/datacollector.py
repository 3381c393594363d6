"""Mesa's ``DataCollector`` reading API over the model's own recorder, so Mesa users' habits work.

HashpivotModel records its daily series in a preallocated ``Recorder`` (``model/world/metrics.py``) and a
per-miner panel every 30 days, rather than through ``mesa.DataCollector`` (one Python dict per value per
day would cost more than the day's arithmetic). This adapter answers what Mesa users call::

    model = HashpivotModel(seed=1)
    for _ in range(365):
        model.step()
    df = model.datacollector.get_model_vars_dataframe()     # one row per day, indexed by day
    df["network_hashrate_ehs"].plot()
    panel = model.datacollector.get_agent_vars_dataframe()  # (day, agent_id) -> strategy, MW, cash, ...
    sales = model.datacollector.get_table_dataframe("sales")

The frames are built on each call from what the model recorded so far (nothing is copied as the model
runs); ``collect`` is a no-op because the model records every day itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any

TABLES = ("events", "sales", "leases")
"""Tables ``get_table_dataframe`` serves: strategy switches and other events, site auctions, AI contracts."""


class RecorderDataCollector:
    """A Mesa-``DataCollector``-compatible reader of a ``HashpivotModel``'s records.

    Args:
        model: The model whose ``recorder`` (daily series) and ``agent_panel`` (per-miner rows) to read.
    """

    def __init__(self, model: Any):
        self.model = model

    @property
    def model_reporters(self) -> dict[str, str]:
        """Column name -> where it is recorded (Mesa lists its reporters here)."""
        return {name: "model.recorder" for name in self.model.recorder.columns if name != "day"}

    @property
    def model_vars(self) -> dict[str, list[float]]:
        """Each daily column as a list, one value per day (Mesa's ``DataCollector.model_vars``)."""
        recorder = self.model.recorder
        return {name: recorder.column(name).tolist() for name in recorder.columns if name != "day"}

    def collect(self, model: Any = None) -> None:
        """Nothing to do: the model records its day at the end of every ``step()``."""

    def get_model_vars_dataframe(self):
        """The daily series as a pandas DataFrame, indexed by model day (``day``), one column per series.

        A ``date`` column (``datetime64[ns]``) gives the calendar day; units are in the column names.
        """
        import pandas as pd

        recorder = self.model.recorder
        data = {name: recorder.column(name).copy() for name in recorder.columns}
        days = data.pop("day").astype("int64")
        frame = pd.DataFrame(data, index=pd.Index(days, name="day"))
        start = pd.Timestamp(self.model.config.run.start_date)
        frame.insert(0, "date", start + pd.to_timedelta(days, unit="D"))
        return frame

    def get_agent_vars_dataframe(self):
        """The per-miner panel (every 30 days) as a DataFrame indexed by ``(day, agent_id)``."""
        import pandas as pd

        rows = list(self.model.agent_panel)
        if not rows:
            return pd.DataFrame(index=pd.MultiIndex.from_arrays([[], []], names=["day", "agent_id"]))
        return pd.DataFrame(rows).set_index(["day", "agent_id"])

    def get_table_dataframe(self, table_name: str):
        """One of ``TABLES`` as a DataFrame (Mesa's ``get_table_dataframe``).

        Raises:
            KeyError: Another name, listing the tables there are (as Mesa does for an unknown table).
        """
        import pandas as pd

        if table_name not in TABLES:
            raise KeyError(f"{table_name!r}: no such table (accepted: {', '.join(TABLES)})")
        if table_name == "events":
            rows = list(self.model.events)
        elif table_name == "sales":
            rows = [dataclasses.asdict(s) for s in self.model.site_market.sales]
        else:
            rows = [_lease_row(x) for x in self.model.leases.leases]
        return pd.DataFrame(rows)


def _lease_row(lease: Any) -> dict:
    if dataclasses.is_dataclass(lease):
        return {k: (str(v) if k == "kind" else v) for k, v in dataclasses.asdict(lease).items()}
    return dict(vars(lease))
