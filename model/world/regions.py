"""Grid regions: the places miners sit, their power prices, grid rules and hashrate shares.

The data live in the sourced file ``model/data/regions.toml`` (every region says where its numbers
come from). This module loads and validates that file into frozen pydantic models and offers two
views of it:

* ``region_graph`` -- a ``networkx.Graph`` with one node per region and one edge per adjacency or
  intertie, for spatial rules (where capacity can move, which grids are neighbours).
* ``RegionTable`` -- read-only numpy arrays over the regions in a fixed order, for vectorised code.

A bad file raises ``RegionDataError`` with a one-line message naming the file, the region (or edge)
and the field, and saying what is accepted.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import annotated_types
import networkx as nx
import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

DATA_PACKAGE = "hashpivot.model.data"
PACKAGED_FILE = "regions.toml"
SHARE_TOLERANCE = 1e-9
"""How far the hashrate shares may sum from 1.0."""

_TOP_LEVEL_KEYS = ("meta", "regions", "edges")


class RegionDataError(ValueError):
    """A region data file is unreadable or fails validation (one-line message)."""


class _FieldProblem(ValueError):
    """A cross-field check failed; carries the name of the field to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _num(ge: float, le: float, description: str, *, gt: float | None = None) -> Any:
    """A finite-number ``Field`` with bounds; ``gt`` replaces ``ge`` when given."""
    if gt is not None:
        return Field(gt=gt, le=le, allow_inf_nan=False, description=description)
    return Field(ge=ge, le=le, allow_inf_nan=False, description=description)


def _require_number(value: Any) -> Any:
    """Pass an int or float through; raise ``ValueError`` for anything else, booleans included."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {type(value).__name__}")
    return value


class Region(BaseModel):
    """One grid region: prices, demand response, interconnection, rules, capacity, mining presence.

    The id is the region's table name in the data file (``[regions.ERCOT]`` -> ``"ERCOT"``). Units
    are in the field names and descriptions; the sources are in ``source``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(
        pattern=r"^[A-Z][A-Z0-9_]*$",
        description="Region id, upper-case letters, digits and '_' (no unit).",
    )
    name: str = Field(min_length=1, description="Human-readable name (no unit).")
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code, e.g. 'US' (no unit).")
    lon: float = _num(-180.0, 180.0, "Longitude of the region's mining centre, degrees east.")
    lat: float = _num(-90.0, 90.0, "Latitude of the region's mining centre, degrees north.")
    price_mean_usd_per_mwh: float = _num(
        0.0, 1000.0, "Mean of the non-scarcity hourly power price a large load faces, USD/MWh."
    )
    price_sigma_log: float = _num(
        0.0,
        0.8,
        "Standard deviation of the log hourly non-scarcity price, dimensionless (log USD/MWh); 0 = a flat tariff "
        "(the price moves neither by hour nor by day, nor with load).",
    )
    scarcity_hours_per_year: float = _num(0.0, 1000.0, "Expected hours per year at the scarcity price, h/yr.")
    scarcity_price_usd_per_mwh: float = _num(
        0.0,
        20000.0,
        "Price in scarcity hours (e.g. ERCOT's 5,000 cap), USD/MWh; ignored when there are none.",
    )
    dr_capacity_usd_per_mw_day: float = _num(
        0.0, 2000.0, "Demand-response payment per MW of curtailable load enrolled, USD/MW-day."
    )
    dr_event_usd_per_mwh: float = _num(
        0.0, 10000.0, "Payment per MWh curtailed when called in scarcity hours, USD/MWh."
    )
    study_months_flexible: float = _num(
        0.0, 120.0, "Interconnection study time for a curtailable (flexible) large load, months."
    )
    study_months_firm: float = _num(
        0.0,
        120.0,
        "Interconnection study time for a firm large load, months (>= the flexible time).",
    )
    large_load_threshold_mw: float = _num(
        0.0,
        10000.0,
        "Size from which large-load rules apply, MW (0 = no rule; 1 = every registered miner).",
    )
    large_load_curtail_hours_per_year: float = _num(
        0.0,
        8760.0,
        "Emergency curtailment a large load can be ordered to take, h/yr (0 when no rule).",
    )
    large_load_study_fee_usd: float = _num(0.0, 1e8, "Study fee for a large-load request, USD.")
    regulatory_risk_premium: float = _num(
        0.0,
        0.15,
        "Premium added to annual discount rates for regulatory risk, 1/yr (fraction, 0.05 = 5%).",
    )
    spare_capacity_mw: float = _num(0.0, 1e6, "Grid headroom available for new large loads at the start (2024), MW.")
    headroom_growth_mw_per_year: float = _num(0.0, 1e5, "Growth of that headroom, MW/yr.")
    hashrate_share_2024: float = _num(
        0.0, 1.0, "Region's share of network hashrate in 2024, fraction (sums to 1 over regions)."
    )
    typical_site_mw: float = _num(0.0, 5000.0, "Typical size of a mining site in the region, MW (> 0).", gt=0.0)
    convertible_share: float = _num(0.0, 1.0, "Share of the region's mining MW that could convert to AI/HPC, fraction.")
    hyperscaler_access: float = _num(
        0.0,
        1.0,
        "How readily US hyperscalers sign leases there, 0 (never) .. 1 (as in the US), index.",
    )
    system_load_mw: float = _num(
        0.0, 2e6, "Average load of the region's grid in 2024 (annual consumption / 8,760 h), MW (> 0).", gt=0.0
    )
    price_load_elasticity: float = _num(
        0.0,
        20.0,
        "Short-run inverse elasticity of supply: % change of the hourly power price per % change of load; "
        "0 where tariffs are regulated and load does not move the price, ratio.",
    )
    source: str = Field(min_length=1, description="Where the numbers come from (no unit).")

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """Reject booleans and strings for numeric fields (pydantic's lax mode coerces them)."""
        return _require_number(value) if info.field_name in NUMERIC_FIELDS else value

    @model_validator(mode="after")
    def _consistent(self) -> Region:
        """Cross-field rules: firm study >= flexible, curtailment needs a rule, scarcity >= mean."""
        if self.study_months_firm < self.study_months_flexible:
            raise _FieldProblem(
                "study_months_firm",
                f"{self.study_months_firm} is below study_months_flexible={self.study_months_flexible}",
            )
        if self.large_load_threshold_mw == 0.0 and self.large_load_curtail_hours_per_year > 0.0:
            raise _FieldProblem(
                "large_load_curtail_hours_per_year",
                f"{self.large_load_curtail_hours_per_year} h/yr with large_load_threshold_mw=0 (no rule)",
            )
        if self.scarcity_hours_per_year > 0.0 and self.scarcity_price_usd_per_mwh < self.price_mean_usd_per_mwh:
            raise _FieldProblem(
                "scarcity_price_usd_per_mwh",
                f"{self.scarcity_price_usd_per_mwh} is below price_mean_usd_per_mwh="
                f"{self.price_mean_usd_per_mwh} although scarcity_hours_per_year > 0",
            )
        if self.price_sigma_log == 0.0 and self.price_load_elasticity > 0.0:
            raise _FieldProblem(
                "price_load_elasticity",
                f"{self.price_load_elasticity} for a flat tariff (price_sigma_log = 0): "
                "a tariff does not move with load",
            )
        return self

    @property
    def is_us(self) -> bool:
        """Whether the region is in the United States (``country == "US"``)."""
        return self.country == "US"


NUMERIC_FIELDS: tuple[str, ...] = tuple(
    name for name, info in Region.model_fields.items() if info.annotation in (float, "float")
)
"""Region's numeric fields in declaration order (the float64 arrays of ``RegionTable``)."""


class Edge(BaseModel):
    """An adjacency ("adjacent", synchronous seam) or intertie ("transmission", DC tie).

    Undirected: ``a`` and ``b`` are the two end regions.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    a: str = Field(min_length=1, description="Id of one end region (no unit).")
    b: str = Field(min_length=1, description="Id of the other end region (no unit).")
    kind: Literal["adjacent", "transmission"] = Field(
        description="'adjacent' (synchronous seam) or 'transmission' (DC tie) (no unit)."
    )
    capacity_mw: float = _num(0.0, 1e5, "Approximate transfer capability between the two regions, MW.")
    note: str = Field(default="", description="Which lines, and how approximate (no unit).")

    @field_validator("capacity_mw", mode="before")
    @classmethod
    def _capacity_is_a_number(cls, value: Any) -> Any:
        """Reject booleans and strings (pydantic's lax mode would coerce them)."""
        return _require_number(value)


class Meta(BaseModel):
    """The data file's ``[meta]`` table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = Field(default="", description="Title of the data set (no unit).")
    as_of: int = Field(ge=1900, le=2200, description="Year the values describe, calendar year.")
    currency: str = Field(default="USD", description="Currency of all money fields and conversions used.")
    sources: tuple[str, ...] = Field(min_length=1, description="The sources the file draws on (no unit).")


class RegionSet(dict[str, Region]):
    """The regions of a data file by id, in file order, carrying the file's edges, meta and path.

    A plain ``dict`` for all purposes; ``region_graph`` uses ``edges`` when given one of these.
    """

    def __init__(
        self,
        regions: Mapping[str, Region],
        *,
        edges: Iterable[Edge] = (),
        meta: Meta | None = None,
        path: str = "",
    ):
        super().__init__(regions)
        self.edges: tuple[Edge, ...] = tuple(edges)
        self.meta = meta
        self.path = path


# --------------------------------------------------------------------------------------------------
# Loading and validation
# --------------------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    """Collapse whitespace (including newlines) so an error message stays on one line."""
    return re.sub(r"\s+", " ", str(text)).strip()


def _fail(file: str, where: str, field: str | None, problem: str, accepted: str) -> RegionDataError:
    """Build a one-line ``RegionDataError``: file, where, field, problem, what is accepted."""
    parts = [file, where] + ([f"field {field!r}"] if field else []) + [problem]
    return RegionDataError(_one_line(": ".join([", ".join(parts[:-1]), parts[-1]]) + f"; accepted: {accepted}"))


def _accepted(model: type[BaseModel], field: str) -> str:
    """Describe what a model field accepts: type, bounds and description (with the unit)."""
    info = model.model_fields.get(field)
    if info is None:
        return "fields " + ", ".join(model.model_fields)
    bounds = []
    for item in info.metadata:
        for attr, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            value = getattr(item, attr, None)
            if value is not None and isinstance(item, annotated_types.BaseMetadata):
                bounds.append(f"{symbol} {value:g}")
        pattern = getattr(item, "pattern", None)
        if pattern:
            bounds.append(f"matching {pattern}")
    kind = "a number" if info.annotation in (float, "float") else "a value"
    if info.annotation in (str, "str"):
        kind = "a string"
    text = kind + (" " + " and ".join(bounds) if bounds else "")
    return f"{text} ({info.description.rstrip('.')})" if info.description else text


def _translate(exc: ValidationError, model: type[BaseModel], file: str, where: str) -> RegionDataError:
    """Turn pydantic's first validation error into a one-line ``RegionDataError``."""
    err = exc.errors()[0]
    loc = [str(part) for part in err.get("loc", ())]
    field = loc[0] if loc else None
    problem_exc = (err.get("ctx") or {}).get("error")
    if isinstance(problem_exc, _FieldProblem):
        return _fail(file, where, problem_exc.field, str(problem_exc), _accepted(model, problem_exc.field))
    if err["type"] == "extra_forbidden":
        accepted = "fields " + ", ".join(n for n in model.model_fields if n != "id")
        return _fail(file, where, field, "unknown field", accepted)
    if err["type"] == "missing":
        return _fail(file, where, field, "missing", _accepted(model, field or ""))
    problem = f"{err['msg']} (got {err.get('input')!r})"
    return _fail(file, where, field, problem, _accepted(model, field or ""))


def _read(path: Path | None) -> tuple[str, dict[str, Any]]:
    """Read and parse the TOML file; return its display name and content."""
    source: Path | Traversable = resources.files(DATA_PACKAGE).joinpath(PACKAGED_FILE) if path is None else Path(path)
    file = str(source)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegionDataError(_one_line(f"{file}: cannot read the file: {exc}")) from exc
    try:
        return file, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegionDataError(_one_line(f"{file}: not valid TOML: {exc}")) from exc


def _parse_regions(file: str, raw: Any) -> dict[str, Region]:
    """Validate the ``[regions.*]`` tables into ``Region`` objects, in file order."""
    if not isinstance(raw, dict) or not raw:
        raise _fail(file, "[regions]", None, "missing or empty", "one [regions.<ID>] table per region")
    regions: dict[str, Region] = {}
    for region_id, table in raw.items():
        where = f"region {region_id!r}"
        if not isinstance(table, dict):
            raise _fail(file, where, None, "is not a table", "a [regions.<ID>] table of fields")
        if "id" in table:
            raise _fail(file, where, "id", "must not be set", "the id is the table name, [regions.<ID>]")
        try:
            regions[region_id] = Region(id=region_id, **table)
        except ValidationError as exc:
            raise _translate(exc, Region, file, where) from exc
    return regions


def _check_shares(file: str, regions: Mapping[str, Region]) -> None:
    """The 2024 hashrate shares must sum to 1 within ``SHARE_TOLERANCE``."""
    total = math.fsum(r.hashrate_share_2024 for r in regions.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise _fail(
            file,
            "all regions",
            "hashrate_share_2024",
            f"shares sum to {total:.12g}",
            f"shares summing to 1 within {SHARE_TOLERANCE:g}",
        )


def _parse_edges(file: str, raw: Any, regions: Mapping[str, Region]) -> tuple[Edge, ...]:
    """Validate the ``[[edges]]`` array: fields, known distinct end regions, no duplicate pairs."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(file, "[[edges]]", None, "is not an array of tables", "[[edges]] tables")
    edges: list[Edge] = []
    seen: set[frozenset[str]] = set()
    known = ", ".join(regions)
    for number, table in enumerate(raw, start=1):
        label = f"{table.get('a', '?')}-{table.get('b', '?')}" if isinstance(table, dict) else "?"
        where = f"edge #{number} ({label})"
        if not isinstance(table, dict):
            raise _fail(file, where, None, "is not a table", "[[edges]] tables")
        try:
            edge = Edge(**table)
        except ValidationError as exc:
            raise _translate(exc, Edge, file, where) from exc
        for end in ("a", "b"):
            if getattr(edge, end) not in regions:
                raise _fail(file, where, end, f"unknown region {getattr(edge, end)!r}", f"one of {known}")
        if edge.a == edge.b:
            raise _fail(file, where, "b", "same region as 'a'", "a region other than 'a'")
        pair = frozenset((edge.a, edge.b))
        if pair in seen:
            raise _fail(file, where, "b", "duplicate edge", "at most one edge per pair of regions")
        seen.add(pair)
        edges.append(edge)
    return tuple(edges)


def load_regions(path: Path | None = None) -> RegionSet:
    """Load and validate a regions file.

    Args:
        path: A TOML file in the format of ``model/data/regions.toml``; ``None`` loads that
            packaged file.

    Returns:
        The regions by id in file order, as a ``RegionSet`` (a ``dict[str, Region]`` that also
        carries the file's ``edges``, ``meta`` and ``path``).

    Raises:
        RegionDataError: if the file cannot be read or parsed, has unknown or missing fields,
            values out of bounds, hashrate shares not summing to 1, or edges to unknown regions.
            The message is one line naming the file, the region or edge, the field and what is
            accepted.
    """
    file, data = _read(path)
    for key in data:
        if key not in _TOP_LEVEL_KEYS:
            raise _fail(
                file,
                f"top-level key {key!r}",
                None,
                "unknown",
                "tables " + ", ".join(_TOP_LEVEL_KEYS),
            )
    if "meta" not in data:
        raise _fail(file, "[meta]", None, "missing", "a [meta] table with a 'sources' list")
    try:
        meta = Meta.model_validate(data["meta"])
    except ValidationError as exc:
        raise _translate(exc, Meta, file, "[meta]") from exc
    regions = _parse_regions(file, data.get("regions"))
    _check_shares(file, regions)
    edges = _parse_edges(file, data.get("edges"), regions)
    return RegionSet(regions, edges=edges, meta=meta, path=file)


# --------------------------------------------------------------------------------------------------
# Views: graph and table
# --------------------------------------------------------------------------------------------------


def region_graph(regions: Mapping[str, Region], edges: Iterable[Edge] | None = None) -> nx.Graph:
    """Build the region graph.

    Nodes are region ids with attributes ``region`` (the ``Region``), every plain field of it
    (``name``, ``country``, ``price_mean_usd_per_mwh``, ...) and ``is_us``. Edges carry ``kind``,
    ``capacity_mw`` and ``note``. Regions without an intertie to another listed region are
    isolated nodes.

    Args:
        regions: Regions by id, e.g. from ``load_regions``.
        edges: The edges to use. ``None`` takes ``regions.edges`` for a ``RegionSet``, otherwise
            the packaged file's edges between the given regions.

    Returns:
        An undirected ``networkx.Graph``; ``graph.graph["sources"]`` holds the file's meta
        sources when known.

    Raises:
        RegionDataError: if an explicitly given edge names a region not in ``regions``.
    """
    meta: Meta | None = getattr(regions, "meta", None)
    if edges is None:
        if isinstance(regions, RegionSet):
            edges = regions.edges
        else:
            packaged = load_regions()
            meta = meta or packaged.meta
            edges = [e for e in packaged.edges if e.a in regions and e.b in regions]
    graph = nx.Graph()
    graph.graph["sources"] = meta.sources if meta is not None else ()
    for region_id, region in regions.items():
        graph.add_node(region_id, region=region, is_us=region.is_us, **region.model_dump())
    for edge in edges:
        for end in (edge.a, edge.b):
            if end not in regions:
                raise RegionDataError(
                    _one_line(
                        f"region_graph: edge {edge.a}-{edge.b}, field 'a'/'b': "
                        f"unknown region {end!r}; "
                        f"accepted: one of {', '.join(regions)}"
                    )
                )
        graph.add_edge(edge.a, edge.b, kind=edge.kind, capacity_mw=edge.capacity_mw, note=edge.note)
    return graph


def _frozen(values: Iterable[Any], dtype: type) -> np.ndarray:
    """A read-only numpy array."""
    array = np.asarray(list(values), dtype=dtype)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class RegionTable:
    """Read-only numpy arrays over regions in a fixed order, for vectorised code.

    The order is the order of the mapping given to ``from_regions`` (file order for
    ``load_regions``); ``ids[i]`` is the region of element ``i`` of every array, and ``index[id]``
    is ``i``. Each numeric field of ``Region`` is a float64 array of the same name (units as in
    ``Region``); ``is_us`` is a bool array.
    """

    ids: tuple[str, ...]
    index: Mapping[str, int]
    names: tuple[str, ...]
    countries: tuple[str, ...]
    is_us: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    price_mean_usd_per_mwh: np.ndarray
    price_sigma_log: np.ndarray
    scarcity_hours_per_year: np.ndarray
    scarcity_price_usd_per_mwh: np.ndarray
    dr_capacity_usd_per_mw_day: np.ndarray
    dr_event_usd_per_mwh: np.ndarray
    study_months_flexible: np.ndarray
    study_months_firm: np.ndarray
    large_load_threshold_mw: np.ndarray
    large_load_curtail_hours_per_year: np.ndarray
    large_load_study_fee_usd: np.ndarray
    regulatory_risk_premium: np.ndarray
    spare_capacity_mw: np.ndarray
    headroom_growth_mw_per_year: np.ndarray
    hashrate_share_2024: np.ndarray
    typical_site_mw: np.ndarray
    convertible_share: np.ndarray
    hyperscaler_access: np.ndarray
    system_load_mw: np.ndarray
    price_load_elasticity: np.ndarray

    @classmethod
    def from_regions(cls, regions: Mapping[str, Region]) -> RegionTable:
        """Build the table from regions by id (their order is kept).

        Args:
            regions: Regions by id, e.g. from ``load_regions``; must not be empty.

        Returns:
            The table; all arrays are read-only.

        Raises:
            ValueError: if ``regions`` is empty or a key differs from its region's id.
        """
        if not regions:
            raise ValueError("RegionTable.from_regions: no regions given")
        for key, region in regions.items():
            if key != region.id:
                raise ValueError(f"RegionTable.from_regions: key {key!r} holds region {region.id!r}")
        items = list(regions.values())
        arrays = {name: _frozen((getattr(r, name) for r in items), np.float64) for name in NUMERIC_FIELDS}
        ids = tuple(regions)
        return cls(
            ids=ids,
            index=MappingProxyType({region_id: i for i, region_id in enumerate(ids)}),
            names=tuple(r.name for r in items),
            countries=tuple(r.country for r in items),
            is_us=_frozen((r.is_us for r in items), np.bool_),
            **arrays,
        )

    def __len__(self) -> int:
        """Number of regions."""
        return len(self.ids)

    def column(self, field: str) -> np.ndarray:
        """The float64 array of a numeric ``Region`` field by name.

        Raises:
            KeyError: if ``field`` is not a numeric field of ``Region``.
        """
        if field not in NUMERIC_FIELDS:
            raise KeyError(f"{field!r} is not a numeric Region field; accepted: {', '.join(NUMERIC_FIELDS)}")
        return getattr(self, field)
