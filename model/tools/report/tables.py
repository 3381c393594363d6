"""Tables of a report: written as CSV (raw values), Markdown and LaTeX (values for people)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hashpivot.model.tools.odd import markdown_cell, scenario_rows
from hashpivot.model.tools.output import write_csv
from hashpivot.model.tools.report.formatting import fmt_num

LONG_TABLE_ROWS = 40
"""LaTeX tables longer than this use ``longtable`` (they would not fit on a page)."""


@dataclass(frozen=True)
class Table:
    """A table, written as CSV (raw values) and as Markdown and LaTeX (values for people).

    Attributes:
        name: File stem under ``tables/``.
        title: One line saying what it is.
        header: CSV column names.
        rows: CSV cells (numbers unrounded, for re-analysis).
        shown_header: Header for Markdown/LaTeX (default ``header``).
        shown_rows: Cells for Markdown/LaTeX (default: ``rows`` formatted by ``fmt_num``).
        note: A line under the table (e.g. how the values were made).
    """

    name: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple, ...]
    shown_header: tuple[str, ...] | None = None
    shown_rows: tuple[tuple[str, ...], ...] | None = None
    note: str = ""

    def display(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """Header and cells as text for people."""
        if self.shown_rows is not None:
            return self.shown_header or self.header, list(self.shown_rows)
        return self.header, [tuple(fmt_num(c) for c in row) for row in self.rows]


def table_markdown(table: Table) -> str:
    """A Markdown pipe table; columns of numbers right-aligned."""
    header, rows = table.display()
    align = ["---:" if _numeric_column(rows, i) else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(markdown_cell(h) for h in header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(markdown_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# A cell that reads as a number: "1,234.5", "-0.25", "1.2e-05", "12%", "n/a", optionally
# followed by an interval "[a, b]" or a relative difference "(+4.5%)".
NUMBER_CELL = re.compile(r"[-+]?[\d,]*\.?\d+(e[-+]?\d+)?%?( \[.*\]| \(.*\))?|n/a")
_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def _numeric_column(rows: Sequence[Sequence[str]], i: int) -> bool:
    cells = [r[i] for r in rows if r[i] not in ("", "n/a")]
    return bool(cells) and all(NUMBER_CELL.fullmatch(c) for c in cells)


def latex_escape(text: str) -> str:
    """Text safe in a LaTeX table cell."""
    return "".join(_LATEX.get(ch, ch) for ch in " ".join(str(text).split()))


def table_latex(table: Table) -> str:
    """A LaTeX ``tabular`` (``longtable`` when long) with no package beyond that."""
    header, rows = table.display()
    align = "".join("r" if _numeric_column(rows, i) else "l" for i in range(len(header)))
    env = "longtable" if len(rows) > LONG_TABLE_ROWS else "tabular"
    lines = [f"% {table.title}. Written by hashpivot report (model/tools/report/tables.py)."]
    if env == "longtable":
        lines.append("% Needs \\usepackage{longtable} in the preamble.")
    lines += [
        f"\\begin{{{env}}}{{{align}}}",
        "\\hline",
        " & ".join(latex_escape(h) for h in header) + " \\\\",
        "\\hline",
    ]
    lines += [" & ".join(latex_escape(c) for c in row) + " \\\\" for row in rows]
    lines += ["\\hline", f"\\end{{{env}}}", ""]
    return "\n".join(lines)


def write_table(table: Table, folder: Path) -> None:
    """Write ``<name>.csv``, ``.md`` and ``.tex`` into ``folder``."""
    write_csv(folder / f"{table.name}.csv", table.header, table.rows)
    text = f"{table.title}\n\n{table_markdown(table)}\n"
    if table.note:
        text += f"\n{table.note}\n"
    (folder / f"{table.name}.md").write_text(text, encoding="utf-8")
    (folder / f"{table.name}.tex").write_text(table_latex(table), encoding="utf-8")


def parameter_table(
    values: Mapping[str, Any], name: str = "parameters", sources: Mapping[str, str] | None = None
) -> Table:
    """The scenario as run, every parameter with its unit and where its value comes from.

    Args:
        values: The resolved scenario with the runs' own horizon (``Source.parameters()``).
        name: The table's file stem.
        sources: Who set which key (a file of the scenario, ``--set``, ``--until``); other values are the
            schema's defaults and cite the schema's notes.
    """
    rows = tuple((r.key, r.value, r.unit, r.source) for r in scenario_rows(values, sources))
    return Table(
        name,
        "Scenario parameters as run: value, unit and source (the file or flag that set it, else the "
        "schema's note in model/config/schema.py)",
        ("key", "value", "unit", "source"),
        rows,
        shown_rows=rows,
    )
