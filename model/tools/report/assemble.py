"""Assembling a report's document from a source: tables computed, figures drawn, sections in order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hashpivot.model.tools.report.calibration import calibration_section
from hashpivot.model.tools.report.document import Report
from hashpivot.model.tools.report.figure_specs import FIGURES
from hashpivot.model.tools.report.figures import figures_markdown, provenance, render_figures
from hashpivot.model.tools.report.formatting import seeds_text
from hashpivot.model.tools.report.key_results import key_results_table
from hashpivot.model.tools.report.reading import load_series
from hashpivot.model.tools.report.source import ENSEMBLE, SWEEP, Source
from hashpivot.model.tools.report.sweep import sweep_document
from hashpivot.model.tools.report.tables import parameter_table
from hashpivot.model.tools.report.text import (
    REPRODUCE_NOTE,
    kind_text,
    methods_paragraph,
    regenerate_block,
    summary_lines,
)


def build_document(source: Source, figures_dir: Path, report_command: Sequence[str], svg: bool = True) -> Report:
    """Compute the tables, draw the figures into ``figures_dir`` and assemble the document."""
    if source.kind == SWEEP:
        return sweep_document(source, figures_dir, report_command, svg)
    series = load_series(source)
    prov = provenance(source)
    kind = "ensemble" if source.kind == ENSEMBLE else "run"
    report = Report(f"HashPivot report: {source.name} ({kind_text(source)})")
    report.add(REPRODUCE_NOTE, "", "## Scenario", "", *summary_lines(source, series), "")
    report.add_table(parameter_table(source.parameters(), sources=source.parameter_sources), "### Parameters")
    report.add("## Key results", "")
    report.add_table(key_results_table(series))
    files = render_figures(series, figures_dir, prov, f"{kind} {source.path.name}", FIGURES, svg)
    report.add(*figures_markdown(files, prov))
    calibration_section(report, source)
    runs_text = (
        f"This report summarises an ensemble of {series.runs} runs with seeds "
        f"{seeds_text(source.seeds)}: lines are means across seeds and bands the 5th-95th "
        "percentile; tables give the mean and that 90% interval."
        if source.kind == ENSEMBLE
        else f"This report shows one run (seed {source.seeds[0]}); an ensemble "
        "(`hashpivot ensemble`) adds uncertainty bands across seeds."
    )
    report.add("## Methods", "", methods_paragraph(source, series, runs_text), "")
    report.add("## How to cite / how to regenerate", "", *regenerate_block(source, report_command))
    return report
