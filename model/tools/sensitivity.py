"""Sensitivity analysis of a finished sweep: Sobol indices or Morris screening, with a report.

The analysis reads what ``hashpivot sweep`` wrote -- the sweep definition from ``manifest.json``,
the design from ``design.parquet`` and the results parts -- averages each design point's
successful replications (so the indices describe the expected output, not one seed's noise),
and hands the per-point means to SALib in design order:

* Sobol designs (Saltelli's scheme): first-order ``S1`` and total ``ST`` indices with bootstrap
  confidence intervals (``SALib.analyze.sobol``), plus second-order ``S2`` when the design has it;
* Morris designs: ``mu*`` (mean absolute elementary effect), ``mu`` and ``sigma``, with a
  bootstrap interval on ``mu*`` (``SALib.analyze.morris``). Effects are per full range of each
  parameter (the design is analysed in the unit cube), in the metric's units.

Bootstrap resampling is seeded with the sweep's ``root_seed``, so a report is reproducible.
``write_report`` puts ``sensitivity/<metric>.csv``, ``.md``, ``.png`` and ``.svg`` into the sweep
folder, each written atomically.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.tools.sweep.design import salib_problem
from hashpivot.model.tools.sweep.reducers import DATE_REDUCERS
from hashpivot.model.tools.sweep.spec import SweepSpec, check_spec
from hashpivot.model.tools.sweep.store import MANIFEST, read_design_unit, read_manifest, read_results
from hashpivot.model.tools.sweep.worker import OK

REPORT_DIR = "sensitivity"
METHODS = ("sobol", "morris")


class ConstantOutput(ConfigError):
    """The output has the same value at every design point: there is no variance to apportion."""


@dataclass
class Sensitivity:
    """Indices of one metric.

    Attributes:
        metric: The output analysed.
        method: ``"sobol"`` or ``"morris"``.
        rows: One dict per parameter, most influential first (by ``ST`` or ``mu_star``).
        second_order: Sobol ``S2`` per pair of parameters (empty unless the design has it).
        points: Design points analysed.
        runs: Successful runs averaged into them.
        conf_level: Confidence level of the ``*_conf`` columns.
        samples: N, the design's base samples (Sobol) or trajectories (Morris).
        half: The ranking index (``ST`` or ``mu_star``) per parameter from the first N/2 samples alone
            (empty when N/2 is too small to analyse): the convergence check.
        warnings: What makes the indices untrustworthy, in words (wide intervals, indices outside
            [0, 1], indices that still move between N/2 and N); empty when none applies.
    """

    metric: str
    method: str
    rows: list[dict]
    second_order: list[dict] = field(default_factory=list)
    points: int = 0
    runs: int = 0
    conf_level: float = 0.95
    samples: int = 0
    half: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The column the ranking is by."""
        return "ST" if self.method == "sobol" else "mu_star"

    def ranking(self) -> list[str]:
        """Parameter names, most influential first."""
        return [row["parameter"] for row in self.rows]


# --------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------


def analyze_sweep(folder: Path, metric: str, *, resamples: int = 1000, conf_level: float = 0.95) -> Sensitivity:
    """Compute the sensitivity indices of one metric of a sweep folder.

    Args:
        folder: The sweep's results folder.
        metric: The name of one of its numeric outputs.
        resamples: Bootstrap resamples for the confidence intervals.
        conf_level: Confidence level of the intervals.

    Returns:
        The indices.

    Raises:
        ConfigError: Not a sweep folder, a design that is neither Sobol nor Morris, an unknown
            or non-numeric metric, design points without a successful run, or a metric that
            is undefined somewhere or constant.
    """
    folder = Path(folder)
    spec = sweep_spec(folder)
    source = str(folder / MANIFEST)
    if spec.design.method not in METHODS:
        raise ConfigError(
            source,
            f"a {spec.design.method!r} design has no variance-based or screening analysis here",
            field="sweep.design.method",
            accepted="a sweep with method 'sobol' or 'morris'",
        )
    check_metric(spec, metric, source)
    unit = read_design_unit(folder, spec)
    y, runs = point_means(folder, metric, len(unit))
    where = f"{folder} ({metric})"
    rows, second = analyze(spec, unit, y, source=where, resamples=resamples, conf_level=conf_level)
    result = Sensitivity(metric, spec.design.method, rows, second, len(unit), runs, conf_level, spec.design.samples)
    result.half = half_sample_indices(spec, unit, y, resamples=resamples, conf_level=conf_level)
    result.warnings = trust_warnings(result)
    return result


OUTSIDE_TOLERANCE = 0.02
"""Sobol estimates this far outside [0, 1] are flagged (a zero index estimated at -0.01 is rounding)."""
WIDE_SOBOL = 0.1
"""A Sobol interval whose half-width exceeds this (a tenth of the variance) is too wide to rank on."""
WIDE_MORRIS = 0.5
"""A Morris interval on mu* wider than half of mu* is too wide to rank on."""
MOVED_SOBOL = 0.1
"""Indices that move more than this between N/2 and N have not converged."""
MOVED_MORRIS = 0.2
"""mu* that moves more than 20% of the largest mu* between N/2 and N has not converged."""


def half_sample_indices(
    spec: SweepSpec, unit: np.ndarray, y: np.ndarray, *, resamples: int = 1000, conf_level: float = 0.95
) -> dict[str, float]:
    """The ranking index of every parameter from the first half of the design's samples.

    A Saltelli design is N blocks of (D + 2) points (2D + 2 with second order), a Morris design N
    trajectories of D + 1 points, each block drawn from the same scrambled sequence: the first N/2
    blocks are a design of N/2 samples, analysed the same way. Comparing with the full design is the
    convergence check of the indices.

    Returns:
        ``{parameter: ST or mu*}`` at N/2; empty if N/2 is below 2 or its output is constant.
    """
    samples = int(spec.design.samples or 0)
    if samples // 2 < 2:
        return {}
    size = len(unit) // samples
    keep = (samples // 2) * size
    try:
        rows, _ = analyze(spec, unit[:keep], y[:keep], resamples=resamples, conf_level=conf_level)
    except ConstantOutput:
        return {}
    key = "ST" if spec.design.method == "sobol" else "mu_star"
    return {row["parameter"]: row[key] for row in rows}


def trust_warnings(result: Sensitivity) -> list[str]:
    """What makes the indices untrustworthy (see ``Sensitivity.warnings``)."""
    found = []
    pct = f"{100 * result.conf_level:g}%"
    if result.method == "sobol":
        outside = [
            f"{r[k]:.2f} ({k} of {r['parameter']})"
            for r in result.rows
            for k in ("S1", "ST")
            if not -OUTSIDE_TOLERANCE <= r[k] <= 1.0 + OUTSIDE_TOLERANCE
        ]
        if outside:
            found.append(
                f"indices outside [0, 1]: {', '.join(outside)}; shares of variance lie in [0, 1], so the sample "
                "is too small (or the output too noisy) for these estimates: raise samples or replications"
            )
        wide = [r for r in result.rows if max(r["S1_conf"], r["ST_conf"]) > WIDE_SOBOL]
        if wide:
            worst = max(max(r["S1_conf"], r["ST_conf"]) for r in wide)
            found.append(
                f"wide intervals: the {pct} bootstrap interval of {len(wide)} of {len(result.rows)} parameters "
                f"is wider than ±{WIDE_SOBOL:g} (up to ±{worst:.2f}); rankings within that width are not "
                "supported"
            )
        moved_limit, label = MOVED_SOBOL, "ST"
    else:
        top = max((r["mu_star"] for r in result.rows), default=0.0)
        wide = [r for r in result.rows if r["mu_star"] > 0 and r["mu_star_conf"] > WIDE_MORRIS * r["mu_star"]]
        if wide:
            found.append(
                f"wide intervals: the {pct} bootstrap interval on mu* of {len(wide)} of {len(result.rows)} "
                f"parameters is wider than ±{100 * WIDE_MORRIS:g}% of mu*; add trajectories"
            )
        moved_limit, label = MOVED_MORRIS * top, "mu*"
    if result.half:
        key = result.key
        moved = max(abs(r[key] - result.half.get(r["parameter"], r[key])) for r in result.rows)
        if moved > moved_limit:
            found.append(
                f"not converged: {label} moved by up to {moved:.3g} between N/2 = {result.samples // 2} and "
                f"N = {result.samples} samples; raise samples until it stops moving"
            )
    else:
        found.append(f"no convergence check: N = {result.samples} is too small to compare with N/2")
    return found


def sweep_spec(folder: Path) -> SweepSpec:
    """The sweep definition stored in a results folder's manifest."""
    from hashpivot.model.config.validation import validate

    source = str(Path(folder) / MANIFEST)
    spec = validate(SweepSpec, read_manifest(folder).get("sweep"), source)
    check_spec(spec, source)
    return spec


def numeric_metrics(spec: SweepSpec) -> list[str]:
    """The outputs a sensitivity analysis can use (not the date reducers)."""
    return [m.name for m in spec.outputs.metrics if m.reducer not in DATE_REDUCERS]


def check_metric(spec: SweepSpec, metric: str, source: str) -> None:
    """Refuse a metric the sweep does not have, or one that is a date.

    Raises:
        ConfigError: Naming the numeric metrics there are.
    """
    names = numeric_metrics(spec)
    if metric not in names:
        what = (
            "gives dates, not numbers"
            if metric in {m.name for m in spec.outputs.metrics}
            else "is not an output of this sweep"
        )
        raise ConfigError(
            source,
            f"metric {metric!r} {what}",
            field="--output",
            accepted=", ".join(names) or "none",
        )


def point_means(folder: Path, metric: str, points: int) -> tuple[np.ndarray, int]:
    """Mean of ``metric`` over each design point's successful replications, in design order.

    Args:
        folder: The sweep folder.
        metric: The output column.
        points: Number of design points.

    Returns:
        ``(means, runs used)``.

    Raises:
        ConfigError: A design point has no successful run with a value (the analysis needs
            every point), naming how many and the first.
    """
    table = read_results(folder, ["point_id", "status", metric])
    if table is None:
        raise ConfigError(folder, "no results yet", accepted="a sweep folder with finished runs")
    point = table.column("point_id").to_numpy()
    ok = np.array([s == OK for s in table.column("status").to_pylist()], dtype=bool)
    value = table.column(metric).to_numpy(zero_copy_only=False).astype(float)
    use = ok & np.isfinite(value)
    counts = np.bincount(point[use], minlength=points)
    sums = np.bincount(point[use], weights=value[use], minlength=points)
    empty = np.flatnonzero(counts[:points] == 0)
    if empty.size:
        raise ConfigError(
            folder,
            f"{empty.size} of {points} design points have no successful run with a value of "
            f"{metric!r} (first: point {int(empty[0])})",
            accepted="a complete sweep (run it again to resume) and a metric defined for every "
            "run (give the output a `missing` value)",
        )
    return sums[:points] / counts[:points], int(use.sum())


def analyze(
    spec: SweepSpec,
    unit: np.ndarray,
    y: np.ndarray,
    *,
    source: str = "sweep",
    resamples: int = 1000,
    conf_level: float = 0.95,
) -> tuple[list[dict], list[dict]]:
    """Run SALib's analysis for the sweep's method on per-point outputs.

    Args:
        spec: The sweep (method, options, parameter names, root seed).
        unit: The design in the unit cube, in design order.
        y: One output per design point, in design order.
        source: What to blame in messages (the sweep folder and metric).
        resamples: Bootstrap resamples.
        conf_level: Confidence level.

    Returns:
        ``(rows, second_order_rows)``, rows most influential first.

    Raises:
        ConstantOutput: ``y`` is constant (no variance to apportion).
    """
    y = np.asarray(y, dtype=float)
    if np.ptp(y) == 0:
        raise ConstantOutput(
            source,
            f"the output is constant ({y[0]:g}) over all {len(y)} design points, there is no variance to apportion",
            field="--output",
            accepted="an output that varies across the design",
        )
    problem = salib_problem(spec)
    seed = spec.design.root_seed
    if spec.design.method == "sobol":
        return _sobol(problem, y, spec.design.calc_second_order, resamples, conf_level, seed)
    return _morris(problem, unit, y, spec.design.num_levels, resamples, conf_level, seed), []


def _sobol(
    problem: dict, y: np.ndarray, second: bool, resamples: int, conf: float, seed: int
) -> tuple[list[dict], list[dict]]:
    from SALib.analyze import sobol

    res = sobol.analyze(problem, y, calc_second_order=second, num_resamples=resamples, conf_level=conf, seed=seed)
    rows = [
        {
            "parameter": name,
            "S1": float(res["S1"][i]),
            "S1_conf": float(res["S1_conf"][i]),
            "ST": float(res["ST"][i]),
            "ST_conf": float(res["ST_conf"][i]),
        }
        for i, name in enumerate(problem["names"])
    ]
    pairs = []
    if second:
        names = problem["names"]
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                pairs.append(
                    {
                        "parameter_1": names[i],
                        "parameter_2": names[j],
                        "S2": float(res["S2"][i, j]),
                        "S2_conf": float(res["S2_conf"][i, j]),
                    }
                )
    return _ranked(rows, "ST"), pairs


def _morris(
    problem: dict,
    unit: np.ndarray,
    y: np.ndarray,
    levels: int,
    resamples: int,
    conf: float,
    seed: int,
) -> list[dict]:
    from SALib.analyze import morris

    res = morris.analyze(problem, unit, y, num_resamples=resamples, conf_level=conf, num_levels=levels, seed=seed)
    rows = [
        {
            "parameter": name,
            "mu_star": float(res["mu_star"][i]),
            "mu_star_conf": float(res["mu_star_conf"][i]),
            "mu": float(res["mu"][i]),
            "sigma": float(res["sigma"][i]),
        }
        for i, name in enumerate(problem["names"])
    ]
    return _ranked(rows, "mu_star")


def _ranked(rows: list[dict], key: str) -> list[dict]:
    """Most influential first; a NaN index sorts last; ties keep file order."""
    order = sorted(range(len(rows)), key=lambda i: (-_finite(rows[i][key]), i))
    return [{"rank": r + 1, **rows[i]} for r, i in enumerate(order)]


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def write_report(folder: Path, result: Sensitivity) -> list[Path]:
    """Write the CSV, Markdown and bar charts of one metric into ``<folder>/sensitivity/``.

    Args:
        folder: The sweep folder.
        result: The indices.

    Returns:
        The files written.
    """
    out = Path(folder) / REPORT_DIR
    out.mkdir(exist_ok=True)
    written = [
        _write_text(out / f"{result.metric}.csv", to_csv(table_rows(result))),
        _write_text(out / f"{result.metric}.md", markdown(result)),
    ]
    if result.second_order:
        written.append(_write_text(out / f"{result.metric}_s2.csv", to_csv(result.second_order)))
    for suffix in ("png", "svg"):
        written.append(write_chart(out / f"{result.metric}.{suffix}", result))
    return written


def table_rows(result: Sensitivity) -> list[dict]:
    """The rows with the interval ends and the N/2 index: what the CSV and the reports tabulate."""
    out = []
    for row in result.rows:
        extra: dict[str, float] = {}
        for key in ("S1", "ST", "mu_star"):
            if key in row:
                extra[f"{key}_low"] = row[key] - row[f"{key}_conf"]
                extra[f"{key}_high"] = row[key] + row[f"{key}_conf"]
        out.append({**row, **extra, f"{result.key}_half": result.half.get(row["parameter"], math.nan)})
    return out


def to_csv(rows: Sequence[dict]) -> str:
    """Rows as CSV text, floats by ``repr`` so the same indices give the same bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow([repr(v) if isinstance(v, float) else v for v in row.values()])
    return buffer.getvalue()


def markdown(result: Sensitivity) -> str:
    """A Markdown section: warnings first, then the ranking table with every index's interval and the N/2 check."""
    pct = f"{100 * result.conf_level:g}%"
    lines = [
        f"## Sensitivity of `{result.metric}` ({result.method.capitalize()})",
        "",
        f"{result.points} design points (N = {result.samples}), {result.runs} successful runs averaged per "
        f"point; brackets give the {pct} bootstrap interval; the last column is the ranking index from the "
        "first N/2 samples alone (the convergence check).",
        "",
    ]
    if result.warnings:
        lines += [f"> **Warning**: {w}." for w in result.warnings] + [""]
    half = f"{result.key if result.method == 'sobol' else 'mu*'} at N/2"
    if result.method == "sobol":
        lines += [f"| rank | parameter | S1 [{pct}] | ST [{pct}] | {half} |", "|---:|---|---:|---:|---:|"]
        for r in result.rows:
            lines.append(
                f"| {r['rank']} | `{r['parameter']}` | {interval_text(r['S1'], r['S1_conf'])} "
                f"| {interval_text(r['ST'], r['ST_conf'])} | {_fmt(result.half.get(r['parameter'], math.nan))} |"
            )
        if result.second_order:
            lines += ["", f"| parameters | S2 [{pct}] |", "|---|---:|"]
            for p in result.second_order:
                lines.append(
                    f"| `{p['parameter_1']}` × `{p['parameter_2']}` | {interval_text(p['S2'], p['S2_conf'])} |"
                )
    else:
        lines += [f"| rank | parameter | mu* [{pct}] | mu | sigma | {half} |", "|---:|---|---:|---:|---:|---:|"]
        for r in result.rows:
            lines.append(
                f"| {r['rank']} | `{r['parameter']}` | {interval_text(r['mu_star'], r['mu_star_conf'])} "
                f"| {_fmt(r['mu'])} | {_fmt(r['sigma'])} | {_fmt(result.half.get(r['parameter'], math.nan))} |"
            )
    return "\n".join(lines) + "\n"


def interval_text(value: float, half_width: float) -> str:
    """``0.412 [0.301, 0.523]``: an index and its bootstrap interval."""
    if not math.isfinite(value):
        return "n/a"
    if not math.isfinite(half_width):
        return _fmt(value)
    return f"{_fmt(value)} [{_fmt(value - half_width)}, {_fmt(value + half_width)}]"


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.3f}" if abs(value) < 1e4 else f"{value:.3g}"


def _write_text(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_chart(path: Path, result: Sensitivity) -> Path:
    """Horizontal bars with confidence whiskers, most influential on top; warnings in the title."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = result.ranking()[::-1]
    rows = result.rows[::-1]
    height = 1.6 + 0.45 * len(names)
    fig = Figure(figsize=(7.5, height), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    positions = np.arange(len(names))
    if result.method == "sobol":
        bar = 0.38
        for offset, key, label in ((-bar / 2, "S1", "first order S1"), (bar / 2, "ST", "total ST")):
            values = [_zero(r[key]) for r in rows]
            errors = [_zero(r[f"{key}_conf"]) for r in rows]
            ax.barh(positions + offset, values, height=bar, xerr=errors, capsize=3, label=label)
        ax.set_xlabel("Sobol index (share of output variance)")
        fig.legend(loc="outside lower center", ncols=2, frameon=False)
    else:
        values = [_zero(r["mu_star"]) for r in rows]
        errors = [_zero(r["mu_star_conf"]) for r in rows]
        ax.barh(positions, values, xerr=errors, capsize=3, color="tab:purple")
        ax.set_xlabel(f"Morris mu* ({result.metric} per full parameter range)")
    ax.set_yticks(positions, names)
    ax.set_title(
        f"Sensitivity of {result.metric}" + ("\n(see the warnings: indices not reliable)" if result.warnings else "")
    )
    ax.grid(axis="x", alpha=0.3)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fmt = path.suffix.lstrip(".")
    # No date in the metadata and a fixed SVG id salt: the same indices give the same file.
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "hashpivot", "svg.fonttype": "none"}):
        fig.savefig(tmp, format=fmt, dpi=120, metadata=metadata)
    os.replace(tmp, path)
    return path


def _zero(value: float) -> float:
    return value if math.isfinite(value) else 0.0
