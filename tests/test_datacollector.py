"""Mesa conventions (issue 20, item 9): `model.datacollector` answers what Mesa's DataCollector does."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from hashpivot import HashpivotModel
from hashpivot.model.world.datacollector import RecorderDataCollector

DAYS = 35


@pytest.fixture(scope="module")
def model() -> HashpivotModel:
    m = HashpivotModel(seed=1)
    # Mesa's own DataCollector beside it, as a Mesa user would write one: the adapter must agree with it.
    mesa_dc = mesa.DataCollector(
        model_reporters={
            "network_hashrate_ehs": lambda mm: mm.recorder.last("network_hashrate_ehs"),
            "mw_ai_leased": lambda mm: mm.recorder.last("mw_ai_leased"),
        }
    )
    for _ in range(DAYS):
        m.step()
        mesa_dc.collect(m)
    m.mesa_reference = mesa_dc
    return m


def test_model_vars_match_mesas_own_datacollector(model):
    frame = RecorderDataCollector(model).get_model_vars_dataframe()
    reference = model.mesa_reference.get_model_vars_dataframe()
    assert frame.index.name == "day" and frame.index.tolist() == list(range(DAYS))
    for column in reference.columns:
        np.testing.assert_array_equal(frame[column].to_numpy(), reference[column].to_numpy())
    assert str(frame["date"].iloc[0].date()) == "2024-04-20" and "day" not in frame.columns
    assert set(frame.columns) == {"date", *model.recorder.columns} - {"day"}


def test_agent_vars_are_the_panel_by_day_and_agent(model):
    dc = RecorderDataCollector(model)
    panel = dc.get_agent_vars_dataframe()
    assert panel.index.names == ["day", "agent_id"]
    assert len(panel) == len(model.agent_panel) == len(model.miners)  # one snapshot (day 29) in 35 days
    row = model.agent_panel[0]
    assert panel.loc[(row["day"], row["agent_id"]), "cash_usd"] == row["cash_usd"]
    assert dc.model_vars["mw_ai_leased"] == model.recorder.column("mw_ai_leased").tolist()
    dc.collect(model)  # a Mesa habit: harmless, the model records itself
    assert len(dc.get_model_vars_dataframe()) == DAYS


def test_tables(model):
    dc = RecorderDataCollector(model)
    assert len(dc.get_table_dataframe("events")) == len(model.events)
    assert len(dc.get_table_dataframe("sales")) == len(model.site_market.sales)
    leases = dc.get_table_dataframe("leases")
    assert len(leases) == len(model.leases.leases)
    with pytest.raises(KeyError, match="accepted: events, sales, leases"):
        dc.get_table_dataframe("nope")


def test_the_model_offers_it_as_datacollector(model):
    # The one-line property on HashpivotModel (model/simulation.py) that Mesa users look for.
    assert isinstance(model.datacollector, RecorderDataCollector)
    assert model.datacollector.get_model_vars_dataframe().shape[0] == DAYS
