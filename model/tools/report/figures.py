"""Drawing and saving figures in the project style, with provenance in the file metadata."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hashpivot.model.tools.report.figure_specs import FigureSpec, Panel
from hashpivot.model.tools.report.formatting import rough_note, seeds_text
from hashpivot.model.tools.report.series import Series
from hashpivot.model.tools.report.source import SWEEP, Source

STYLE_FILE = "hashpivot.mplstyle"


@dataclass(frozen=True)
class Provenance:
    """What a figure was made from, embedded in its metadata."""

    scenario: str
    sha256: str
    seeds: str
    version: str
    commit: str

    def description(self) -> str:
        """One line for the Description field."""
        return (
            f"HashPivot {self.version}; scenario {self.scenario}; config sha256 {self.sha256}; "
            f"seeds {self.seeds}; git commit {self.commit}"
        )

    def keywords(self) -> list[str]:
        """Machine-readable tokens for the Keywords field."""
        return [
            "HashPivot",
            f"hashpivot-version:{self.version}",
            f"config-sha256:{self.sha256}",
            f"seeds:{self.seeds}",
        ]


def provenance(source: Source) -> Provenance:
    """The provenance of figures made from ``source``."""
    if source.kind == SWEEP:
        seeds = f"sweep root_seed {source.manifest.get('root_seed', 'unknown')}"
    else:
        seeds = seeds_text(source.seeds)
    return Provenance(source.name, source.sha256, seeds, source.version, source.git["commit"])


@dataclass(frozen=True)
class FigureFile:
    """A written figure: its spec's name, title and caption, and the two files (relative)."""

    name: str
    title: str
    caption: str
    png: str
    svg: str  # "" when only PNG was written (``--no-svg``)

    @classmethod
    def of(cls, name: str, title: str, caption: str, svg: bool) -> FigureFile:
        """The files ``figures/<name>.png`` (and ``.svg``) of a saved figure."""
        return cls(name, title, caption, f"figures/{name}.png", f"figures/{name}.svg" if svg else "")


def style_path() -> Path:
    """The project's matplotlib style file (packaged with ``hashpivot.model.data``)."""
    return Path(str(resources.files("hashpivot.model.data").joinpath(STYLE_FILE)))


def save_figure(fig, folder: Path, name: str, title: str, prov: Provenance, source: str, svg: bool = True) -> None:
    """Save ``fig`` as SVG and PNG with provenance metadata and no creation date.

    Args:
        fig: A matplotlib ``Figure``.
        folder: Where to write.
        name: File stem.
        title: The Title metadata.
        prov: Config sha256, seeds, version (Description and Keywords).
        source: The Source metadata (what the figure was made from).
        svg: Also write the SVG (the vector original); False keeps only the PNG.
    """
    common = {"Title": title, "Description": prov.description(), "Source": source}
    if svg:
        # Date=None drops the date matplotlib would write; the style fixes the SVG id salt.
        meta = {**common, "Keywords": prov.keywords(), "Date": None}
        fig.savefig(folder / f"{name}.svg", format="svg", metadata=meta)
    # PNG: matplotlib writes no creation time unless asked for one.
    meta = {**common, "Keywords": " ".join(prov.keywords())}
    fig.savefig(folder / f"{name}.png", format="png", metadata=meta)


def draw_panel(ax, panel: Panel, series: Series, legend: bool = True) -> bool:
    """Draw a panel's lines (mean and 90% band when there are several runs).

    Returns:
        False if none of its columns was recorded (nothing drawn).
    """
    import matplotlib.dates as mdates

    drawn = False
    for line in panel.lines:
        if not series.has(line.column):
            continue
        mean, low, high = (v * line.scale for v in series.band(line.column))
        (handle,) = ax.plot(series.dates, mean, label=line.label)
        if series.runs > 1:
            ax.fill_between(series.dates, low, high, color=handle.get_color(), alpha=0.2, lw=0)
        drawn = True
    ax.set_ylabel(panel.ylabel)
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if legend and drawn and len(panel.lines) > 1:
        ax.legend()
    return drawn


def band_note(series: Series) -> str:
    """How to read the lines of a figure."""
    if series.runs > 1:
        rough = rough_note(series.runs, series.label)
        text = f"Lines: mean across {series.runs} {series.label}; shaded: 90% band (5th-95th percentile)."
        return f"{text} {rough}" if rough else text
    return "One run."


def render_figures(
    series: Series,
    folder: Path,
    prov: Provenance,
    source: str,
    specs: Sequence[FigureSpec],
    svg: bool = True,
) -> list[FigureFile]:
    """Draw and save every figure whose columns were recorded.

    Args:
        series: The daily series.
        folder: The report's ``figures/`` folder.
        prov: Provenance for the metadata.
        source: The Source metadata.
        specs: The figures.
        svg: Write SVG besides PNG.

    Returns:
        The figures written, in order.
    """
    from matplotlib import style
    from matplotlib.figure import Figure

    files = []
    with style.context(style_path()):
        for spec in specs:
            panels = [p for p in spec.panels if any(series.has(x.column) for x in p.lines)]
            if not panels:
                continue
            width, _ = Figure().get_size_inches()
            fig = Figure(figsize=(width, 1.0 + 2.3 * len(panels)))
            axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
            for ax, panel in zip(axes, panels, strict=True):
                draw_panel(ax, panel, series)
            fig.suptitle(spec.title)
            save_figure(fig, folder, spec.name, spec.title, prov, source, svg)
            caption = f"{spec.caption} {band_note(series)}"
            files.append(FigureFile.of(spec.name, spec.title, caption, svg))
    return files


def figures_markdown(files: Sequence[FigureFile], prov: Provenance) -> list[str]:
    """Markdown for the figures: image (PNG), caption, link to the vector file."""
    lines = [
        f"Provenance embedded in every figure file (SVG and PNG metadata): {prov.description()}.",
        "",
    ]
    for f in files:
        lines += [
            f"### {f.title}",
            "",
            f"![{f.title}]({f.png})",
            "",
            f"{f.caption} Vector version: [{Path(f.svg).name}]({f.svg})." if f.svg else f.caption,
            "",
        ]
    return lines
