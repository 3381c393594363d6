"""Bad input, table-driven: every way into the command line, each ending the same way.

Scenario files (syntax, empty, missing, binary, huge, a directory, unknown keys, regions, rules,
wrong types, NaN, infinity, out of range, dates out of order), price CSVs, command-line flags,
``--set`` overrides, sweep files and output paths. Each case runs the real entry point,
``hashpivot.model.cli.main([...])`` in-process (a few through ``python -m hashpivot`` in a subprocess too), and
must end with:

* exit code 2;
* exactly one line on stderr, ``hashpivot: error: ...``, naming the file or flag, the field where
  there is one, and what is accepted;
* no traceback anywhere;
* nothing written: no output folder, no hidden temporary folder next to it, inputs untouched.

A case is ``(argv, [substrings of the error line])``; ``{t}`` in an argument is the folder of
the input files and ``{out}`` the output folder the test watches. The substrings name the
source, the field and the accepted values, so a message that stops naming one of them fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hashpivot.model.cli import main
from hashpivot.model.config.toml_io import MAX_FILE_BYTES

REPO = Path(__file__).resolve().parents[1]
RUN = ["run", "--days", "5", "--out", "{out}"]  # a bad input must fail before the 5 days anyway

TINY = 'name = "tiny"\n[run]\ndays = 30\n'
GOOD_CSV = "date,price_usd\n2024-04-01,70000\n2024-05-01,61000\n"
SWEEP = """\
name = "bad"
base = "tiny"
days = 10

[[parameters]]
name = "price.drift_per_year"
low = -0.5
high = 0.5

[design]
method = "lhs"
samples = 2
replications = 1

[outputs]
[[outputs.metrics]]
name = "price_final"
column = "btc_price_usd"
reducer = "final"
"""

# File name -> contents (str written as UTF-8, bytes as is). Every case sees all of them.
FILES: dict[str, str | bytes] = {
    "tiny.toml": TINY,
    # -- files that are not scenario TOML --------------------------------------------------------
    "syntax.toml": 'name = "x"\n[price\n',
    "dupkey.toml": 'name = "a"\nname = "b"\n',
    "badvalue.toml": 'name = "x"\n[run]\ndays = 1.2.3\n',
    "empty.toml": "",
    "comments.toml": "# only a comment\n\n   \n",
    "binary.toml": b'name = "x"\x00\x01\x02\n',
    "latin1.toml": 'name = "caf\xe9"\n'.encode("latin-1"),
    "huge.toml": 'name = "huge"\n' + "# padding padding padding padding\n" * (MAX_FILE_BYTES // 30),
    "cycle.toml": 'base = "cycle"\n',
    "nobase.toml": 'base = "no_such_base"\nname = "x"\n',
    # -- unknown keys and names ------------------------------------------------------------------
    "topkey.toml": 'name = "x"\nnosuch = 1\n',
    "typo.toml": 'name = "x"\n[price]\nstart_usdd = 1\n',
    "region.toml": 'name = "x"\n[[miners]]\nregion = "ATLANTIS"\n',
    "shockregion.toml": 'name = "x"\n[[shocks]]\nregions = ["CHINA", "MARS"]\n',
    "strategy.toml": 'name = "x"\n[rules]\nstrategy = "nope"\n',
    "auction.toml": 'name = "x"\n[rules]\nauction = "dutch"\n',
    "negotiation.toml": 'name = "x"\n[ai]\nnegotiation = "haggle"\n',
    "pricekind.toml": 'name = "x"\n[price]\nkind = "bitcoin"\n',
    # -- wrong types -----------------------------------------------------------------------------
    "type_int.toml": 'name = "x"\n[run]\ndays = "ten"\n',
    "type_bool.toml": 'name = "x"\n[run]\nstochastic_blocks = "maybe"\n',
    "type_table.toml": 'name = "x"\nprice = 5\n',
    "type_array.toml": 'name = "x"\n[miners]\nname = "solo"\n',
    "type_date.toml": 'name = "x"\n[run]\nstart_date = "yesterday"\n',
    # -- values: NaN, infinity, negative, out of range -------------------------------------------
    "nan.toml": 'name = "x"\n[price]\nstart_usd = nan\n',
    "inf.toml": 'name = "x"\n[price]\nvolatility_per_year = inf\n',
    "neginf.toml": 'name = "x"\n[price]\ndrift_per_year = -inf\n',
    "negative.toml": 'name = "x"\n[mining]\nopex_usd_per_mw_day = -5\n',
    "above.toml": 'name = "x"\n[finance]\nrate_mining = 1.5\n',
    "zerohs.toml": 'name = "x"\n[ai]\nhyperscalers = 0\n',
    "zerodays.toml": 'name = "x"\n[run]\ndays = 0\n',
    "bits.toml": 'name = "x"\n[run]\nanchor_bits = 0x1d800001\n',
    "nogens.toml": 'name = "x"\n[mining]\ngenerations = []\n',
    # -- dates out of order ----------------------------------------------------------------------
    "earlyshock.toml": 'name = "x"\n[[shocks]]\ndate = 2020-01-01\nregions = ["CHINA"]\n',
    # -- price CSVs ------------------------------------------------------------------------------
    "csvpath.toml": 'name = "x"\n[price]\nkind = "csv"\n',
    "header.csv": "date,price_usd\n",
    "blank.csv": "",
    "dup.csv": GOOD_CSV + "2024-05-01,62000\n",
    "order.csv": GOOD_CSV + "2024-04-15,62000\n",
    "neg.csv": GOOD_CSV + "2024-06-01,-3\n",
    "nanprice.csv": GOOD_CSV + "2024-06-01,nan\n",
    "badheader.csv": "day,usd\n2024-04-01,70000\n",
    **{
        f"csv_{name}.toml": f'name = "x"\n[price]\nkind = "csv"\ncsv_path = "{name}.csv"\n'
        for name in ("header", "blank", "dup", "order", "neg", "nanprice", "badheader", "absent")
    },
    "csvdir.toml": 'name = "x"\n[price]\nkind = "csv"\ncsv_path = "adir"\n',
    # -- sweep files -----------------------------------------------------------------------------
    "sweep_param.toml": SWEEP.replace("price.drift_per_year", "price.bogus"),
    "sweep_range.toml": SWEEP.replace("low = -0.5", "low = 0.5"),
    "sweep_reps.toml": SWEEP.replace("replications = 1", "replications = 0"),
    # -- output paths ----------------------------------------------------------------------------
    "afile": "not a folder\n",
}

# Case -> (argv, substrings the one error line must contain: source, field, what is accepted).
CASES: dict[str, tuple[list[str], list[str]]] = {
    # scenario files that cannot be read as TOML
    "toml syntax error": ([*RUN, "{t}/syntax.toml"], ["syntax.toml: TOML syntax error", "accepted: TOML 1.0"]),
    "toml duplicate key": ([*RUN, "{t}/dupkey.toml"], ["dupkey.toml: TOML syntax error", "accepted: TOML"]),
    "toml bad value": ([*RUN, "{t}/badvalue.toml"], ["badvalue.toml: TOML syntax error", "accepted: TOML"]),
    "empty file": ([*RUN, "{t}/empty.toml"], ["empty.toml: file is empty", "accepted: a TOML file"]),
    "only comments": ([*RUN, "{t}/comments.toml"], ["comments.toml: file has only comments", "accepted:"]),
    "missing file": ([*RUN, "{t}/absent.toml"], ["absent.toml: file not found", "accepted: an existing"]),
    "binary file": ([*RUN, "{t}/binary.toml"], ["binary.toml: binary file", "accepted: UTF-8 text"]),
    "not utf-8": ([*RUN, "{t}/latin1.toml"], ["latin1.toml: not UTF-8 text", "accepted: UTF-8 text"]),
    "huge file": ([*RUN, "{t}/huge.toml"], ["huge.toml: file is over 1 MiB", "accepted: files up to 1 MiB"]),
    "directory as scenario": ([*RUN, "{t}/adir"], ["adir: is a directory", "accepted: a .toml file"]),
    "base cycle": ([*RUN, "{t}/cycle.toml"], ["cycle.toml: base: base cycle", "accepted: a chain"]),
    "base not found": ([*RUN, "{t}/nobase.toml"], ["nobase.toml: base: base scenario", "baseline"]),
    # unknown keys and names
    "unknown top-level key": ([*RUN, "{t}/topkey.toml"], ["topkey.toml: nosuch: unknown key", "accepted: name,"]),
    "unknown key, did you mean": (
        [*RUN, "{t}/typo.toml"],
        ["typo.toml: price.start_usdd: unknown key", "did you mean 'start_usd'", "accepted: kind,"],
    ),
    "unknown miner region": (
        [*RUN, "{t}/region.toml"],
        ["region.toml: miners.0.region: unknown region 'ATLANTIS'", "accepted: a region id", "ERCOT"],
    ),
    "unknown shock region": (
        [*RUN, "{t}/shockregion.toml"],
        ["shockregion.toml: shocks.0.regions.1: unknown region 'MARS'", "accepted: a region id"],
    ),
    "unknown strategy rule": (
        [*RUN, "{t}/strategy.toml"],
        ["strategy.toml: rules.strategy: 'nope' is not a registered strategy rule", "accepted: myopic, npv"],
    ),
    "unknown auction": (
        [*RUN, "{t}/auction.toml"],
        ["auction.toml: rules.auction: 'dutch'", "accepted: first_price, second_price"],
    ),
    "unknown negotiation": (
        [*RUN, "{t}/negotiation.toml"],
        [
            "negotiation.toml: ai.negotiation: 'haggle' is not a registered bargaining protocol",
            "accepted: nash, rubinstein",
        ],
    ),
    "unknown price kind": (
        [*RUN, "{t}/pricekind.toml"],
        ['pricekind.toml: price.kind: "bitcoin"', 'accepted: "constant", "gbm", "csv"'],
    ),
    # wrong types
    "string for an integer": ([*RUN, "{t}/type_int.toml"], ['run.days: "ten" is not an integer', "accepted:"]),
    "string for a flag": (
        [*RUN, "{t}/type_bool.toml"],
        ['run.stochastic_blocks: "maybe" is not true or false', "accepted: true or false"],
    ),
    "number for a table": ([*RUN, "{t}/type_table.toml"], ["type_table.toml: price:", "accepted: a table"]),
    "table for an array": ([*RUN, "{t}/type_array.toml"], ["type_array.toml: miners:", "accepted: an array"]),
    "bad date": ([*RUN, "{t}/type_date.toml"], ['run.start_date: "yesterday" is not a date', "accepted: a date"]),
    # values
    "NaN": ([*RUN, "{t}/nan.toml"], ["nan.toml: price.start_usd: nan is not a finite", "accepted: finite"]),
    "inf": ([*RUN, "{t}/inf.toml"], ["price.volatility_per_year: inf is not a finite", "accepted: finite"]),
    "-inf": ([*RUN, "{t}/neginf.toml"], ["price.drift_per_year: -inf is not a finite", ">= -2"]),
    "negative": ([*RUN, "{t}/negative.toml"], ["mining.opex_usd_per_mw_day: -5 is out of range", "accepted: >= 0"]),
    "above the maximum": ([*RUN, "{t}/above.toml"], ["finance.rate_mining: 1.5 is out of range", "<= 1"]),
    "zero hyperscalers": ([*RUN, "{t}/zerohs.toml"], ["ai.hyperscalers: 0 is out of range", "accepted: >= 1"]),
    "zero days in file": ([*RUN, "{t}/zerodays.toml"], ["zerodays.toml: run.days: 0 is out of range", ">= 1"]),
    "invalid nBits": (
        [*RUN, "{t}/bits.toml"],
        ["bits.toml: run.anchor_bits: 0x1d800001 is not a valid target", "accepted: a compact nBits"],
    ),
    "no ASIC generations": (
        [*RUN, "{t}/nogens.toml"],
        ["nogens.toml: mining.generations:", "accepted: an array of tables with length at least 1"],
    ),
    # dates out of order: a shock before the run starts would silently never happen
    "shock before the start date": (
        [*RUN, "{t}/earlyshock.toml"],
        [
            "earlyshock.toml: shocks: shocks.0.date 2020-01-01 is before run.start_date 2024-04-20",
            "accepted: a date on or after run.start_date",
        ],
    ),
    "start date moved past a shock": (
        [*RUN, "mass_exit_2026", "--set", "run.start_date=2027-01-01"],
        ["shocks.0.date 2026-01-15 is before run.start_date 2027-01-01", "accepted: a date on or after"],
    ),
    # price CSVs
    "csv kind without a path": (
        [*RUN, "{t}/csvpath.toml"],
        ["csvpath.toml: price.csv_path is required", "accepted: a CSV file"],
    ),
    "csv with no rows": ([*RUN, "{t}/csv_header.toml"], ["header.csv:2: no rows", "at least one date,price_usd"]),
    "csv empty file": ([*RUN, "{t}/csv_blank.toml"], ["blank.csv:1: file is empty", "header 'date,price_usd'"]),
    "csv duplicate dates": (
        [*RUN, "{t}/csv_dup.toml"],
        ["dup.csv:4: date '2024-05-01' is not after", "dates must be strictly increasing"],
    ),
    "csv out of order": (
        [*RUN, "{t}/csv_order.toml"],
        ["order.csv:4: date '2024-04-15' is not after", "dates must be strictly increasing"],
    ),
    "csv negative price": ([*RUN, "{t}/csv_neg.toml"], ["neg.csv:4: price_usd '-3' is not positive", "USD > 0"]),
    "csv NaN price": ([*RUN, "{t}/csv_nanprice.toml"], ["nanprice.csv:4: price_usd 'nan' is not finite", "> 0"]),
    "csv bad header": ([*RUN, "{t}/csv_badheader.toml"], ["badheader.csv:1: header", "'date,price_usd'"]),
    "csv missing": (
        [*RUN, "{t}/csv_absent.toml"],
        ["csv_absent.toml: price.csv_path:", "absent.csv: file not found", "accepted: a CSV file"],
    ),
    "csv path is a directory": (
        [*RUN, "{t}/csvdir.toml"],
        ["csvdir.toml: price.csv_path:", "is a directory", "accepted: a CSV file"],
    ),
    # command-line flags
    "seed negative": (["run", "--seed", "-1", "--out", "{out}"], ["--seed: '-1' is not valid", "from 0 to"]),
    "seed too large": (["run", "--seed", str(2**63), "--out", "{out}"], ["--seed:", "to 9223372036854775807"]),
    "seed not a number": (["run", "--seed", "abc", "--out", "{out}"], ["--seed: 'abc'", "accepted: an integer"]),
    "days zero": (["run", "--days", "0", "--out", "{out}"], ["--days: '0' is not valid", "from 1 to 36500"]),
    "days too many": (["run", "--days", "36501", "--out", "{out}"], ["--days: '36501'", "from 1 to 36500"]),
    "days fractional": (["run", "--days", "1.5", "--out", "{out}"], ["--days: '1.5'", "accepted: an integer"]),
    "until impossible date": (["run", "--until", "2024-02-30", "--out", "{out}"], ["--until: '2024-02-30'", "YYYY"]),
    "until not a date": (["run", "--until", "tomorrow", "--out", "{out}"], ["--until: 'tomorrow'", "YYYY-MM-DD"]),
    "until before start": (
        ["run", "--until", "2024-04-01", "--out", "{out}"],
        ["--until 2024-04-01: is not after the scenario's run.start_date", "accepted: a date from 2024-04-21"],
    ),
    "until a century on": (
        ["run", "--until", "2130-01-01", "--out", "{out}"],
        ["--until 2130-01-01: is more than 36500 days after", "accepted: a date from"],
    ),
    # --set overrides
    "set without =": ([*RUN, "--set", "price.kind"], ["--set: \"price.kind\" has no '='", "accepted: section.key"]),
    "set empty value": ([*RUN, "--set", "price.kind="], ["--set: price.kind: no value after '='", "accepted:"]),
    "set unknown section": ([*RUN, "--set", "nosuch.key=1"], ["--set nosuch.key=1: nosuch: unknown key", "accepted:"]),
    "set unknown key": (
        [*RUN, "--set", "price.bogus=1"],
        ["--set price.bogus=1: price.bogus: unknown key", "accepted: kind, start_usd"],
    ),
    "set bad value": ([*RUN, "--set", "run.days=ten"], ['--set run.days=ten: run.days: "ten" is not', "accepted:"]),
    "set bad choice": (
        [*RUN, "--set", "rules.strategy=nope"],
        ["--set rules.strategy=nope: rules.strategy:", "accepted: myopic, npv"],
    ),
    "set index out of range": (
        [*RUN, "--set", "miners.99.count=1"],
        ["--set: miners.99.count:", "not an index", "accepted: an index from 0 to 6"],
    ),
    "set index into an empty array": (
        [*RUN, "--set", "shocks.0.kind=ban"],
        ["--set: shocks.0.kind:", "is not an index of the 0-item array shocks", "accepted: nothing"],
    ),
    "set malformed TOML": (
        ["show", "--set", "price.start_usd=[1,"],
        ["--set: price.start_usd: [1, is not a valid TOML value", "accepted: a TOML value"],
    ),
    "validate, bad override": (
        ["validate", "--set", "run.days=0"],
        ["--set run.days=0: run.days: 0 is out of range", "accepted: >= 1 and <= 36500"],
    ),
    # sweep files (model/sweep validates them before any run or folder)
    "sweep unknown parameter": (
        ["sweep", "{t}/sweep_param.toml", "--workers", "1", "--out", "{out}"],
        ["sweep_param.toml: parameters.0.name:", "bogus", "accepted:"],
    ),
    "sweep empty range": (
        ["sweep", "{t}/sweep_range.toml", "--workers", "1", "--out", "{out}"],
        ["sweep_range.toml: parameters.0", "accepted:"],
    ),
    "sweep zero replications": (
        ["sweep", "{t}/sweep_reps.toml", "--workers", "1", "--out", "{out}"],
        ["sweep_reps.toml: design.replications: 0 is out of range", "accepted: >= 1"],
    ),
    # output paths
    "default output folder stays unwritten": (["run", "{t}/absent.toml"], ["absent.toml: file not found", "accepted:"]),
    "out is an existing file": (
        ["run", "--days", "3", "--out", "{t}/afile"],
        ["--out", "afile: is an existing file", "accepted: a new folder"],
    ),
    "out below a file": (
        ["run", "--days", "3", "--out", "{t}/afile/run"],
        ["--out", "afile is a file, not a folder", "accepted: a new folder"],
    ),
    "out is a folder that is not a run": (
        ["run", "--days", "3", "--out", "{t}/keep"],
        ["--out", "keep: folder exists and is not a HashPivot run output", "accepted: a new folder"],
    ),
}

# A few cases also go through a real ``python -m hashpivot`` process (exit status, stderr, no traceback).
SUBPROCESS_CASES = ("binary file", "unknown strategy rule", "seed negative", "set unknown key", "huge file")


def make_inputs(folder: Path) -> None:
    """Write every input file, the folder used as a scenario, and a folder that is not a run."""
    folder.mkdir()
    for name, content in FILES.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (folder / "adir").mkdir()
    (folder / "keep").mkdir()
    (folder / "keep" / "precious.txt").write_text("do not delete\n", encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, to prove a failed command changed nothing."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    """Hidden temporary or backup folders a write may have left (``write_run`` names them so)."""
    return [p.name for p in folder.rglob("*") if ".tmp-" in p.name or ".old-" in p.name]


def expand(argv: list[str], inputs: Path, out: Path) -> list[str]:
    return [a.replace("{t}", str(inputs)).replace("{out}", str(out)) for a in argv]


def check_one_line(err: str, out_text: str, wanted: list[str]) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("hashpivot: error: "), line
    for text in wanted:
        assert text in line, f"{text!r} not in {line!r}"
    # Every message ends by saying what would have been accepted, in parentheses.
    assert line.endswith(")") and "(" in line, line
    assert "Traceback" not in err + out_text


def check_nothing_written(tmp: Path, inputs: Path, out: Path, before: dict[str, bytes]) -> None:
    assert not out.exists()
    assert leftovers(tmp) == []
    assert snapshot(inputs) == before
    assert sorted(p.name for p in tmp.iterdir()) == ["inputs"]


def test_the_table_is_big_enough():
    assert len(CASES) >= 40
    assert set(SUBPROCESS_CASES) <= set(CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, tmp_path, capsys, monkeypatch):
    inputs, out = tmp_path / "inputs", tmp_path / "out"
    make_inputs(inputs)
    before = snapshot(inputs)
    argv, wanted = CASES[case]
    # Run from the temporary folder: a default output (runs/out/...) would land here and be caught.
    monkeypatch.chdir(tmp_path)

    code = main(expand(argv, inputs, out))

    captured = capsys.readouterr()
    assert code == 2, captured
    check_one_line(captured.err, captured.out, [w.replace("{t}", str(inputs)) for w in wanted])
    check_nothing_written(tmp_path, inputs, out, before)


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_bad_input_through_python_dash_m_model(case, tmp_path):
    inputs, out = tmp_path / "inputs", tmp_path / "out"
    make_inputs(inputs)
    before = snapshot(inputs)
    argv, wanted = CASES[case]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "hashpivot", *expand(argv, inputs, out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done
    check_one_line(done.stderr, done.stdout, wanted)
    check_nothing_written(tmp_path, inputs, out, before)
