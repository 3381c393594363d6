"""Markdown to a self-contained HTML page: just what the reports write."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from hashpivot.model.tools.report.tables import NUMBER_CELL

_HTML_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.45}"
    "table{border-collapse:collapse;margin:1em 0;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    "td.n{text-align:right}img{max-width:100%}"
    "pre{background:#f5f5f5;padding:.6em;overflow-x:auto}code{background:#f5f5f5}"
    "blockquote{color:#444;border-left:3px solid #ccc;margin-left:0;padding-left:1em}"
)


def markdown_to_html(text: str, title: str) -> str:
    """A self-contained HTML page from the Markdown the reports write.

    Handles headings, paragraphs, bullet lists, block quotes, pipe tables, fenced code, images,
    links, inline code, bold and italics; HTML comments are dropped.

    Args:
        text: Markdown.
        title: The page title.

    Returns:
        The HTML document.
    """
    out: list[str] = []
    lines = re.sub(r"<!--.*?-->", "", text, flags=re.S).splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines))
            out.append("<pre><code>" + html.escape("\n".join(lines[i + 1 : end])) + "</code></pre>")
            i = end + 1
        elif heading := re.match(r"(#{1,6}) (.*)", line):
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            i += 1
        elif line.startswith("|"):
            end = _block_end(lines, i, lambda x: x.startswith("|"))
            out.append(_html_table(lines[i:end]))
            i = end
        elif line.startswith("- "):
            end = _block_end(lines, i, lambda x: x.startswith("- "))
            out.append("<ul>" + "".join(f"<li>{_inline(x[2:])}</li>" for x in lines[i:end]) + "</ul>")
            i = end
        elif line.startswith(">"):
            end = _block_end(lines, i, lambda x: x.startswith(">"))
            body = " ".join(x.lstrip("> ") for x in lines[i:end])
            out.append(f"<blockquote><p>{_inline(body)}</p></blockquote>")
            i = end
        elif line.strip():
            end = _block_end(lines, i, lambda x: bool(x.strip()) and not re.match(r"[#|>`-]", x))
            end = max(end, i + 1)
            out.append("<p>" + _inline(" ".join(lines[i:end])) + "</p>")
            i = end
        else:
            i += 1
    body = "\n".join(out)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_HTML_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _block_end(lines: Sequence[str], start: int, inside: Callable[[str], bool]) -> int:
    end = start
    while end < len(lines) and inside(lines[end]):
        end += 1
    return end


def _cells(row: str) -> list[str]:
    inner = row.strip()
    inner = inner[1:-1] if inner.endswith("|") else inner[1:]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def _html_table(rows: Sequence[str]) -> str:
    header = _cells(rows[0])
    body = [r for r in rows[1:] if not re.fullmatch(r"\|[\s:|-]*\|?", r.strip())]
    parts = ["<table>", "<tr>" + "".join(f"<th>{_inline(h)}</th>" for h in header) + "</tr>"]
    for row in body:
        cells = _cells(row)
        parts.append(
            "<tr>"
            + "".join(
                f'<td class="n">{_inline(c)}</td>' if NUMBER_CELL.fullmatch(c) else f"<td>{_inline(c)}</td>"
                for c in cells
            )
            + "</tr>"
        )
    parts.append("</table>")
    return "\n".join(parts)


def _inline(text: str) -> str:
    """Inline Markdown to HTML; code spans are kept verbatim."""
    pieces = text.split("`")
    out = []
    for k, piece in enumerate(pieces):
        if k % 2 == 1 and k < len(pieces) - 1:
            out.append(f"<code>{html.escape(piece)}</code>")
            continue
        s = html.escape(piece if k % 2 == 0 else "`" + piece, quote=True)
        s = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", r'<img src="\2" alt="\1">', s)
        s = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', s)
        s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", s)
        out.append(s)
    return "".join(out)
