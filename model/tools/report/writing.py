"""Writing a report folder, atomically: tables, the document (Markdown or HTML) and the marker file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hashpivot.model.tools.errors import CommandError, check_out_option
from hashpivot.model.tools.output import REPORT_FILE, write_atomically
from hashpivot.model.tools.report.assemble import build_document
from hashpivot.model.tools.report.document import Report
from hashpivot.model.tools.report.markdown_html import html_to_pdf, markdown_to_html, require_chromium
from hashpivot.model.tools.report.source import open_source
from hashpivot.model.tools.report.tables import write_table
from hashpivot.model.tools.report.text import display_path

REPORT_FORMAT = "hashpivot-report/1"
FORMATS = ("md", "html", "pdf")
"""Document formats: Markdown beside its figures and tables, one self-contained HTML file, or a PDF of it."""


def write_document(folder: Path, report: Report, fmt: str, marker: Mapping[str, Any]) -> Path:
    """Write the tables, the document (``report.md``, ``.html`` or ``.pdf``) and the marker file.

    HTML embeds every figure and table file (``markdown_to_html``), so it can be mailed alone; PDF is that
    page printed by headless Chromium (the HTML is kept beside it).
    """
    tables = folder / "tables"
    tables.mkdir(exist_ok=True)
    for table in report.tables:
        write_table(table, tables)
    text = report.markdown()
    stem = str(marker.get("document", "report"))
    if fmt in ("html", "pdf"):
        path = folder / f"{stem}.html"
        path.write_text(markdown_to_html(text, report.title, folder), encoding="utf-8")
        if fmt == "pdf":
            html_to_pdf(path, folder / f"{stem}.pdf")
            path = folder / f"{stem}.pdf"
    else:
        path = folder / f"{stem}.md"
        path.write_text(text, encoding="utf-8")
    info = {**marker, "format": REPORT_FORMAT, "document": path.name, "tables": [t.name for t in report.tables]}
    (folder / REPORT_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return path


def build_report(
    path: Path,
    out: Path,
    fmt: str = "md",
    command: Sequence[str] | None = None,
    svg: bool = True,
) -> Path:
    """Build the report of a run, ensemble or sweep folder into ``out``.

    Args:
        path: The input folder.
        out: The report folder (created or replaced, atomically).
        fmt: ``md``, ``html`` or ``pdf``.
        command: The command line that asked for it (for the regenerate block).
        svg: Write every figure as SVG too (False: PNG only, for small example folders).

    Returns:
        The document written.

    Raises:
        CommandError: Bad input (one line).
    """
    if fmt not in FORMATS:
        raise CommandError(f"--format {fmt!r}: unknown (accepted: {', '.join(FORMATS)})")
    source = open_source(Path(path))
    command = list(command or ["hashpivot", "report", str(path), "--format", fmt, "--out", str(out)])
    marker = {
        "kind": source.kind,
        "input": display_path(path),
        "scenario_sha256": source.sha256,
        "seeds": source.seeds,
    }
    return write_report(out, fmt, lambda figures: build_document(source, figures, command, svg), marker)


def write_report(out: Path, fmt: str, assemble: Callable[[Path], Report], marker: Mapping[str, Any]) -> Path:
    """Create or replace the report folder ``out`` atomically (a hidden sibling is filled first).

    Args:
        out: The folder; refused if it exists and holds no previous report.
        fmt: ``md`` or ``html``.
        assemble: Makes the document, drawing its figures into the ``figures/`` folder it is given.
        marker: What was reported, for ``report.json`` (``document`` names the document's stem).

    Returns:
        The document written.

    Raises:
        CommandError: ``out`` cannot be used or written.
    """
    check_out_option(out, REPORT_FILE, "report")
    if fmt == "pdf":
        require_chromium()  # before anything is drawn or written
    written: list[Path] = []

    def fill(folder: Path) -> None:
        figures = folder / "figures"
        figures.mkdir()
        written.append(write_document(folder, assemble(figures), fmt, marker))

    folder = Path(os.path.abspath(out))
    try:
        write_atomically(folder, fill)
    except OSError as exc:
        raise CommandError(f"--out {folder}: cannot write: {exc.strerror or exc}") from exc
    return Path(out) / written[0].name
