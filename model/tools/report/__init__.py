"""Research reports from a run, an ensemble or a sweep folder: figures, tables and a document.

``build_report(Path("runs/out/baseline-ensemble"), Path("report"))`` reads what the folder holds
(found by its files: ``ensemble.json``, a run's ``manifest.json`` + ``timeseries.parquet``, or a
sweep's ``manifest.json`` + ``results/``) and writes, atomically::

    report.md (or report.html)   scenario + parameters, key results, figures, calibration,
                                 methods, how to cite and regenerate
    figures/<name>.svg, .png     one project style (model/data/hashpivot.mplstyle); provenance
                                 (config sha256, seeds, HashPivot version) in the file metadata
    tables/<name>.csv, .md, .tex parameters, key results, calibration, sweep summaries
    report.json                  what was reported (marks the folder as a report's)

Ensembles are summarised by the mean across seeds and a 90% band (5th-95th percentile). Nothing
in a table depends on when it was made, so the same folder always gives the same tables, and
figures carry no creation date.

Modules, in the order a report is made: ``source`` (what a folder is), ``reading`` and ``series``
(its daily series), ``formatting`` (numbers for people), ``tables``, ``key_results``,
``figure_specs`` and ``figures``, ``calibration``, ``text`` (summary, methods, citation),
``sweep``, ``document`` and ``assemble`` (the document), ``markdown_html``, ``writing`` (the folder).
"""

from hashpivot.model.tools.report.figure_specs import FIGURES
from hashpivot.model.tools.report.key_results import KEY_METRICS, key_dates
from hashpivot.model.tools.report.markdown_html import markdown_to_html
from hashpivot.model.tools.report.reading import load_series
from hashpivot.model.tools.report.series import Series
from hashpivot.model.tools.report.source import Source, open_source
from hashpivot.model.tools.report.tables import Table, latex_escape, table_latex, table_markdown
from hashpivot.model.tools.report.writing import FORMATS, build_report

__all__ = [
    "FIGURES",
    "FORMATS",
    "KEY_METRICS",
    "Series",
    "Source",
    "Table",
    "build_report",
    "key_dates",
    "latex_escape",
    "load_series",
    "markdown_to_html",
    "open_source",
    "table_latex",
    "table_markdown",
]
