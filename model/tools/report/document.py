"""A report document being assembled: Markdown sections and the tables it links."""

from __future__ import annotations

from dataclasses import dataclass, field

from hashpivot.model.tools.report.tables import Table, table_markdown


@dataclass
class Report:
    """Everything a report folder holds, before it is written."""

    title: str
    sections: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def add(self, *lines: str) -> None:
        """Append Markdown lines."""
        self.sections.extend(lines)

    def add_table(self, table: Table, intro: str = "") -> None:
        """Append a table (Markdown inline, with links to its CSV and LaTeX files)."""
        self.tables.append(table)
        if intro:
            self.add(intro, "")
        self.add(
            f"*{table.title}.* Files: [CSV](tables/{table.name}.csv), "
            f"[Markdown](tables/{table.name}.md), [LaTeX](tables/{table.name}.tex).",
            "",
            table_markdown(table),
            "",
        )
        if table.note:
            self.add(table.note, "")

    def markdown(self) -> str:
        """The document as Markdown."""
        return f"# {self.title}\n\n" + "\n".join(self.sections).rstrip() + "\n"
