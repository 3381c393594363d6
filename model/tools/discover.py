"""Scenario discovery on a finished sweep: PRIM boxes of parameter space where an outcome of interest happens.

``hashpivot discover SWEEP_DIR --output us_share_ratio --below 0.7`` marks every successful run whose
output is below (or above) the threshold as a *case of interest* and runs PRIM, the Patient Rule Induction
Method (Friedman and Fisher 1999; for scenario discovery Bryant and Lempert 2010), as implemented in the EMA
Workbench (``ema_workbench.analysis.prim``, Kwakkel 2017). PRIM peels the parameter space a little at a
time towards the cases of interest; each step of its *peeling trajectory* is a box with

* **coverage**: the share of all cases of interest that lie in the box;
* **density**: the share of the box's runs that are cases of interest;
* **mass**: the share of all runs in the box;

and restrictions on some parameters (the rest are left free). Of the trajectory, the box with the highest
density among those covering at least ``min_coverage`` of the cases is chosen (the usual trade-off, made
explicit); ``boxes > 1`` looks for further boxes among the cases the first ones did not cover. Every
restricted parameter comes with PRIM's quasi-p-value (a binomial test of the restriction, the smaller of its
two sides; below 0.05 it is unlikely to be chance); restrictions no side supports at 0.05 are dropped from
the chosen box, which is then re-measured.

``write_discovery`` puts ``discover/<name>.md``, ``.csv``, ``.json``, ``.png`` and ``.svg`` into the sweep
folder; ``hashpivot report`` includes every discovery it finds there. Results are deterministic: PRIM draws
nothing at random and the runs are taken in run-id order.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.tools.sensitivity import check_metric, sweep_spec
from hashpivot.model.tools.sweep.spec import SweepSpec
from hashpivot.model.tools.sweep.store import MANIFEST, read_results
from hashpivot.model.tools.sweep.worker import OK

REPORT_DIR = "discover"
CITATION = (
    "PRIM (Friedman and Fisher 1999) for scenario discovery (Bryant and Lempert 2010), as implemented in the "
    "EMA Workbench (Kwakkel 2017, ema_workbench.analysis.prim)"
)


@dataclass(frozen=True)
class Restriction:
    """A box's limits on one parameter: a numeric range, or the levels kept."""

    parameter: str
    low: float | None
    high: float | None
    levels: tuple[Any, ...] = ()
    full_low: float | None = None
    full_high: float | None = None
    quasi_p: float = math.nan

    def text(self) -> str:
        """``0.31 <= ai.spend_growth_per_year <= 0.45``, or ``grid.texas_rule_strict in {true}``."""
        if self.levels:
            return f"{self.parameter} in {{{', '.join(_level(v) for v in self.levels)}}}"
        return f"{_num(self.low)} <= {self.parameter} <= {_num(self.high)}"


@dataclass(frozen=True)
class Box:
    """One box found by PRIM."""

    number: int
    coverage: float
    density: float
    mass: float
    runs: int
    cases: int
    trajectory_step: int
    restrictions: tuple[Restriction, ...]


@dataclass
class Discovery:
    """The outcome of interest, what PRIM found, and the peeling trajectory of the first box."""

    metric: str
    rule: str
    threshold: float
    runs: int
    cases: int
    min_coverage: float
    boxes: list[Box]
    trajectory: list[dict] = field(default_factory=list)

    @property
    def name(self) -> str:
        """File stem: ``us_share_ratio_below_0.7``."""
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.metric}_{self.rule}_{_num(self.threshold)}")

    def question(self) -> str:
        """The outcome of interest in words."""
        return f"{self.metric} {'<' if self.rule == 'below' else '>'} {_num(self.threshold)}"


def _num(value: Any) -> str:
    if value is None:
        return ""
    value = float(value)
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"


def _level(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------


def discover(
    folder: Path,
    metric: str,
    *,
    above: float | None = None,
    below: float | None = None,
    boxes: int = 1,
    min_coverage: float = 0.5,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Discovery:
    """Find the boxes of parameter space where ``metric`` is above or below a threshold.

    Args:
        folder: A sweep's results folder.
        metric: One of its numeric outputs.
        above: Cases of interest: runs with ``metric > above``.
        below: Cases of interest: runs with ``metric < below`` (give exactly one of the two).
        boxes: How many boxes to look for.
        min_coverage: Of each peeling trajectory, the densest box covering at least this share of the
            cases of interest is chosen.
        peel_alpha: Share of the runs peeled off per step.
        mass_min: Smallest box, as a share of the runs.

    Returns:
        The discovery.

    Raises:
        ConfigError: Not a sweep folder, an unknown or date metric, or no contrast (no run, or every run,
            is a case of interest).
    """
    folder = Path(folder)
    source = str(folder / MANIFEST)
    spec = sweep_spec(folder)
    check_metric(spec, metric, source)
    if (above is None) == (below is None):
        raise ConfigError("--above/--below", "give exactly one", accepted="--above X or --below X, a number")
    threshold = float(above if above is not None else below)
    x, values = _experiments(folder, spec, metric)
    y = values > threshold if above is not None else values < threshold
    rule = "above" if above is not None else "below"
    cases = int(y.sum())
    if cases == 0 or cases == y.size:
        what = "no run" if cases == 0 else f"every one of the {y.size} runs"
        raise ConfigError(
            folder,
            f"{what} has {metric} {rule} {_num(threshold)}: there is nothing to tell apart",
            field=f"--{rule}",
            accepted=f"a threshold inside the range of {metric} over the sweep "
            f"({_num(np.nanmin(values))} to {_num(np.nanmax(values))})",
        )
    found, trajectory = _prim(x, y, spec, boxes, min_coverage, peel_alpha, mass_min)
    return Discovery(metric, rule, threshold, int(y.size), cases, min_coverage, found, trajectory)


def _experiments(folder: Path, spec: SweepSpec, metric: str):
    """The parameters (a DataFrame, one column per parameter) and the metric of the ok runs, by run id."""
    import pandas as pd

    table = read_results(folder, ["run_id", "status", metric, *spec.names])
    if table is None:
        raise ConfigError(folder, "no results yet", accepted="a sweep folder with finished runs")
    frame = table.to_pandas().sort_values("run_id")
    frame = frame[(frame["status"] == OK) & np.isfinite(frame[metric].astype(float))]
    x = pd.DataFrame(index=range(len(frame)))
    for param in spec.parameters:
        column = frame[param.name].to_numpy()
        if param.kind == "float":
            x[param.name] = column.astype(float)
        elif param.kind == "int":
            x[param.name] = column.astype(np.int64)
        else:  # bool and choice: categories (PRIM keeps or drops whole levels)
            x[param.name] = pd.Categorical(column)
    return x, frame[metric].to_numpy(dtype=float)


def _prim(x, y: np.ndarray, spec: SweepSpec, count: int, min_coverage: float, peel_alpha: float, mass_min: float):
    with warnings.catch_warnings(), open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
        warnings.simplefilter("ignore")  # the workbench warns about optional packages it does not need
        from ema_workbench.analysis import prim
        from ema_workbench.analysis import scenario_discovery_util as sdutil

        algorithm = prim.Prim(x, y.astype(int), peel_alpha=peel_alpha, paste_alpha=peel_alpha, mass_min=mass_min)
        found: list[Box] = []
        trajectory: list[dict] = []
        for number in range(1, count + 1):
            box = algorithm.find_box()
            if box is None:
                break
            steps = box.peeling_trajectory
            if number == 1:
                trajectory = [
                    {k: float(steps[k].iloc[i]) for k in ("coverage", "density", "mass", "res_dim")}
                    for i in range(len(steps))
                ]
            step = _choose(steps, min_coverage)
            box.select(step)
            step, dims, quasi = _drop_weak(box, algorithm, sdutil, step)
            if not dims:  # PRIM found nothing to restrict among the cases left: no further box
                break
            steps = box.peeling_trajectory
            found.append(
                Box(
                    number,
                    float(box.coverage),
                    float(box.density),
                    float(box.mass),
                    int(steps["n"].iloc[step]),
                    int(steps["k"].iloc[step]),
                    int(step),
                    tuple(_restriction(spec, str(d), box.box_lim[d], quasi.get(d)) for d in dims),
                )
            )
            if float(box.coverage) >= 1.0 or box.mass >= 1.0:
                break
    return found, trajectory


SIGNIFICANT = 0.05
"""A restriction is kept when the quasi-p-value of one of its sides is at most this; weaker ones are dropped."""


def _drop_weak(box, algorithm, sdutil, step: int):
    """Drop the chosen box's restrictions that no side's quasi-p-value supports (PRIM's usual clean-up).

    Peeling leaves thin slivers cut off many parameters; a restriction whose quasi-p-value exceeds
    ``SIGNIFICANT`` on both sides is as likely chance as not. Dropping it adds a box to the trajectory
    (the workbench's ``drop_restriction``), whose coverage and density are recomputed.

    Returns:
        The box's trajectory step, its restricted parameters and their quasi-p-values.
    """
    while True:
        dims = [str(d) for d in sdutil._determine_restricted_dims(box.box_lim, algorithm.box_init)]
        quasi = box._calculate_quasi_p(step, dims) if dims else {}
        weak = [d for d in dims if not any(0 <= q <= SIGNIFICANT for q in quasi.get(d, []))]
        if not weak or len(weak) == len(dims):
            return step, dims, quasi
        box.drop_restriction(weak[0])
        step = len(box.peeling_trajectory) - 1


def _choose(steps, min_coverage: float) -> int:
    """The densest step covering at least ``min_coverage`` of the cases (the first step if none does)."""
    coverage = steps["coverage"].to_numpy(float)
    density = steps["density"].to_numpy(float)
    eligible = np.flatnonzero(coverage >= min_coverage - 1e-12)
    if eligible.size == 0:
        return 0
    best = eligible[np.argmax(density[eligible] + 1e-9 * coverage[eligible])]
    return int(best)


def _restriction(spec: SweepSpec, name: str, limits, quasi: Sequence[float] | None) -> Restriction:
    param = next(p for p in spec.parameters if p.name == name)
    p_values = [q for q in (quasi or []) if q is not None and q >= 0]
    quasi_p = float(min(p_values)) if p_values else math.nan  # the side that supports the restriction
    if param.kind in ("float", "int"):
        low, high = float(limits.iloc[0]), float(limits.iloc[1])
        return Restriction(name, low, high, (), float(param.low), float(param.high), quasi_p)
    kept = sorted(limits.iloc[0], key=str)
    return Restriction(name, None, None, tuple(v.item() if hasattr(v, "item") else v for v in kept), quasi_p=quasi_p)


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def markdown(d: Discovery) -> str:
    """The discovery as a Markdown section: the question, then each box with its restrictions."""
    lines = [
        f"## Scenario discovery: `{d.question()}`",
        "",
        f"{d.cases} of {d.runs} successful runs ({100 * d.cases / d.runs:.0f}%) are cases of interest. "
        f"{CITATION}; of each peeling trajectory the densest box covering at least {100 * d.min_coverage:g}% "
        "of the cases is shown.",
        "",
    ]
    for box in d.boxes:
        lines += [
            f"**Box {box.number}**: coverage {box.coverage:.2f} (it holds {box.cases} of the cases), "
            f"density {box.density:.2f} (of its {box.runs} runs), mass {box.mass:.2f}.",
            "",
            "| parameter | box | full range | quasi-p |",
            "|---|---|---|---:|",
        ]
        for r in box.restrictions:
            full = f"{_num(r.full_low)} to {_num(r.full_high)}" if r.full_low is not None else "all levels"
            quasi = "n/a" if not math.isfinite(r.quasi_p) else f"{r.quasi_p:.2g}"
            lines.append(f"| `{r.parameter}` | {r.text().replace(r.parameter, 'x')} | {full} | {quasi} |")
        if not box.restrictions:
            lines.append("| (none) | the whole space | | |")
        lines.append("")
    return "\n".join(lines)


def rows(d: Discovery) -> list[dict]:
    """One row per box and restricted parameter (the CSV)."""
    out = []
    for box in d.boxes:
        for r in box.restrictions or (Restriction("", None, None),):
            out.append(
                {
                    "box": box.number,
                    "coverage": box.coverage,
                    "density": box.density,
                    "mass": box.mass,
                    "parameter": r.parameter,
                    "low": r.low,
                    "high": r.high,
                    "levels": " ".join(_level(v) for v in r.levels),
                    "quasi_p": r.quasi_p,
                }
            )
    return out


def write_discovery(folder: Path, d: Discovery) -> list[Path]:
    """Write ``discover/<name>.md``, ``.csv``, ``.json``, ``.png`` and ``.svg`` into the sweep folder."""
    from hashpivot.model.tools.sensitivity import to_csv

    out = Path(folder) / REPORT_DIR
    out.mkdir(exist_ok=True)
    data = {**asdict(d), "name": d.name, "question": d.question()}
    written = [
        _write(out / f"{d.name}.md", markdown(d)),
        _write(out / f"{d.name}.csv", to_csv(rows(d))),
        _write(out / f"{d.name}.json", json.dumps(data, indent=2, allow_nan=True, default=_json) + "\n"),
    ]
    for suffix in ("png", "svg"):
        written.append(write_chart(out / f"{d.name}.{suffix}", d))
    return written


def read_discoveries(folder: Path) -> list[dict]:
    """The discoveries written into a sweep folder (their JSON), by name."""
    found = []
    for path in sorted((Path(folder) / REPORT_DIR).glob("*.json")):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return found


def _json(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value).__name__)


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_chart(path: Path, d: Discovery | dict) -> Path:
    """Two panels: the first box's peeling trajectory (coverage vs density), and each box's limits.

    Limits are drawn on each parameter's full range scaled to 0-1, so parameters of any unit share an axis.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = asdict(d) if isinstance(d, Discovery) else d
    boxes = data["boxes"]
    numeric = [(b["number"], r) for b in boxes for r in b["restrictions"] if r["full_low"] is not None]
    fig = Figure(figsize=(11, 1.8 + 0.4 * max(3, len(numeric))), layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.4))
    steps = data["trajectory"]
    if steps:
        points = left.scatter(
            [s["coverage"] for s in steps], [s["density"] for s in steps], c=[s["res_dim"] for s in steps], s=18
        )
        fig.colorbar(points, ax=left, label="restricted parameters")
        first = boxes[0]
        left.scatter([first["coverage"]], [first["density"]], s=120, facecolors="none", edgecolors="tab:red")
    left.set_xlabel("coverage")
    left.set_ylabel("density")
    left.set_title("Peeling trajectory (box 1; circled: chosen)")
    for i, (number, r) in enumerate(numeric):
        span = (r["full_high"] - r["full_low"]) or 1.0
        low, high = (r["low"] - r["full_low"]) / span, (r["high"] - r["full_low"]) / span
        right.barh(i, high - low, left=low, color=f"C{number - 1}", alpha=0.7)
        right.text(1.02, i, f"{_num(r['low'])} to {_num(r['high'])}", va="center", fontsize=8)
    right.set_yticks(range(len(numeric)), [f"box {n}: {r['parameter']}" for n, r in numeric])
    right.set_xlim(0, 1.35)
    right.set_xlabel("share of the parameter's sweep range")
    right.set_title(f"Boxes for {data['metric']} {'<' if data['rule'] == 'below' else '>'} {_num(data['threshold'])}")
    fmt = path.suffix.lstrip(".")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "hashpivot", "svg.fonttype": "none"}):
        fig.savefig(tmp, format=fmt, dpi=120, metadata=metadata)
    os.replace(tmp, path)
    return path
