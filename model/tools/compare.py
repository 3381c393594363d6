"""Scenarios side by side: ``hashpivot compare DIR_A DIR_B ...`` (runs or ensembles).

``build_comparison([Path("a"), Path("b")], Path("out"))`` writes, atomically::

    compare.md (or compare.html)  the scenarios, the parameters that differ, key metrics on the
                                  last common day with differences against the first, figures
    figures/<name>.svg, .png      one column per scenario, y-limits shared along each row
    tables/<name>.csv, .md, .tex  scenarios, parameter differences, key metrics
    report.json                   marks the folder (it is replaced only if it holds one)

The figures and metrics are those of ``hashpivot.model.tools.report`` (``FIGURES``, ``KEY_METRICS``), so a
comparison reads like a report.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hashpivot.model.tools.errors import CommandError
from hashpivot.model.tools.odd import scenario_rows
from hashpivot.model.tools.portable import portable_argv
from hashpivot.model.tools.report.document import Report
from hashpivot.model.tools.report.figure_specs import FIGURES, FigureSpec
from hashpivot.model.tools.report.figures import (
    FigureFile,
    Provenance,
    draw_panel,
    figures_markdown,
    save_figure,
    style_path,
)
from hashpivot.model.tools.report.formatting import ROUGH_BELOW, fmt_band, fmt_num, rough_note, seeds_text
from hashpivot.model.tools.report.key_results import KEY_METRICS
from hashpivot.model.tools.report.reading import load_series
from hashpivot.model.tools.report.series import Series, stats
from hashpivot.model.tools.report.source import RUN, SWEEP, Source, open_source
from hashpivot.model.tools.report.tables import Table
from hashpivot.model.tools.report.text import REPRODUCE_NOTE, display_path
from hashpivot.model.tools.report.writing import write_report

ACCEPTED = "accepted: two or more folders written by hashpivot run or hashpivot ensemble"
BAND_NOTE = "Ensembles: lines are means across seeds, shaded the 90% band (5th-95th percentile); single runs: one line."
SKIPPED_KEYS = ("description",)
"""Parameters left out of the differences table (free text, long)."""


@dataclass(frozen=True)
class Entry:
    """One compared folder: a label, what it holds, and its daily series."""

    label: str
    source: Source
    series: Series


def open_entries(paths: Sequence[Path]) -> list[Entry]:
    """Open the folders to compare and label them by scenario name (made unique).

    Raises:
        CommandError: Fewer than two folders, or one that is not a run or ensemble.
    """
    if len(paths) < 2:
        raise CommandError(f"DIR: {len(paths)} folder given; nothing to compare ({ACCEPTED})")
    sources = [open_source(Path(p)) for p in paths]
    for source in sources:
        if source.kind == SWEEP:
            raise CommandError(f"{source.path}: is a sweep folder ({ACCEPTED})")
    names = [s.name for s in sources]
    labels = [
        n if names.count(n) == 1 else f"{n} ({s.path.name or s.path})" for n, s in zip(names, sources, strict=True)
    ]
    labels = [lab if labels.count(lab) == 1 else f"{lab} #{i + 1}" for i, lab in enumerate(labels)]
    return [Entry(lab, s, load_series(s)) for lab, s in zip(labels, sources, strict=True)]


def common_day(entries: Sequence[Entry]) -> np.datetime64:
    """The last day every compared folder simulated."""
    return min(e.series.dates[-1] for e in entries)


def _index(series: Series, day: np.datetime64) -> int | None:
    i = int(np.searchsorted(series.dates, day))
    return i if i < len(series.dates) and series.dates[i] == day else None


def metrics_table(entries: Sequence[Entry]) -> Table:
    """Key metrics on the last common day, with differences against the first folder."""
    day = common_day(entries)
    first = entries[0]
    rows, shown = [], []
    for m in KEY_METRICS:
        if not all(e.series.has(m.column) for e in entries):
            continue
        base = math.nan
        cells = []
        for k, e in enumerate(entries):
            i = _index(e.series, day)
            values = e.series.at(m.column, i) * m.scale if i is not None else np.array([])
            mean, low, high, n = stats(values)
            if k == 0:
                base = mean
            diff = mean - base
            rel = diff / abs(base) if math.isfinite(base) and base != 0 else math.nan
            rows.append((m.label, m.column, m.unit, str(day), e.label, mean, low, high, n, diff, rel))
            cells.append(fmt_band(mean, low, high, e.series.runs))
            if k > 0:
                cells.append(_signed(diff) + (f" ({rel:+.1%})" if math.isfinite(rel) else ""))
        shown.append((m.label, m.unit, *cells))
    header = ["metric", "unit"]
    for k, e in enumerate(entries):
        header.append(e.label)
        if k > 0:
            header.append(f"{e.label} - {first.label}")
    return Table(
        "compare_metrics",
        f"Key metrics on {day}, the last day all folders simulated (ensembles: mean [5th, 95th "
        "percentile] across seeds), and differences against the first",
        (
            "metric",
            "column",
            "unit",
            "date",
            "scenario",
            "mean",
            "p05",
            "p95",
            "runs",
            "diff_vs_first",
            "rel_diff_vs_first",
        ),
        tuple(rows),
        shown_header=tuple(header),
        shown_rows=tuple(shown),
    )


def _signed(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return ("+" if x > 0 else "") + fmt_num(x)


def parameters_table(entries: Sequence[Entry]) -> Table:
    """The scenario parameters whose values differ between the folders."""
    values = [{r.key: r for r in scenario_rows(e.source.scenario)} for e in entries]
    keys = list(values[0])
    for v in values[1:]:
        keys += [k for k in v if k not in keys]
    rows = []
    for key in keys:
        if key in SKIPPED_KEYS:
            continue
        cells = [v[key].value if key in v else "(absent)" for v in values]
        if len(set(cells)) > 1:
            unit = next(v[key].unit for v in values if key in v)
            rows.append((key, unit, *cells))
    return Table(
        "compare_parameters",
        "Scenario parameters that differ between the compared folders",
        ("key", "unit", *(e.label for e in entries)),
        tuple(rows),
        shown_rows=tuple(rows),
    )


def scenarios_table(entries: Sequence[Entry]) -> Table:
    """What each compared folder holds."""
    rows = []
    for e in entries:
        s = e.source
        kind = "run" if s.kind == RUN else f"ensemble of {len(s.seeds)}"
        dates = f"{e.series.dates[0]} to {e.series.dates[-1]}"
        rows.append((e.label, display_path(s.path), kind, s.sha256, seeds_text(s.seeds), dates))
    return Table(
        "compare_scenarios",
        "Compared folders",
        ("label", "folder", "kind", "config_sha256", "seeds", "horizon"),
        tuple(rows),
        shown_rows=tuple(rows),
    )


def comparison_provenance(entries: Sequence[Entry]) -> Provenance:
    """Provenance of the comparison figures: every folder's sha256, seeds, version, commit."""
    return Provenance(
        " vs ".join(e.label for e in entries),
        ",".join(e.source.sha256 for e in entries),
        "; ".join(f"{e.label}: {seeds_text(e.source.seeds)}" for e in entries),
        ",".join(sorted({e.source.version for e in entries})),
        ",".join(sorted({e.source.git["commit"] for e in entries})),
    )


def render_compare_figures(
    entries: Sequence[Entry], folder: Path, prov: Provenance, specs: Sequence[FigureSpec] = FIGURES
) -> list[FigureFile]:
    """One figure per spec: a column per folder, the panels as rows, y-limits shared by row."""
    from matplotlib import style
    from matplotlib.figure import Figure

    files = []
    source = "comparison of " + ", ".join(e.source.path.name for e in entries)
    with style.context(style_path()):
        for spec in specs:
            panels = [p for p in spec.panels if any(e.series.has(x.column) for e in entries for x in p.lines)]
            if not panels:
                continue
            fig = Figure(figsize=(0.8 + 3.4 * len(entries), 1.0 + 2.2 * len(panels)))
            axes = fig.subplots(len(panels), len(entries), sharex=True, sharey="row", squeeze=False)
            for c, entry in enumerate(entries):
                axes[0, c].set_title(entry.label)
                for r, panel in enumerate(panels):
                    draw_panel(axes[r, c], panel, entry.series, legend=c == 0)
                    if c > 0:
                        axes[r, c].set_ylabel("")
            fig.suptitle(spec.title)
            name = f"compare_{spec.name}"
            save_figure(fig, folder, name, spec.title, prov, source)
            few = [e.series.runs for e in entries if 1 < e.series.runs < ROUGH_BELOW]
            rough = f" {rough_note(min(few))}" if few else ""
            caption = f"{spec.caption} Same y-axis along each row. {BAND_NOTE}{rough}"
            files.append(FigureFile.of(name, spec.title, caption, svg=True))
    return files


def build_document(entries: Sequence[Entry], figures: Path, command: Sequence[str]) -> Report:
    """Tables, figures and the comparison document."""
    report = Report("HashPivot comparison: " + " vs ".join(e.label for e in entries))
    report.add(REPRODUCE_NOTE, "", "## Scenarios", "")
    report.add_table(scenarios_table(entries))
    report.add("## Parameters that differ", "")
    report.add_table(parameters_table(entries))
    report.add("## Key metrics", "")
    report.add_table(metrics_table(entries))
    prov = comparison_provenance(entries)
    report.add("## Figures", "", *figures_markdown(render_compare_figures(entries, figures, prov), prov))
    report.add("## How to regenerate", "", "Rebuild every folder and this comparison with:", "", "```sh")
    for e in entries:
        report.add(shlex.join(portable_argv(e.source.command)) if e.source.command else "# (command not recorded)")
    report.add(shlex.join(portable_argv(command)), "```", "")
    report.add(
        "Cite as: HashPivot developers. *HashPivot* [software], metadata in `CITATION.cff`; "
        "state each folder's config sha256 and seeds (table above) with any result taken from "
        "this comparison."
    )
    return report


def build_comparison(paths: Sequence[Path], out: Path, fmt: str = "md", command: Sequence[str] | None = None) -> Path:
    """Compare run or ensemble folders into ``out`` (created or replaced atomically).

    Args:
        paths: Two or more folders; the first is the reference for differences.
        out: The comparison folder.
        fmt: ``md`` or ``html``.
        command: The command line that asked for it (for the regenerate block).

    Returns:
        The document written.

    Raises:
        CommandError: Bad input (one line).
    """
    entries = open_entries(paths)
    command = list(command or ["hashpivot", "compare", *map(str, paths), "--out", str(out)])
    marker = {
        "kind": "compare",
        "document": "compare",
        "inputs": [display_path(p) for p in paths],
        "scenario_sha256": [e.source.sha256 for e in entries],
    }
    return write_report(out, fmt, lambda figures: build_document(entries, figures, command), marker)
