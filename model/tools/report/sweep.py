"""The report of a sweep: varied parameters, output summaries, per-parameter effects, scatter figures."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hashpivot.model.tools.odd import ParamRow, parameter_text, schema_rows
from hashpivot.model.tools.report.document import Report
from hashpivot.model.tools.report.figure_specs import FIGURES, FigureSpec, Line, Panel
from hashpivot.model.tools.report.figures import (
    FigureFile,
    Provenance,
    figures_markdown,
    provenance,
    render_figures,
    save_figure,
    style_path,
)
from hashpivot.model.tools.report.formatting import fmt_num
from hashpivot.model.tools.report.reading import load_series
from hashpivot.model.tools.report.series import Series, stats
from hashpivot.model.tools.report.source import Source
from hashpivot.model.tools.report.tables import Table, parameter_table
from hashpivot.model.tools.report.text import (
    REPRODUCE_NOTE,
    display_path,
    methods_paragraph,
    regenerate_block,
    summary_lines,
)


def sweep_tables(source: Source) -> tuple[list[Table], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Varied parameters, output summaries and the per-parameter summary of a sweep.

    Returns:
        The tables, and the parameter and numeric output columns of the ok runs.
    """
    from hashpivot.model.tools.sweep.store import read_results

    m = source.manifest
    spec = m["sweep"]
    params = [p["name"] for p in spec["parameters"]]
    metrics = [x["name"] for x in spec["outputs"]["metrics"]]
    data = read_results(source.path).to_pydict()
    ok = np.array([s == "ok" for s in data["status"]], dtype=bool)
    x = {p: _ordinal(data[p], spec["parameters"][i])[ok] for i, p in enumerate(params)}
    y = {}
    for name in metrics:
        values = np.array([v if isinstance(v, int | float) else np.nan for v in data[name]], float)
        if any(isinstance(v, int | float) for v in data[name]):
            y[name] = values[ok]
    return [_varied_table(spec), _outputs_table(y), _effects_table(x, y)], x, y


def _ordinal(values: list, param: Mapping[str, Any]) -> np.ndarray:
    """A parameter's values as numbers: as is, bools 0/1, other levels by their position."""
    if all(isinstance(v, int | float) for v in values if v is not None):
        return np.array([np.nan if v is None else float(v) for v in values])
    levels = [json.dumps(v) if not isinstance(v, str) else v for v in (param.get("levels") or [])]
    return np.array([levels.index(v) if v in levels else np.nan for v in values], dtype=float)


def _schema_lookup() -> dict[str, ParamRow]:
    return {r.key: r for r in schema_rows()}


def _varied_table(spec: Mapping[str, Any]) -> Table:
    lookup = _schema_lookup()
    rows = []
    for p in spec["parameters"]:
        key = re.sub(r"\.(\d+)(?=\.|$)", "[]", p["name"])  # miners.0.count -> miners[].count
        row = lookup.get(key, ParamRow(key, "", "", ""))
        levels = parameter_text(p["levels"]) if p.get("levels") else ""
        rows.append(
            (p["name"], p["kind"], _range_end(p.get("low")), _range_end(p.get("high")), levels, row.unit, row.source)
        )
    return Table(
        "sweep_parameters",
        f"Parameters varied by the sweep ({spec['design']['method']} design)",
        ("parameter", "kind", "low", "high", "levels", "unit", "source"),
        tuple(rows),
        shown_rows=tuple(tuple(fmt_num(c) if isinstance(c, float) else str(c) for c in r) for r in rows),
    )


def _range_end(value: Any) -> Any:
    return "" if value is None else value


def _outputs_table(y: Mapping[str, np.ndarray]) -> Table:
    rows = []
    for name, values in y.items():
        mean, low, high, n = stats(values)
        finite = values[np.isfinite(values)]
        rows.append(
            (name, mean, low, high, float(finite.min()) if n else math.nan, float(finite.max()) if n else math.nan, n)
        )
    return Table(
        "sweep_outputs",
        "Sweep outputs over all ok runs: mean, 5th-95th percentile, range",
        ("output", "mean", "p05", "p95", "min", "max", "runs"),
        tuple(rows),
    )


def _effects_table(x: Mapping[str, np.ndarray], y: Mapping[str, np.ndarray]) -> Table:
    """Per parameter and output: rank correlation, and the output's mean by parameter half.

    Spearman's rho and the output's mean in the lower and upper half of the parameter's sampled
    values: a model-free first look (``hashpivot sensitivity`` gives Sobol or Morris indices).
    """
    rows = []
    for p, xv in x.items():
        for name, yv in y.items():
            keep = np.isfinite(xv) & np.isfinite(yv)
            xs, ys = xv[keep], yv[keep]
            median = float(np.median(xs)) if xs.size else math.nan
            low_half, high_half = ys[xs <= median], ys[xs > median]
            rows.append(
                (
                    p,
                    name,
                    spearman(xs, ys),
                    float(low_half.mean()) if low_half.size else math.nan,
                    float(high_half.mean()) if high_half.size else math.nan,
                    int(xs.size),
                )
            )
    return Table(
        "sweep_summary",
        "Per-parameter summary: rank correlation with each output, and the output's mean in "
        "the lower / upper half of the parameter's values",
        ("parameter", "output", "spearman_rho", "mean_lower_half", "mean_upper_half", "runs"),
        tuple(rows),
    )


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN if either side is constant."""
    from scipy.stats import rankdata

    if x.size < 3:
        return math.nan
    rx, ry = rankdata(x), rankdata(y)
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def render_sweep_figures(
    x: Mapping[str, np.ndarray],
    y: Mapping[str, np.ndarray],
    folder: Path,
    prov: Provenance,
    source: str,
    svg: bool = True,
) -> list[FigureFile]:
    """One scatter figure per output: the output against each varied parameter."""
    from matplotlib import style
    from matplotlib.figure import Figure

    files = []
    with style.context(style_path()):
        for name, yv in y.items():
            fig = Figure(figsize=(2.6 * len(x) + 0.6, 3.0))
            axes = fig.subplots(1, len(x), sharey=True, squeeze=False)[0]
            for ax, (p, xv) in zip(axes, x.items(), strict=True):
                ax.scatter(xv, yv, s=10, alpha=0.7)
                ax.set_xlabel(p)
            axes[0].set_ylabel(name)
            title = f"Sweep: {name} against the varied parameters"
            fig.suptitle(title)
            stem = "sweep_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
            save_figure(fig, folder, stem, title, prov, source, svg)
            files.append(FigureFile.of(stem, title, "Each point is one run of the sweep.", svg))
    return files


def sweep_series_specs(series: Series) -> list[FigureSpec]:
    """Figures of a sweep's kept daily series.

    Every standard figure with a kept column, and one panel per kept column no figure shows.
    """
    specs = [s for s in FIGURES if any(series.has(x.column) for p in s.panels for x in p.lines)]
    covered = {x.column for s in specs for p in s.panels for x in p.lines}
    rest = [c for c in series.values if c not in covered]
    if rest:
        panels = tuple(Panel(c, (Line(c, c),)) for c in rest)
        specs.append(
            FigureSpec(
                "sweep_series", "Kept daily series", "Daily series kept by the sweep (outputs.keep_series).", panels
            )
        )
    return specs


def sensitivity_section(report: Report, source: Source, figures_dir: Path, prov: Provenance, svg: bool) -> None:
    """The Sobol or Morris indices of every numeric output, with intervals, warnings and bar charts.

    The same analysis as ``hashpivot sensitivity`` (``model/tools/sensitivity.py``: 1,000 bootstrap
    resamples seeded with the sweep's root seed), so the report and the command give the same numbers.
    """
    from hashpivot.model.config.errors import ConfigError
    from hashpivot.model.tools.errors import error_line
    from hashpivot.model.tools.sensitivity import (
        METHODS,
        ConstantOutput,
        analyze_sweep,
        numeric_metrics,
        sweep_spec,
        table_rows,
        write_chart,
    )

    method = source.manifest["sweep"]["design"]["method"]
    if method not in METHODS:
        return
    report.add(
        "## Sensitivity",
        "",
        f"{method.capitalize()} indices of each numeric output (`hashpivot sensitivity {display_path(source.path)}` "
        "gives the same numbers). Brackets are 95% bootstrap intervals; the last column repeats the ranking "
        "index from the first half of the samples: where it differs much from the full design's, the indices "
        "have not converged.",
        "",
    )
    for metric in numeric_metrics(sweep_spec(source.path)):
        try:
            result = analyze_sweep(source.path, metric)
        except ConstantOutput:
            report.add(f"- `{metric}`: the same in every run, so there is no variance to apportion.", "")
            continue
        except ConfigError as exc:
            report.add(f"- `{metric}`: not analysed: {error_line(exc)}.", "")
            continue
        report.add(f"### Sensitivity of `{metric}`", "")
        report.add(*[f"> **Warning**: {w}." for w in result.warnings], "")
        rows = table_rows(result)
        shown = _sensitivity_lines(result)
        header = tuple(shown[0])
        report.add_table(
            Table(
                f"sensitivity_{re.sub(r'[^A-Za-z0-9_.-]+', '_', metric)}",
                f"{method.capitalize()} indices of {metric} ({result.points} design points, N = {result.samples})",
                tuple(rows[0]),
                tuple(tuple(r.values()) for r in rows),
                shown_header=header,
                shown_rows=tuple(tuple(x) for x in shown[1:]),
            )
        )
        stem = "sensitivity_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", metric)
        for suffix in ("png", "svg") if svg else ("png",):
            write_chart(figures_dir / f"{stem}.{suffix}", result)
        caption = "Bars: indices; whiskers: 95% bootstrap intervals."
        report.add(
            f"![Sensitivity of {metric}](figures/{stem}.png)",
            "",
            f"{caption} Vector version: [{stem}.svg](figures/{stem}.svg)." if svg else caption,
            "",
        )


DISCOVERY_HEADER = ("box", "coverage", "density", "mass", "parameter", "box limits", "sweep range", "quasi-p")


def discovery_section(report: Report, source: Source, figures_dir: Path, svg: bool) -> None:
    """The scenario discoveries written into the sweep folder by ``hashpivot discover`` (PRIM boxes)."""
    from hashpivot.model.tools.discover import read_discoveries, write_chart

    for found in read_discoveries(source.path):
        stem = "discover_" + found["name"]
        report.add(f"## Scenario discovery: `{found['question']}`", "")
        report.add(
            f"{found['cases']} of {found['runs']} successful runs are cases of interest; PRIM (EMA Workbench) boxes "
            f"from `hashpivot discover {display_path(source.path)} --output {found['metric']} "
            f"--{found['rule']} {found['threshold']:g}`: the densest box covering at least "
            f"{100 * found['min_coverage']:g}% of the cases.",
            "",
        )
        rows, shown = [], []
        for box in found["boxes"]:
            for r in box["restrictions"]:
                kept = ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in r["levels"])
                limits = f"{{{kept}}}" if r["levels"] else f"{fmt_num(r['low'])} to {fmt_num(r['high'])}"
                full = f"{fmt_num(r['full_low'])} to {fmt_num(r['full_high'])}" if r["full_low"] is not None else ""
                rows.append((box["number"], box["coverage"], box["density"], box["mass"], r["parameter"], limits))
                shown.append(
                    (
                        str(box["number"]),
                        f"{box['coverage']:.2f}",
                        f"{box['density']:.2f}",
                        f"{box['mass']:.2f}",
                        r["parameter"],
                        limits,
                        full,
                        fmt_num(r["quasi_p"]),
                    )
                )
        report.add_table(
            Table(
                f"discover_{found['name']}",
                f"PRIM boxes for {found['question']}: coverage, density, mass and the restricted parameters",
                ("box", "coverage", "density", "mass", "parameter", "limits"),
                tuple(rows),
                shown_header=(
                    "box",
                    "coverage",
                    "density",
                    "mass",
                    "parameter",
                    "box limits",
                    "sweep range",
                    "quasi-p",
                ),
                shown_rows=tuple(shown),
            )
        )
        for suffix in ("png", "svg") if svg else ("png",):
            write_chart(figures_dir / f"{stem}.{suffix}", found)
        report.add(f"![Scenario discovery: {found['question']}](figures/{stem}.png)", "")


def _sensitivity_lines(result) -> list[list[str]]:
    """Header and cells of the sensitivity table for people (the rows of ``sensitivity.markdown``)."""
    from hashpivot.model.tools.sensitivity import interval_text

    half = result.half
    if result.method == "sobol":
        lines = [["rank", "parameter", "S1 [95%]", "ST [95%]", "ST at N/2"]]
        for r in result.rows:
            lines.append(
                [
                    str(r["rank"]),
                    r["parameter"],
                    interval_text(r["S1"], r["S1_conf"]),
                    interval_text(r["ST"], r["ST_conf"]),
                    interval_text(half.get(r["parameter"], math.nan), math.nan),
                ]
            )
        return lines
    lines = [["rank", "parameter", "mu* [95%]", "mu", "sigma", "mu* at N/2"]]
    for r in result.rows:
        lines.append(
            [
                str(r["rank"]),
                r["parameter"],
                interval_text(r["mu_star"], r["mu_star_conf"]),
                interval_text(r["mu"], math.nan),
                interval_text(r["sigma"], math.nan),
                interval_text(half.get(r["parameter"], math.nan), math.nan),
            ]
        )
    return lines


def sweep_document(source: Source, figures_dir: Path, report_command: Sequence[str], svg: bool) -> Report:
    """Compute a sweep's tables, draw its figures into ``figures_dir`` and assemble the document."""
    m = source.manifest
    prov = provenance(source)
    counts = m.get("counts", {})
    design = m.get("design", {})
    report = Report(f"HashPivot sweep report: {source.name}")
    report.add(
        REPRODUCE_NOTE,
        "",
        "## Sweep and base scenario",
        "",
        *summary_lines(source, None),
        f"- **Design**: {design.get('method')} over {len(design.get('parameters', []))} "
        f"parameters, {design.get('points')} points x {design.get('replications')} replications "
        f"= {design.get('runs')} runs ({counts.get('ok', '?')} ok, {counts.get('failed', '?')} "
        f"failed); root seed {m.get('root_seed')}",
        f"- **Sweep definition sha256**: `{m.get('definition_sha256', 'unknown')}`",
        "",
    )
    tables, x, y = sweep_tables(source)
    report.add_table(tables[0], "### Varied parameters")
    base = parameter_table(source.parameters(), "base_parameters", source.parameter_sources)
    report.add_table(base, "### Base scenario")
    report.add("## Results", "")
    report.add_table(tables[1])
    report.add_table(tables[2])
    origin = f"sweep {source.path.name}"
    files = render_sweep_figures(x, y, figures_dir, prov, origin, svg)
    series = load_series(source)
    if series is not None:
        files += render_figures(series, figures_dir, prov, origin, sweep_series_specs(series), svg)
    report.add(*figures_markdown(files, prov))
    sensitivity_section(report, source, figures_dir, prov, svg)
    discovery_section(report, source, figures_dir, svg)
    report.add(
        "## Calibration",
        "",
        "A sweep varies the scenario, so the baseline's seed-fact calibration does not apply "
        "here; see `docs/calibration.md` (`hashpivot calibrate`).",
        "",
    )
    runs_text = (
        f"This report summarises a {design.get('method')} sweep of {design.get('runs')} runs "
        "around the base scenario above; daily-series figures show the mean and 90% band "
        "across the sweep's runs (parameter variation and seeds together)."
    )
    report.add("## Methods", "", methods_paragraph(source, series, runs_text), "")
    report.add("## How to cite / how to regenerate", "", *regenerate_block(source, report_command))
    return report
