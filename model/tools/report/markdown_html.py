"""Markdown to one self-contained HTML page (markdown-it-py), and that page to PDF (headless Chromium).

The page is rendered by markdown-it-py (CommonMark with GitHub-style tables). Every image and every link
to a file of the report folder (``figures/*.png``, ``figures/*.svg``, ``tables/*.csv``, ...) is embedded
as a ``data:`` URI, so the page is one file that can be mailed or moved: nothing it shows or links lives
beside it. Links to other places (``https://...``) are left as they are.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import os
import re
import shutil
import subprocess
from pathlib import Path

from hashpivot.model.tools.errors import CommandError

_HTML_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.45}"
    "table{border-collapse:collapse;margin:1em 0;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
    "img{max-width:100%}"
    "pre{background:#f5f5f5;padding:.6em;overflow-x:auto}code{background:#f5f5f5}"
    "blockquote{color:#444;border-left:3px solid #ccc;margin-left:0;padding-left:1em}"
    "@media print{body{max-width:none;margin:0}img{page-break-inside:avoid}}"
)
_TYPES = {".svg": "image/svg+xml", ".csv": "text/csv", ".md": "text/markdown", ".tex": "application/x-tex"}
PDF_TIMEOUT_S = 180
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(text: str, title: str, folder: Path | None = None) -> str:
    """A self-contained HTML page from Markdown.

    Args:
        text: Markdown (HTML comments are dropped; other raw HTML is shown as text).
        title: The page title.
        folder: The folder relative links point into; the files found there are embedded as ``data:``
            URIs (images shown, other files downloadable under their own names). None embeds nothing.

    Returns:
        The HTML document.
    """
    md = _parser()
    tokens = md.parse(re.sub(r"<!--.*?-->", "", text, flags=re.S))
    if folder is not None:
        _embed(tokens, Path(folder))
    body = md.renderer.render(tokens, md.options, {})
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_HTML_STYLE}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )


def _embed(tokens, folder: Path) -> None:
    """Point images and file links at ``data:`` URIs of the files they name in ``folder``."""
    for token in tokens:
        for child in token.children or ():
            if child.type == "image":
                uri = data_uri(folder, str(child.attrs.get("src", "")))
                if uri is not None:
                    child.attrs["src"] = uri
            elif child.type == "link_open":
                target = str(child.attrs.get("href", ""))
                uri = data_uri(folder, target)
                if uri is not None:
                    child.attrs["href"] = uri
                    child.attrs["download"] = Path(target).name


def data_uri(folder: Path, target: str) -> str | None:
    """``data:<type>;base64,...`` of a relative file of ``folder`` (None for anything else)."""
    if not target or re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
        return None
    path = folder / target
    if not path.is_file():
        return None
    kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def chromium() -> str | None:
    """The headless browser that prints PDFs (the first of ``CHROMIUM_NAMES`` on PATH), or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The browser for ``--format pdf``.

    Raises:
        CommandError: None is installed (one line, before anything is written).
    """
    found = chromium()
    if found is None:
        raise CommandError(
            "--format pdf: needs Chromium to print the HTML report (none of "
            f"{', '.join(CHROMIUM_NAMES)} is on PATH; e.g. apt-get install chromium) "
            "(accepted: md, html, or pdf where Chromium is installed)"
        )
    return found


def html_to_pdf(page: Path, pdf: Path) -> None:
    """Print a self-contained HTML page to PDF with headless Chromium (no header or footer).

    Raises:
        CommandError: Chromium is missing, fails or takes longer than ``PDF_TIMEOUT_S``.
    """
    browser = require_chromium()
    argv = [
        browser,
        "--headless",
        "--no-sandbox",  # root in containers and CI
        "--disable-gpu",
        "--no-pdf-header-footer",
        f"--print-to-pdf={os.path.abspath(pdf)}",
        Path(os.path.abspath(page)).as_uri(),
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=PDF_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise CommandError(f"--format pdf: Chromium failed: {' '.join(str(exc).split())}") from None
    if done.returncode != 0 or not pdf.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CommandError(f"--format pdf: Chromium failed (exit {done.returncode}): {last}")
