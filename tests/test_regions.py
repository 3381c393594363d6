"""Tests for model.regions: the packaged regions file, its graph and table views, and bad files."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import numpy as np
import pydantic
import pytest

from hashpivot.model.world.regions import (
    NUMERIC_FIELDS,
    Region,
    RegionDataError,
    RegionSet,
    RegionTable,
    load_regions,
    region_graph,
)

PACKAGED = Path(__file__).resolve().parents[1] / "model" / "data" / "regions.toml"

REQUIRED_IDS = {
    "ERCOT",
    "PJM",
    "MISO",
    "SPP",
    "NYISO",
    "US_WEST",
    "QUEBEC",
    "ALBERTA",
    "NORDICS",
    "RUSSIA",
    "CHINA",
    "KAZAKHSTAN",
    "PARAGUAY",
    "ETHIOPIA",
    "MIDDLE_EAST",
}
NORTH_AMERICA = {"ERCOT", "PJM", "MISO", "SPP", "NYISO", "US_WEST", "QUEBEC", "ALBERTA"}


@pytest.fixture(scope="module")
def regions() -> RegionSet:
    return load_regions()


# ----------------------------------------------------------------------------------------------
# The packaged file
# ----------------------------------------------------------------------------------------------


def test_packaged_file_loads_and_matches_explicit_path(regions):
    assert isinstance(regions, RegionSet)
    assert all(isinstance(r, Region) for r in regions.values())
    assert regions.meta is not None and len(regions.meta.sources) >= 3
    assert load_regions(PACKAGED) == regions


def test_has_all_required_ids(regions):
    assert REQUIRED_IDS <= set(regions)
    assert all(key == region.id for key, region in regions.items())


def test_every_region_names_its_source(regions):
    for region in regions.values():
        assert len(region.source) > 40, region.id


def test_regions_are_frozen(regions):
    with pytest.raises(pydantic.ValidationError):
        regions["ERCOT"].price_mean_usd_per_mwh = 1.0


def test_shares_sum_to_one(regions):
    total = math.fsum(r.hashrate_share_2024 for r in regions.values())
    assert abs(total - 1.0) <= 1e-9


def test_geography_matches_calibration(regions):
    us = math.fsum(r.hashrate_share_2024 for r in regions.values() if r.is_us)
    assert 0.33 <= us <= 0.40
    assert 0.20 <= regions["ERCOT"].hashrate_share_2024 / us <= 0.35
    assert regions["RUSSIA"].hashrate_share_2024 == pytest.approx(0.17, abs=0.02)
    assert regions["CHINA"].hashrate_share_2024 == pytest.approx(0.14, abs=0.02)


def test_ercot_rules_and_scarcity(regions):
    ercot = regions["ERCOT"]
    assert ercot.large_load_threshold_mw == 75.0
    assert ercot.large_load_study_fee_usd >= 100_000.0
    assert ercot.scarcity_price_usd_per_mwh == 5000.0
    assert ercot.price_mean_usd_per_mwh == 27.3
    assert ercot.study_months_flexible == pytest.approx(150 / 30.4, abs=0.2)
    assert ercot.study_months_firm == 24.0
    # 4CP avoidance of 50-150 $/kW-yr is 137-411 $/MW-day.
    assert 50e3 / 365 <= ercot.dr_capacity_usd_per_mw_day <= 150e3 / 365
    others = [r.scarcity_hours_per_year for r in regions.values() if r.id != "ERCOT"]
    assert ercot.scarcity_hours_per_year > max(others)


def test_convertible_share_and_access_are_plausible(regions):
    us = [r for r in regions.values() if r.is_us]
    us_share = math.fsum(r.hashrate_share_2024 for r in us)
    us_convertible = math.fsum(r.hashrate_share_2024 * r.convertible_share for r in us) / us_share
    assert 0.15 <= us_convertible <= 0.25  # ~20% of a (US) miner's portfolio, calibration.md
    assert all(r.hyperscaler_access == 1.0 for r in us)
    for region_id in ("RUSSIA", "CHINA"):
        assert regions[region_id].hyperscaler_access <= 0.05
        assert regions[region_id].convertible_share <= 0.05
        assert regions[region_id].regulatory_risk_premium >= 0.1


def test_cross_field_rules_hold(regions):
    for r in regions.values():
        assert r.study_months_firm >= r.study_months_flexible, r.id
        if r.large_load_threshold_mw == 0.0:
            assert r.large_load_curtail_hours_per_year == 0.0, r.id


# ----------------------------------------------------------------------------------------------
# The graph
# ----------------------------------------------------------------------------------------------


def test_graph_nodes_and_edges(regions):
    graph = region_graph(regions)
    assert set(graph.nodes) == set(regions)
    node = graph.nodes["ERCOT"]
    assert node["region"] is regions["ERCOT"]
    assert node["large_load_threshold_mw"] == 75.0 and node["is_us"] is True
    assert graph.has_edge("ERCOT", "SPP") and graph.has_edge("NYISO", "QUEBEC")
    for _, _, data in graph.edges(data=True):
        assert data["kind"] in {"adjacent", "transmission"}
        assert data["capacity_mw"] >= 0.0
    assert graph.graph["sources"] == regions.meta.sources


def test_graph_connected_within_north_america(regions):
    graph = region_graph(regions)
    assert nx.is_connected(graph.subgraph(NORTH_AMERICA))
    assert nx.is_connected(graph.subgraph({"RUSSIA", "CHINA", "KAZAKHSTAN", "NORDICS"}))


def test_graph_from_plain_dict_uses_packaged_edges_between_given_regions(regions):
    subset = {rid: regions[rid] for rid in ("ERCOT", "SPP", "MISO")}
    graph = region_graph(subset)
    assert set(graph.edges) == {("ERCOT", "SPP"), ("SPP", "MISO")}


# ----------------------------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------------------------


def test_region_table_aligns_with_ids(regions):
    table = RegionTable.from_regions(regions)
    assert table.ids == tuple(regions)
    assert len(table) == len(regions)
    for region_id, i in table.index.items():
        assert table.ids[i] == region_id
        region = regions[region_id]
        assert table.is_us[i] == region.is_us
        assert table.countries[i] == region.country
        for name in NUMERIC_FIELDS:
            assert table.column(name)[i] == getattr(region, name), (region_id, name)
    for name in NUMERIC_FIELDS:
        array = getattr(table, name)
        assert array.dtype == np.float64 and array.shape == (len(regions),)
    assert table.is_us.dtype == np.bool_
    assert table.hashrate_share_2024[table.is_us].sum() == pytest.approx(0.37, abs=0.03)


def test_region_table_is_read_only(regions):
    table = RegionTable.from_regions(regions)
    with pytest.raises(ValueError):
        table.spare_capacity_mw[0] = 1.0
    with pytest.raises(TypeError):
        table.index["X"] = 99  # type: ignore[index]
    with pytest.raises(KeyError, match="numeric Region field"):
        table.column("name")


# ----------------------------------------------------------------------------------------------
# Bad files
# ----------------------------------------------------------------------------------------------


def _write_variant(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    text = PACKAGED.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "bad_regions.toml"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "where"),
    [
        (
            "typical_site_mw = 150.0",
            "typical_site_mw = 150.0\nsite_colour = 3",
            "site_colour",
            "ERCOT",
        ),
        ("spare_capacity_mw = 6000.0", "spare_capacity_mw = -6000.0", "spare_capacity_mw", "ERCOT"),
        ('a = "ERCOT"\nb = "SPP"', 'a = "ERCOT"\nb = "ATLANTIS"', "'b'", "ATLANTIS"),
        (
            "hashrate_share_2024 = 0.104",
            "hashrate_share_2024 = 0.2",
            "hashrate_share_2024",
            "1.096",
        ),
        ("price_sigma_log = 0.6", "price_sigma_log = 1.5", "price_sigma_log", "ERCOT"),
        ('"ERCOT (Texas)"\ncountry = "US"', '"ERCOT (Texas)"\ncountry = "USA"', "country", "ERCOT"),
        ("lon = -99.0", 'lon = "west"', "lon", "ERCOT"),
        ("lon = -99.0\n", "", "lon", "ERCOT"),
        ("study_months_firm = 24.0", "study_months_firm = 2.0", "study_months_firm", "ERCOT"),
        (
            "large_load_curtail_hours_per_year = 0.0",
            "large_load_curtail_hours_per_year = 9.0",
            "large_load_curtail_hours_per_year",
            "PJM",
        ),
        ("convertible_share = 0.25", "convertible_share = true", "convertible_share", "ERCOT"),
        ("price_sigma_log = 0.6", "price_sigma_log = 0.0", "price_load_elasticity", "ERCOT"),  # a flat tariff
    ],
)
def test_bad_file_raises_one_line_error_naming_file_and_field(tmp_path, old, new, field, where):
    path = _write_variant(tmp_path, old, new)
    with pytest.raises(RegionDataError) as info:
        load_regions(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    assert field in message
    assert where in message
    assert "accepted" in message
    assert isinstance(info.value, ValueError)


def test_bad_toml_and_missing_file(tmp_path):
    path = _write_variant(tmp_path, "[meta]", "[meta")
    with pytest.raises(RegionDataError, match="not valid TOML"):
        load_regions(path)
    with pytest.raises(RegionDataError, match="cannot read"):
        load_regions(tmp_path / "nope.toml")


def test_duplicate_edge_and_unknown_top_level_key(tmp_path):
    text = PACKAGED.read_text(encoding="utf-8")
    dup = tmp_path / "dup.toml"
    dup.write_text(
        text + '\n[[edges]]\na = "SPP"\nb = "ERCOT"\nkind = "adjacent"\ncapacity_mw = 1.0\n',
        encoding="utf-8",
    )
    with pytest.raises(RegionDataError, match="duplicate edge"):
        load_regions(dup)
    extra = tmp_path / "extra.toml"
    extra.write_text("[scenario]\nx = 1\n" + text, encoding="utf-8")
    with pytest.raises(RegionDataError, match="top-level key 'scenario'"):
        load_regions(extra)
