"""Tests for the schema-agnostic config modules: loading, inheritance, overrides, validation messages, dumping."""

from __future__ import annotations

import enum
import math
import pickle
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hashpivot.model.config.dotted import DottedKeyError, set_dotted
from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.inherit import deep_merge, resolve_bases
from hashpivot.model.config.loader import load_config
from hashpivot.model.config.overrides import apply_overrides, parse_override
from hashpivot.model.config.phrases import bounds
from hashpivot.model.config.suggest import did_you_mean
from hashpivot.model.config.toml_io import MAX_FILE_BYTES, dump_toml, file_sha256, load_toml
from hashpivot.model.config.validation import validate
from hashpivot.model.config.walker import KeyNotInSchema, walk_key

# ---------------------------------------------------------------------------------------------
# A small schema shaped like a scenario: nested tables, an array of tables, a tagged union,
# a table of tables, Literal, Enum, date, bounds.
# ---------------------------------------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ConstantPrice(Strict):
    kind: Literal["constant"] = "constant"
    usd: float = Field(60_000.0, gt=0)


class GbmPrice(Strict):
    kind: Literal["gbm"]
    mu: float = 0.0
    sigma: float = Field(0.5, ge=0, le=5)


class Archetype(Strict):
    name: str
    count: int = Field(ge=0)


class Miners(Strict):
    count: int = Field(10, ge=0)
    archetypes: list[Archetype] = []


class Policy(enum.Enum):
    SPOT = "spot"
    LEASE = "lease"


class Market(Strict):
    lease_rent_usd_per_kw_month: float = Field(100.0, ge=0)
    policy: Policy = Policy.SPOT
    contract: Literal["fixed", "indexed"] = "fixed"


class Region(Strict):
    capacity_mw: float = Field(ge=0)


class Scenario(Strict):
    name: str
    start: date = date(2024, 1, 1)
    days: int = Field(365, ge=1, le=36_500)
    stochastic: bool = False
    market: Market = Market()
    miners: Miners = Miners()
    price: Annotated[ConstantPrice | GbmPrice, Field(discriminator="kind")] = ConstantPrice()
    regions: dict[str, Region] = {}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# load_toml
# ---------------------------------------------------------------------------------------------


def test_load_toml_reads_nested_values(tmp_path):
    path = write(tmp_path, "s.toml", 'name = "x"\nstart = 2024-02-03\n[market]\nrent = 1.5\n')
    assert load_toml(path) == {"name": "x", "start": date(2024, 2, 3), "market": {"rent": 1.5}}


def test_load_toml_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b'\xef\xbb\xbfname = "x"\n')
    assert load_toml(path) == {"name": "x"}


def test_load_toml_accepts_a_file_of_exactly_the_limit(tmp_path):
    line = b'name = "x"\n'
    path = tmp_path / "big.toml"
    path.write_bytes(line + b"#" * (MAX_FILE_BYTES - len(line) - 1) + b"\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_toml(path) == {"name": "x"}


# ---------------------------------------------------------------------------------------------
# resolve_bases and deep_merge
# ---------------------------------------------------------------------------------------------


def test_two_level_inheritance_deep_merges_tables_and_replaces_arrays(tmp_path):
    base = write(
        tmp_path,
        "base.toml",
        'name = "base"\ndays = 30\n[market]\nlease_rent_usd_per_kw_month = 90.0\n'
        'contract = "indexed"\n[miners]\ncount = 5\n'
        '[[miners.archetypes]]\nname = "s19"\ncount = 3\n'
        '[[miners.archetypes]]\nname = "s21"\ncount = 4\n',
    )
    child = write(
        tmp_path,
        "child.toml",
        'base = "base"\nname = "child"\n[market]\nlease_rent_usd_per_kw_month = 120.0\n'
        '[[miners.archetypes]]\nname = "m60"\ncount = 1\n',
    )
    data, chain = resolve_bases(child)
    assert data == {
        "name": "child",
        "days": 30,
        "market": {"lease_rent_usd_per_kw_month": 120.0, "contract": "indexed"},
        "miners": {"count": 5, "archetypes": [{"name": "m60", "count": 1}]},
    }
    assert chain == [child.resolve(), base.resolve()]
    assert "base" not in data


def test_three_level_inheritance_applies_root_first(tmp_path):
    write(tmp_path, "root.toml", 'name = "root"\ndays = 1\n[market]\ncontract = "fixed"\n')
    write(tmp_path, "mid.toml", 'base = "root.toml"\ndays = 2\n[market]\npolicy = "lease"\n')
    leaf = write(tmp_path, "leaf.toml", 'base = "mid"\n[market]\ncontract = "indexed"\n')
    data, chain = resolve_bases(leaf)
    assert data == {
        "name": "root",
        "days": 2,
        "market": {"contract": "indexed", "policy": "lease"},
    }
    assert [p.name for p in chain] == ["leaf.toml", "mid.toml", "root.toml"]
    assert all(p.is_absolute() for p in chain)


def test_base_is_resolved_relative_to_the_file_not_the_cwd(tmp_path, monkeypatch):
    write(tmp_path, "shared/common.toml", 'name = "common"\ndays = 7\n')
    child = write(tmp_path, "runs/deep/child.toml", 'base = "../../shared/common"\ndays = 8\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    data, chain = resolve_bases(child)
    assert data == {"name": "common", "days": 8}
    assert chain[1] == (tmp_path / "shared/common.toml").resolve()


def test_relative_input_path_works(tmp_path, monkeypatch):
    write(tmp_path, "runs/base.toml", 'name = "b"\n')
    write(tmp_path, "runs/x.toml", 'base = "base"\ndays = 3\n')
    monkeypatch.chdir(tmp_path)
    data, chain = resolve_bases(Path("runs/x.toml"))
    assert data == {"name": "b", "days": 3}
    assert chain == [(tmp_path / "runs/x.toml").resolve(), (tmp_path / "runs/base.toml").resolve()]


def test_builtin_dir_is_searched_after_the_files_folder(tmp_path):
    builtin = tmp_path / "builtin"
    write(builtin, "baseline.toml", 'name = "builtin baseline"\ndays = 100\n')
    write(builtin, "other.toml", 'name = "builtin other"\n')
    write(tmp_path, "runs/other.toml", 'name = "local other"\n')
    uses_builtin = write(tmp_path, "runs/a.toml", 'base = "baseline"\n')
    uses_local = write(tmp_path, "runs/b.toml", 'base = "other"\n')
    assert resolve_bases(uses_builtin, builtin_dir=builtin)[0] == {
        "name": "builtin baseline",
        "days": 100,
    }
    assert resolve_bases(uses_local, builtin_dir=builtin)[0] == {"name": "local other"}


def test_exact_name_is_tried_before_adding_toml(tmp_path):
    write(tmp_path, "common", 'name = "no suffix"\n')
    write(tmp_path, "common.toml", 'name = "with suffix"\n')
    child = write(tmp_path, "child.toml", 'base = "common"\n')
    assert resolve_bases(child)[0] == {"name": "no suffix"}


def test_a_directory_named_like_the_base_is_skipped(tmp_path):
    (tmp_path / "common").mkdir()
    write(tmp_path, "common.toml", 'name = "file"\n')
    child = write(tmp_path, "child.toml", 'base = "common"\n')
    assert resolve_bases(child)[0] == {"name": "file"}


def test_file_without_base_is_its_own_chain(tmp_path):
    path = write(tmp_path, "solo.toml", 'name = "solo"\n')
    assert resolve_bases(path) == ({"name": "solo"}, [path.resolve()])


def test_custom_loader_is_used_for_every_file(tmp_path):
    write(tmp_path, "a.toml", "")  # contents come from the loader; lookup uses the file system
    write(tmp_path, "b.toml", "")
    fake = {"a.toml": {"base": "b", "x": 1}, "b.toml": {"y": 2}}
    seen = []

    def loader(path: Path) -> dict:
        seen.append(path.name)
        return fake[path.name]

    data, _ = resolve_bases(tmp_path / "a.toml", loader=loader)
    assert data == {"x": 1, "y": 2}
    assert seen == ["a.toml", "b.toml"]
    assert fake["a.toml"] == {"base": "b", "x": 1}  # the loader's dict is not modified


def test_base_cycle_is_reported_with_its_chain(tmp_path):
    write(tmp_path, "a.toml", 'base = "b"\nname = "a"\n')
    write(tmp_path, "b.toml", 'base = "c.toml"\n')
    write(tmp_path, "c.toml", 'base = "a"\n')
    with pytest.raises(ConfigError) as info:
        resolve_bases(tmp_path / "a.toml")
    message = str(info.value)
    assert "c.toml: base: base cycle:" in message
    assert message.count("a.toml") == 2  # start of the chain and where it closes
    chain = message.split("base cycle: ")[1].split(" (accepted")[0].split(" -> ")
    assert [Path(p).name for p in chain] == ["a.toml", "b.toml", "c.toml", "a.toml"]


def test_self_reference_is_a_cycle(tmp_path):
    path = write(tmp_path, "self.toml", 'base = "self"\n')
    with pytest.raises(ConfigError, match="base cycle"):
        resolve_bases(path)


def test_deep_merge_rules_and_no_mutation():
    base = {"t": {"a": 1, "inner": {"x": [1, 2]}}, "s": 1, "tab_to_scalar": {"k": 1}, "arr": [1]}
    override = {"t": {"b": 2, "inner": {"y": 3}}, "s": {"now": "table"}, "tab_to_scalar": 5}
    merged = deep_merge(base, override)
    assert merged == {
        "t": {"a": 1, "b": 2, "inner": {"x": [1, 2], "y": 3}},
        "s": {"now": "table"},
        "tab_to_scalar": 5,
        "arr": [1],
    }
    merged["t"]["inner"]["x"].append(99)
    merged["s"]["now"] = "changed"
    assert base["t"]["inner"]["x"] == [1, 2]
    assert override["s"] == {"now": "table"}


# ---------------------------------------------------------------------------------------------
# apply_overrides
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("a.v=1.5", 1.5),
        ("a.v=42", 42),
        ("a.v=-3", -3),
        ("a.v=1e3", 1000.0),
        ("a.v=true", True),
        ("a.v=false", False),
        ('a.v="s"', "s"),
        ("a.v='lit'", "lit"),
        ('a.v=""', ""),
        ("a.v=[1,2]", [1, 2]),
        ('a.v=["x", 2.5]', ["x", 2.5]),
        ("a.v={k = 1}", {"k": 1}),
        ("a.v=2024-01-01", date(2024, 1, 1)),
        ("a.v=2024-01-01T06:30:00", datetime(2024, 1, 1, 6, 30)),
        ("a.v=12:30:00", time(12, 30)),
        ("a.v=gbm", "gbm"),
        ("a.v = spaced words ", "spaced words"),
        ("a.v=1.2.3", "1.2.3"),
        ("a.v=2024-13-01", "2024-13-01"),
    ],
)
def test_override_value_types(override, expected):
    assert apply_overrides({}, [override]) == {"a": {"v": expected}}


@pytest.mark.parametrize("text", ["nan", "inf", "-inf"])
def test_override_non_finite_numbers_parse_as_floats(text):
    value = apply_overrides({}, [f"x={text}"])["x"]
    assert isinstance(value, float) and not math.isfinite(value)


def test_overrides_create_tables_keep_siblings_and_apply_in_order():
    data = {"market": {"contract": "fixed", "policy": "spot"}}
    result = apply_overrides(data, ["market.contract=indexed", "new.deep.key=1", "new.deep.key=2"])
    assert result == {
        "market": {"contract": "indexed", "policy": "spot"},
        "new": {"deep": {"key": 2}},
    }
    assert data == {"market": {"contract": "fixed", "policy": "spot"}}


def test_override_quoted_key_and_array_index():
    data = {"miners": {"archetypes": [{"count": 1}, {"count": 2}]}}
    result = apply_overrides(data, ['regions."us tx".capacity_mw=5', "miners.archetypes.1.count=9"])
    assert result["regions"] == {"us tx": {"capacity_mw": 5}}
    assert result["miners"]["archetypes"] == [{"count": 1}, {"count": 9}]
    assert data["miners"]["archetypes"][1] == {"count": 2}


def test_parse_override_splits_at_the_first_equals_sign():
    assert parse_override('a.b="x=y"') == (("a", "b"), "x=y")


def test_override_then_validate_switches_a_tagged_union(tmp_path):
    path = write(tmp_path, "s.toml", 'name = "s"\n[price]\nkind = "constant"\nusd = 5.0\n')
    data, _ = resolve_bases(path)
    data = apply_overrides(data, ["price={kind = 'gbm', sigma = 0.2}"])
    scenario = validate(Scenario, data, str(path))
    assert isinstance(scenario.price, GbmPrice) and scenario.price.sigma == 0.2


# ---------------------------------------------------------------------------------------------
# validate and load_config
# ---------------------------------------------------------------------------------------------


def test_validate_returns_the_model():
    scenario = validate(Scenario, {"name": "ok", "market": {"policy": "lease"}}, "x.toml")
    assert isinstance(scenario, Scenario) and scenario.market.policy is Policy.LEASE


def test_message_format_matches_the_contract():
    data = {"name": "x", "market": {"lease_rent_usd_per_kw_month": -5}}
    with pytest.raises(ConfigError) as info:
        validate(Scenario, data, "runs/x.toml")
    assert str(info.value) == ("runs/x.toml: market.lease_rent_usd_per_kw_month: -5 is out of range (accepted: >= 0)")
    assert info.value.field == "market.lease_rent_usd_per_kw_month"
    assert info.value.accepted == ">= 0"
    assert info.value.__cause__ is not None  # the full ValidationError stays reachable


def test_message_without_field_omits_that_part(tmp_path):
    path = write(tmp_path, "empty.toml", "")
    with pytest.raises(ConfigError) as info:
        load_toml(path)
    assert str(info.value) == f"{path}: file is empty (accepted: a TOML file with at least one setting)"
    assert info.value.field is None


def test_config_error_survives_pickling():
    err = ConfigError("a.toml", "bad", field="x.y", accepted=">= 0")
    clone = pickle.loads(pickle.dumps(err))
    assert str(clone) == str(err) == "a.toml: x.y: bad (accepted: >= 0)"


def test_config_error_flattens_line_breaks():
    err = ConfigError("we\nird.toml", "two\nlines\r\nhere")
    assert str(err) == "we ird.toml: two lines here"


def test_load_config_returns_model_data_and_chain(tmp_path):
    base = write(tmp_path, "base.toml", 'name = "b"\n[miners]\ncount = 3\n')
    child = write(tmp_path, "child.toml", 'base = "base"\ndays = 9\n')
    model, data, chain = load_config(Scenario, child, ["miners.count=4"])
    assert (model.days, model.miners.count, model.name) == (9, 4, "b")
    assert data == {"name": "b", "days": 9, "miners": {"count": 4}}
    assert chain == [child.resolve(), base.resolve()]


def test_load_config_blames_the_base_file_that_wrote_the_value(tmp_path):
    write(tmp_path, "base.toml", 'name = "b"\n[market]\nlease_rent_usd_per_kw_month = -1.0\n')
    child = write(tmp_path, "child.toml", 'base = "base"\ndays = 9\n')
    with pytest.raises(ConfigError) as info:
        load_config(Scenario, child)
    assert info.value.source == str(tmp_path / "base.toml")
    assert info.value.field == "market.lease_rent_usd_per_kw_month"


def test_load_config_blames_the_child_when_it_overrides_a_bad_base_value(tmp_path):
    write(tmp_path, "base.toml", 'name = "b"\ndays = 1\n')
    child = write(tmp_path, "child.toml", 'base = "base"\ndays = 0\n')
    with pytest.raises(ConfigError) as info:
        load_config(Scenario, child)
    assert info.value.source == str(child)


def test_load_config_blames_the_top_file_for_missing_keys(tmp_path):
    write(tmp_path, "base.toml", "days = 3\n")
    child = write(tmp_path, "child.toml", 'base = "base"\nstochastic = true\n')
    with pytest.raises(ConfigError) as info:
        load_config(Scenario, child)
    assert str(info.value).startswith(f"{child}: name: required key is missing")


class Extras(Strict):
    cap: Annotated[float, Field(ge=0)] | None = None
    rate: float | None = Field(None, gt=0, lt=1)
    aliased: int = Field(0, alias="alias-key", ge=0)
    pair: tuple[int, str] = (0, "")
    series: dict[str, list[int]] = {}
    either: int | str = 0
    lo: float = 0.0
    hi: float = 1.0

    @field_validator("lo")
    @classmethod
    def _lo_is_small(cls, value: float) -> float:
        if value > 100:
            raise ValueError("lo must be at most 100,\nsee the docs")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Extras:
        if self.lo > self.hi:
            raise ValueError("lo must not exceed hi")
        return self


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"cap": -1}, "x.toml: cap: -1 is out of range (accepted: >= 0)"),
        ({"rate": 2}, "x.toml: rate: 2 is out of range (accepted: > 0 and < 1)"),
        ({"rate": "x"}, 'x.toml: rate: "x" is not a number (accepted: a number > 0 and < 1)'),
        ({"alias-key": -1}, "x.toml: alias-key: -1 is out of range (accepted: >= 0)"),
        ({"aliased": 1}, "x.toml: aliased: unknown key 'aliased', did you mean 'alias-key'?"),
        ({"pair": [1, [2]]}, "x.toml: pair.1: [2] is not a string (accepted: a string)"),
        ({"series": {"a": [1, "b"]}}, 'x.toml: series.a.1: "b" is not an integer'),
        (
            {"series": {"a": 1}},
            "x.toml: series.a: 1 is not an array (accepted: an array of integers)",
        ),
        ({"either": [1]}, "x.toml: either: [1] is not an integer or a string"),
        ({"lo": 101}, "x.toml: lo: lo must be at most 100, see the docs"),
        ({"lo": 5}, "x.toml: lo must not exceed hi"),
    ],
)
def test_messages_for_optional_alias_tuple_union_and_custom_validators(data, expected):
    with pytest.raises(ConfigError) as info:
        validate(Extras, data, "x.toml")
    assert str(info.value).startswith(expected)
    assert len(str(info.value).splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# Bad inputs: every one must be a single-line ConfigError naming file, field and what is accepted.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """One bad input: ``run(tmp_path)`` must raise a ConfigError mentioning the given parts."""

    run: Callable[[Path], object]
    source: str  # substring expected in err.source and in the message (file name or --set)
    field: str | None  # exact dotted field, or None when none applies
    accepted: str | None  # substring expected inside "(accepted: ...)", or None
    problem: str = ""  # substring expected in the problem


def load_file(name: str, content: str | bytes) -> Callable[[Path], object]:
    """Write ``content`` to ``name`` and run the full pipeline on it."""

    def run(tmp_path: Path) -> object:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return load_config(Scenario, path)

    return run


def scenario(body: str, name: str = "bad.toml") -> Callable[[Path], object]:
    """A scenario file with the required name, plus ``body``."""
    return load_file(name, 'name = "s"\n' + body)


def override(*overrides: str) -> Callable[[Path], object]:
    """A valid scenario file with ``overrides`` applied."""

    def run(tmp_path: Path) -> object:
        path = write(tmp_path, "ok.toml", 'name = "s"\n[[miners.archetypes]]\nname = "a"\ncount = 1\n')
        return load_config(Scenario, path, list(overrides))

    return run


def files(**contents: str) -> Callable[[Path], object]:
    """Several files; the first is the one loaded (with a built-in dir next to them)."""

    def run(tmp_path: Path) -> object:
        paths = [write(tmp_path, f"{stem}.toml", text) for stem, text in contents.items()]
        builtin = tmp_path / "builtin"
        write(builtin, "baseline.toml", 'name = "builtin"\n')
        return load_config(Scenario, paths[0], builtin_dir=builtin)

    return run


def missing_file(tmp_path: Path) -> object:
    return load_toml(tmp_path / "nowhere.toml")


def directory(tmp_path: Path) -> object:
    (tmp_path / "adir.toml").mkdir()
    return load_toml(tmp_path / "adir.toml")


def huge_file(tmp_path: Path) -> object:
    path = tmp_path / "huge.toml"
    path.write_bytes(b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    return load_toml(path)


BAD_INPUTS = {
    "missing file": Bad(missing_file, "nowhere.toml", None, "an existing .toml file", "not found"),
    "directory": Bad(directory, "adir.toml", None, ".toml file", "is a directory"),
    "empty file": Bad(load_file("empty.toml", ""), "empty.toml", None, "setting", "empty"),
    "whitespace only": Bad(load_file("ws.toml", " \n\t\n"), "ws.toml", None, "setting", "empty"),
    "comments only": Bad(load_file("c.toml", "# nothing\n"), "c.toml", None, "setting", "comments"),
    "binary (NUL)": Bad(load_file("bin.toml", b"name\x00\x01"), "bin.toml", None, "UTF-8", "binary"),
    "not UTF-8": Bad(load_file("latin.toml", b'name = "caf\xe9"\n'), "latin.toml", None, "UTF-8", "0xe9"),
    "huge file": Bad(huge_file, "huge.toml", None, "1 MiB", "over"),
    "TOML syntax": Bad(scenario("days = = 3\n", "syn.toml"), "syn.toml", None, "TOML", "line 2"),
    "duplicate key": Bad(scenario("days = 1\ndays = 2\n", "dup.toml"), "dup.toml", None, "TOML", "overwrite"),
    "bad date literal": Bad(scenario("start = 2024-13-01\n"), "bad.toml", None, "TOML", "syntax"),
    "unknown top key": Bad(scenario("dayz = 3\n"), "bad.toml", "dayz", "name, start, days", "'days'"),
    "unknown nested key": Bad(
        scenario("[miners]\ncont = 3\n"), "bad.toml", "miners.cont", "count, archetypes", "'count'"
    ),
    "unknown key in union member": Bad(
        scenario('[price]\nkind = "gbm"\nsigmx = 1.0\n'),
        "bad.toml",
        "price.sigmx",
        "kind, mu, sigma",
    ),
    "wrong type": Bad(scenario('days = "ten"\n'), "bad.toml", "days", "an integer >= 1", '"ten"'),
    "float for int": Bad(scenario("days = 1.5\n"), "bad.toml", "days", "an integer", "1.5"),
    "table expected": Bad(scenario("market = 5\n"), "bad.toml", "market", "a table with keys:"),
    "NaN": Bad(
        scenario("[market]\nlease_rent_usd_per_kw_month = nan\n"),
        "bad.toml",
        "market.lease_rent_usd_per_kw_month",
        "finite numbers >= 0",
        "nan",
    ),
    "inf": Bad(
        scenario("[price]\nkind = 'gbm'\nmu = inf\n"),
        "bad.toml",
        "price.mu",
        "finite numbers",
        "inf",
    ),
    "-inf bounded": Bad(
        scenario("[price]\nkind = 'constant'\nusd = -inf\n"),
        "bad.toml",
        "price.usd",
        "finite numbers > 0",
        "-inf",
    ),
    "negative where ge=0": Bad(
        scenario("[market]\nlease_rent_usd_per_kw_month = -5\n"),
        "bad.toml",
        "market.lease_rent_usd_per_kw_month",
        ">= 0",
        "-5 is out of range",
    ),
    "above le": Bad(scenario("days = 40000\n"), "bad.toml", "days", ">= 1 and <= 36500", "40000"),
    "zero where gt=0": Bad(scenario("[price]\nkind = 'constant'\nusd = 0.0\n"), "bad.toml", "price.usd", "> 0", "0.0"),
    "range in union member": Bad(
        scenario("[price]\nkind = 'gbm'\nsigma = 9.0\n"), "bad.toml", "price.sigma", ">= 0 and <= 5"
    ),
    "bad Literal": Bad(
        scenario("[market]\ncontract = 'floating'\n"),
        "bad.toml",
        "market.contract",
        '"fixed", "indexed"',
        '"floating"',
    ),
    "bad Enum": Bad(scenario("[market]\npolicy = 'auction'\n"), "bad.toml", "market.policy", '"spot", "lease"'),
    "bad union tag": Bad(
        scenario("[price]\nkind = 'jump'\n"),
        "bad.toml",
        "price.kind",
        '"constant", "gbm"',
        '"jump"',
    ),
    "missing union tag": Bad(
        scenario("[price]\nsigma = 1.0\n"), "bad.toml", "price.kind", '"constant", "gbm"', "missing"
    ),
    "bad date string": Bad(scenario('start = "2024-13-01"\n'), "bad.toml", "start", "a date like 2024-01-01", "month"),
    "missing required key": Bad(load_file("noname.toml", "days = 3\n"), "noname.toml", "name", "a string"),
    "array item": Bad(
        scenario("[[miners.archetypes]]\nname = 'a'\ncount = 1\n[[miners.archetypes]]\nname = 'b'\ncount = -1\n"),
        "bad.toml",
        "miners.archetypes.1.count",
        ">= 0",
    ),
    "array expected": Bad(
        scenario("[miners]\narchetypes = 3\n"),
        "bad.toml",
        "miners.archetypes",
        "an array of tables",
    ),
    "table of tables": Bad(
        scenario('[regions."us tx"]\ncapacity_mw = -1.0\n'),
        "bad.toml",
        'regions."us tx".capacity_mw',
        ">= 0",
    ),
    "override without '='": Bad(override("miners.count"), "--set", None, "section.key=value", "no '='"),
    "override with empty key": Bad(override("=5"), "--set", None, "section.key=value", "empty key"),
    "override with malformed key": Bad(override("a..b=1"), "--set", None, "joined by '.'"),
    "override with empty value": Bad(override("days="), "--set", "days", "TOML value", "no value"),
    "override with broken TOML": Bad(override("days=[1, 2"), "--set", "days", "TOML value", "not a valid"),
    "override to unknown key": Bad(
        override("miners.cont=3"),
        "--set miners.cont=3",
        "miners.cont",
        "count, archetypes",
        "'count'",
    ),
    "override out of range": Bad(override("days=0"), "--set days=0", "days", ">= 1 and <= 36500"),
    "override NaN": Bad(
        override("price.kind=constant", "price.usd=nan"),
        "--set price.usd=nan",
        "price.usd",
        "finite numbers > 0",
    ),
    "override bad date": Bad(override("start=2024-02-30"), "--set", "start", "a date", "day"),
    "override into a scalar": Bad(override("name.x=1"), "--set", "name.x", "keys inside tables"),
    "override index out of range": Bad(
        override("miners.archetypes.5.count=1"), "--set", "miners.archetypes.5.count", "0 to 0"
    ),
    "base not found": Bad(
        files(child='base = "nope"\n'),
        "child.toml",
        "base",
        "built-in scenario: baseline",
        '"nope"',
    ),
    "base not a string": Bad(files(child="base = 3\n"), "child.toml", "base", "non-empty string"),
    "base cycle": Bad(files(a='base = "b"\n', b='base = "a"\n'), "b.toml", "base", "without 'base'", "cycle"),
    "bad value in base file": Bad(
        files(child='base = "parent"\n', parent='name = "p"\ndays = -2\n'),
        "parent.toml",
        "days",
        ">= 1",
    ),
    "syntax error in base file": Bad(
        files(child='base = "parent"\n', parent="[oops\n"), "parent.toml", None, "TOML", "line 1"
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_gives_a_one_line_config_error(tmp_path, case):
    with pytest.raises(ConfigError) as info:
        case.run(tmp_path)
    err = info.value
    message = str(err)
    assert message.splitlines() == [message], message
    assert case.source in err.source and message.startswith(err.source), message
    assert err.field == case.field, message
    if case.field is not None:
        assert f"{err.source}: {case.field}: " in message, message
    if case.accepted is not None:
        assert message.endswith(")") and "(accepted: " in message, message
        assert case.accepted in err.accepted, message
    assert case.problem in err.problem, message


def test_there_are_at_least_twenty_bad_inputs():
    assert len(BAD_INPUTS) >= 20


def test_none_in_an_array_is_refused_by_dump_toml():
    with pytest.raises(ValueError, match=r"a\.b: None inside an array"):
        dump_toml({"a": {"b": [1, None]}})


# ---------------------------------------------------------------------------------------------
# dump_toml and file_sha256
# ---------------------------------------------------------------------------------------------

RESOLVED = {
    "name": "baseline",
    "start": date(2024, 4, 20),
    "stamp": datetime(2024, 4, 20, 12, 0, 1),
    "at": time(6, 30),
    "days": 365,
    "ratio": 0.1,
    "stochastic": False,
    "tags": ["a", "b"],
    "market": {"lease_rent_usd_per_kw_month": 120.5, "nested": {"deeper": {"x": -1}}},
    "miners": {"archetypes": [{"name": "s19", "count": 3}, {"name": "s21", "count": 4}]},
    "regions": {"us tx": {"capacity_mw": 1.0e3}},
    "empty": {},
}


def test_dump_toml_round_trips_a_resolved_scenario():
    assert tomllib.loads(dump_toml(RESOLVED)) == RESOLVED


def test_dump_toml_omits_none_values_at_any_depth():
    data = {"a": None, "b": {"c": None, "d": 1}, "e": [{"f": None, "g": 2}]}
    assert tomllib.loads(dump_toml(data)) == {"b": {"d": 1}, "e": [{"g": 2}]}


def test_dump_toml_writes_tuples_as_arrays_and_non_finite_floats():
    back = tomllib.loads(dump_toml({"t": (1, 2), "x": float("inf"), "y": float("nan")}))
    assert back["t"] == [1, 2] and back["x"] == math.inf and math.isnan(back["y"])


def test_dump_toml_header_becomes_comments():
    text = dump_toml({"a": 1}, header="resolved from runs/x.toml\nsha256 abc")
    assert text.startswith("# resolved from runs/x.toml\n# sha256 abc\n")
    assert tomllib.loads(text) == {"a": 1}


def test_dumped_validated_model_loads_back_to_the_same_model(tmp_path):
    model, _, _ = load_config(Scenario, write(tmp_path, "s.toml", 'name = "s"\n[price]\nkind = "gbm"\nsigma = 0.3\n'))
    out = write(tmp_path, "resolved.toml", dump_toml(model.model_dump(mode="json")))
    assert load_config(Scenario, out)[0] == model


def test_file_sha256_ignores_key_order_and_tracks_values():
    a = {"x": 1, "t": {"b": 2, "a": date(2024, 1, 1)}}
    b = {"t": {"a": date(2024, 1, 1), "b": 2}, "x": 1}
    digest = file_sha256(a)
    assert digest == file_sha256(b)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest == file_sha256({"x": 1, "t": {"b": 2, "a": "2024-01-01"}})  # dates as ISO text
    assert digest != file_sha256({"x": 2, "t": {"b": 2, "a": date(2024, 1, 1)}})
    assert file_sha256({"x": 1}) != file_sha256({"x": 1.0})


def test_file_sha256_refuses_unknown_objects():
    with pytest.raises(TypeError, match="cannot fingerprint"):
        file_sha256({"x": object()})


def test_file_sha256_is_stable_through_dump_and_reload():
    assert file_sha256(tomllib.loads(dump_toml(RESOLVED))) == file_sha256(RESOLVED)


keys = st.text(min_size=1, max_size=8)
scalars = (
    st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.text(max_size=12)
    | st.dates()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, values, max_size=5))
def test_dump_toml_round_trips_arbitrary_nested_data(data):
    assert tomllib.loads(dump_toml(data)) == data


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, values, max_size=5), st.dictionaries(keys, values, max_size=5))
def test_deep_merge_child_values_always_win(base, child):
    merged = deep_merge(base, child)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            assert merged[key] == deep_merge(base[key], value)
        else:
            assert merged[key] == value
    assert set(merged) == set(base) | set(child)


# ---------------------------------------------------------------------------------------------
# The pieces scenarios, sweeps and the page share: dotted keys, the schema walker, suggestions
# ---------------------------------------------------------------------------------------------


def test_set_dotted_walks_tables_and_arrays_and_creates_tables_only_when_asked():
    data = {"a": [{"b": 1}], "s": 2}
    set_dotted(data, "a.0.b", 5)
    set_dotted(data, ("n", "m"), 1, create=True)
    assert data == {"a": [{"b": 5}], "s": 2, "n": {"m": 1}}
    for key, reason, depth in (("x.y", "missing", 0), ("a.1.b", "index", 1), ("s.t", "scalar", 1)):
        with pytest.raises(DottedKeyError) as info:
            set_dotted(data, key, 0)
        assert (info.value.reason, info.value.depth) == (reason, depth)


def test_walk_key_follows_fields_and_array_items_to_a_setting_and_its_bounds():
    count = walk_key(Scenario, ("miners", "archetypes", "0", "count"))
    assert count.ann is int and bounds(count.meta) == ">= 0"
    days = walk_key(Scenario, ("days",))
    assert bounds(days.meta) == ">= 1 and <= 36500" and days.info is Scenario.model_fields["days"]
    assert walk_key(Scenario, ("market",)).ann is Market


def test_walk_key_says_where_a_key_leaves_the_schema():
    with pytest.raises(KeyNotInSchema) as info:
        walk_key(Scenario, ("market", "rentt"))
    assert (info.value.depth, info.value.model) == (1, Market)
    with pytest.raises(KeyNotInSchema) as info:
        walk_key(Scenario, ("days", "0"))
    assert (info.value.depth, info.value.model) == (1, None)


def test_did_you_mean_suggests_the_closest_choice_or_nothing():
    assert did_you_mean("dayz", ["days", "name"]) == ", did you mean 'days'?"
    assert did_you_mean("zzz", ["days", "name"]) == ""
    columns = ["hashrate_ehs", "price_usd"]
    assert did_you_mean("hash", columns) == ""  # not similar enough on its own ...
    assert did_you_mean("hash", columns, containing=True, prefix="x.") == ", did you mean 'x.hashrate_ehs'?"


def test_a_non_ascii_digit_is_not_an_array_index():
    # "²".isdigit() is true but int("²") raises: it used to escape as a bare ValueError (no one-line error).
    from hashpivot.model.config.dotted import DottedKeyError, is_index, set_dotted

    assert is_index("12") and not is_index("²") and not is_index("")
    with pytest.raises(DottedKeyError):
        set_dotted({"miners": [{"count": 1}]}, ("miners", "²", "count"), 2)
