"""An estimation's tables (estimates.csv, fit.csv, posterior.parquet) and its report (estimate.md, figures/)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa

from hashpivot.model.tools.estimate.history_matching import IDENTIFIED_CONTRACTION
from hashpivot.model.tools.estimate.run import Estimate
from hashpivot.model.tools.sweep.design import unit_to_value
from hashpivot.model.tools.sweep.store import write_parquet_atomic

ESTIMATES_COLUMNS = (
    "parameter",
    "estimate",
    "low90",
    "high90",
    "prior_low",
    "prior_high",
    "posterior_mean",
    "contraction",
    "identified",
    "true_value",
    "true_in_interval",
)
EDGE = 0.025
"""An interval within this share of the prior range of a bound is reported as reaching the prior's bound."""
FIT_COLUMNS = ("target", "observed", "sd", "simulated_mean", "simulated_sd", "emulated_mean", "z", "source")


def estimate_rows(result: Estimate) -> list[dict]:
    """One row per parameter: the median, the 90% credible interval, the prior, contraction and identification."""
    rows = []
    for param, marg in zip(result.plan.spec.parameters, result.marginals, strict=True):
        truth = None if result.truth is None else result.truth[param.name]
        low, high = unit_to_value(param, marg.low90), unit_to_value(param, marg.high90)
        rows.append(
            {
                "parameter": param.name,
                "estimate": unit_to_value(param, marg.median),
                "low90": low,
                "high90": high,
                "prior_low": param.low,
                "prior_high": param.high,
                "posterior_mean": unit_to_value(param, marg.mean),
                "contraction": marg.contraction,
                "identified": marg.identified,
                "true_value": truth,
                "true_in_interval": None if truth is None else bool(low <= truth <= high),
            }
        )
    return rows


def fit_rows(result: Estimate) -> list[dict]:
    """One row per target: observed vs the check runs at the estimate (and the emulator there)."""
    obs, check = result.observations, result.check
    emulated = result.emulated_at_estimate[0][0]
    rows = []
    for k, target in enumerate(result.plan.spec.targets):
        mean, sd = float(check["mean"][k]), float(check["sd"][k])
        spread = np.sqrt(obs.sd[k] ** 2 + sd**2)
        rows.append(
            {
                "target": target.name,
                "observed": float(obs.values[k]),
                "sd": float(obs.sd[k]),
                "simulated_mean": mean,
                "simulated_sd": sd,
                "emulated_mean": float(emulated[k]),
                "z": (mean - obs.values[k]) / spread if np.isfinite(spread) and spread > 0 else float("nan"),
                "source": target.source,
            }
        )
    return rows


def write_outputs(result: Estimate, out: Path) -> list[Path]:
    """Write the tables, the figures and the report; each file appears whole or not at all.

    Returns:
        The files written.
    """
    out = Path(out)
    written = [
        _csv(out / "estimates.csv", ESTIMATES_COLUMNS, estimate_rows(result)),
        _csv(out / "fit.csv", FIT_COLUMNS, fit_rows(result)),
        _posterior(out / "posterior.parquet", result),
    ]
    figures = _figures(result, out / "figures")
    written += figures
    path = out / "estimate.md"
    _atomic_text(path, markdown(result, [f.relative_to(out) for f in figures]))
    written.append(path)
    return written


def _csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> Path:
    from hashpivot.model.tools.output import write_csv

    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write_csv(tmp, columns, ([row[c] for c in columns] for row in rows))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _posterior(path: Path, result: Estimate) -> Path:
    columns = {
        p.name: pa.array([unit_to_value(p, u) for u in result.draws_unit[:, j]], pa.float64())
        for j, p in enumerate(result.plan.spec.parameters)
    }
    columns["weight"] = pa.array(result.weights, pa.float64())
    write_parquet_atomic(path, pa.table(columns))
    return path


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


def _figures(result: Estimate, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hashpivot.model.tools.report.figures import style_path

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with plt.style.context(str(style_path())):
        paths.append(_save(_marginals_figure(result, plt), folder / "marginals.png", plt))
        paths.append(_save(_fit_figure(result, plt), folder / "fit.png", plt))
        if len(result.plan.spec.parameters) >= 2:
            paths.append(_save(_pairs_figure(result, plt), folder / "pairs.png", plt))
    return paths


def _save(fig, path: Path, plt) -> Path:
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}.png")
    try:
        fig.savefig(tmp, format="png", metadata={"Software": "HashPivot"})
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return path


def _values(result: Estimate, j: int) -> np.ndarray:
    param = result.plan.spec.parameters[j]
    return param.low + result.draws_unit[:, j] * (param.high - param.low)


def _marginals_figure(result: Estimate, plt):
    params = result.plan.spec.parameters
    fig, axes = plt.subplots(1, len(params), figsize=(3.6 * len(params), 3.0), squeeze=False)
    rows = estimate_rows(result)
    for j, (ax, param, row) in enumerate(zip(axes[0], params, rows, strict=True)):
        ax.hist(_values(result, j), bins=40, range=(param.low, param.high), weights=result.weights, color="C0")
        ax.axvspan(row["low90"], row["high90"], color="C0", alpha=0.15, label="90% interval")
        ax.axvline(row["estimate"], color="C1", label="estimate (median)")
        if row["true_value"] is not None:
            ax.axvline(row["true_value"], color="k", linestyle="--", label="true value")
        ax.set_xlim(param.low, param.high)
        ax.set_xlabel(param.name)
        ax.set_yticks([])
        ax.set_title(f"contraction {row['contraction']:.2f}", fontsize=9)
    axes[0][0].set_ylabel("posterior density (prior: flat)")
    axes[0][0].legend(fontsize=7)
    return fig


def _fit_figure(result: Estimate, plt):
    rows = fit_rows(result)
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    z_obs = np.zeros(len(rows))
    scale = np.array([r["sd"] for r in rows])
    sim = np.array([(r["simulated_mean"] - r["observed"]) / r["sd"] for r in rows])
    sim_sd = np.array([r["simulated_sd"] for r in rows]) / scale
    ax.errorbar(z_obs, y + 0.12, xerr=2.0, fmt="o", color="k", label="observed +- 2 sd")
    ax.errorbar(sim, y - 0.12, xerr=2.0 * sim_sd, fmt="s", color="C1", label="check runs at the estimate, +- 2 sd")
    ax.set_yticks(y, [r["target"] for r in rows], fontsize=8)
    ax.axvline(0, color="0.7", linewidth=0.8)
    ax.set_xlabel("simulated - observed, in observation sd")
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    return fig


def _pairs_figure(result: Estimate, plt):
    params = result.plan.spec.parameters
    d = len(params)
    fig, axes = plt.subplots(d - 1, d - 1, figsize=(3.0 * (d - 1), 3.0 * (d - 1)), squeeze=False)
    for a in range(d - 1):
        for b in range(d - 1):
            ax = axes[a][b]
            i, j = b, a + 1
            if b > a:
                ax.axis("off")
                continue
            ax.hist2d(
                _values(result, i),
                _values(result, j),
                bins=30,
                range=[[params[i].low, params[i].high], [params[j].low, params[j].high]],
                weights=result.weights,
                cmap="Blues",
            )
            ax.set_title(f"r = {result.correlation[i, j]:.2f}", fontsize=9)
            ax.set_xlabel(params[i].name, fontsize=8)
            ax.set_ylabel(params[j].name, fontsize=8)
    return fig


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def markdown(result: Estimate, figures: list[Path]) -> str:
    """The report as Markdown."""
    spec, plan = result.plan.spec, result.plan
    method = spec.method
    lines = [f"# Estimation: {spec.name or Path(plan.source).stem}", ""]
    if spec.description:
        lines += [spec.description, ""]
    observed = "a model run at the true values below (`--synthetic`)" if result.truth else "the file's observed values"
    from hashpivot.model.tools.portable import project_path

    lines += [
        f"- File: `{project_path(plan.source)}`; base scenario `{project_path(plan.sweep.base_source)}` "
        f"(sha256 {plan.sweep.base_sha256[:12]}); "
        f"{plan.sweep.base_scenario['run']['days']} days per run.",
        f"- Observations: {observed}.",
        f"- Method: history matching with Gaussian-process emulators, {len(result.waves)} wave(s) of "
        f"{method.points} points x {method.replications} replications, cutoff {method.cutoff:g}; the posterior on "
        f"the last emulators from {len(result.weights)} Sobol draws of the prior (effective sample size "
        f"{result.ess:.0f}); {method.check_replications} check runs at the estimate. Root seed {method.root_seed}.",
        f"- Runs used: {result.runs_used}; wall time {result.total_wall_time_s:.0f} s in {result.sessions} "
        f"session(s), the last {result.wall_time_s:.0f} s (each session's runs and time: estimation.json).",
    ]
    if result.stopped_early:
        lines.append(f"- Stopped early: {result.stopped_early}.")
    lines += ["", "## Estimates", "", _estimates_table(result), ""]
    weak = [r["parameter"] for r in estimate_rows(result) if not r["identified"]]
    lines.append(
        f"A parameter is *identified* when the data remove at least {IDENTIFIED_CONTRACTION:.0%} of its prior "
        "variance (contraction = 1 - posterior variance / prior variance). "
        + (f"Not identified by these targets: {', '.join(f'`{w}`' for w in weak)}." if weak else "All are identified.")
    )
    edge = [m for m, p in zip(result.marginals, spec.parameters, strict=True) if m.low90 < EDGE or m.high90 > 1 - EDGE]
    if edge:
        names = [p.name for m, p in zip(result.marginals, spec.parameters, strict=True) if m in edge]
        lines.append(
            f"\nAt the prior's bound: the 90% interval of {', '.join(f'`{n}`' for n in names)} reaches within "
            f"{EDGE:.1%} of the prior range of its end, so the data push beyond the prior: the estimate is the prior's "
            "choice as much as the data's."
        )
    if result.truth is not None:
        inside = sum(bool(r["true_in_interval"]) for r in estimate_rows(result))
        lines += ["", f"Synthetic recovery: {inside} of {len(spec.parameters)} true values lie in their 90% interval."]
    lines += ["", "## Fit: observed vs simulated at the estimate", "", _fit_table(result), ""]
    lines += [
        "Simulated: the mean and sd of the check runs at the estimate (one run's spread); emulated: the emulator's "
        "mean there; z = (simulated - observed) / sqrt(sd^2 + simulated sd^2).",
        "",
    ]
    if len(spec.parameters) >= 2:
        lines += ["## Correlations between parameters (posterior)", "", _correlation_table(result), ""]
        lines.append(
            "A strong correlation means the targets pin down a combination, not each parameter (equifinality)."
        )
        lines.append("")
    lines += [
        "## Waves",
        "",
        "| wave | points | runs ok | failed | plausible share of the prior |",
        "|---|---|---|---|---|",
    ]
    for w in result.waves:
        lines.append(f"| {w.number} | {len(w.unit)} | {w.runs_ok} | {w.runs_failed} | {w.plausible_share:.3f} |")
    lines += ["", "## Figures", ""]
    lines += [f"![{f.stem}]({f.as_posix()})" for f in figures]
    lines += ["", "## Targets", ""]
    for t in spec.targets:
        window = f", {t.start} to {t.end}" if t.start or t.end else ""
        lines.append(f"- `{t.name}`: {t.reducer} of `{t.column}`{window}; {t.source}")
    return "\n".join(lines) + "\n"


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.4g}"


def _estimates_table(result: Estimate) -> str:
    truth = result.truth is not None
    head = "| parameter | estimate | 90% interval | prior | contraction | identified |" + (
        " true | inside |" if truth else ""
    )
    rule = "|---|---|---|---|---|---|" + ("---|---|" if truth else "")
    lines = [head, rule]
    for r in estimate_rows(result):
        line = (
            f"| `{r['parameter']}` | {_number(r['estimate'])} | [{_number(r['low90'])}, {_number(r['high90'])}] "
            f"| [{_number(r['prior_low'])}, {_number(r['prior_high'])}] | {r['contraction']:.2f} "
            f"| {_number(r['identified'])} |"
        )
        if truth:
            line += f" {_number(r['true_value'])} | {_number(r['true_in_interval'])} |"
        lines.append(line)
    return "\n".join(lines)


def _fit_table(result: Estimate) -> str:
    lines = ["| target | observed | sd | simulated | simulated sd | emulated | z |", "|---|---|---|---|---|---|---|"]
    for r in fit_rows(result):
        lines.append(
            f"| `{r['target']}` | {_number(r['observed'])} | {_number(r['sd'])} | {_number(r['simulated_mean'])} "
            f"| {_number(r['simulated_sd'])} | {_number(r['emulated_mean'])} | {r['z']:+.2f} |"
        )
    return "\n".join(lines)


def _correlation_table(result: Estimate) -> str:
    names = result.plan.spec.names
    lines = ["| | " + " | ".join(f"`{n}`" for n in names) + " |", "|---" * (len(names) + 1) + "|"]
    for i, name in enumerate(names):
        lines.append(
            f"| `{name}` | " + " | ".join(f"{result.correlation[i, j]:+.2f}" for j in range(len(names))) + " |"
        )
    return "\n".join(lines)
