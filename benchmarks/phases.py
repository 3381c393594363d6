"""Where a run's time goes: each phase of ``HashpivotModel.step`` over a 10-year baseline (issue 17).

Sampled with pyinstrument (a dev dependency; sampling, so the Python-heavy phases are not inflated the way a
tracing profiler inflates them). The phases are read off the profile as the children of ``step``, so the table
follows ``step()`` as it changes. ``python benchmarks/phases.py [--days N]`` prints it; ``make bench`` puts it
in docs/performance.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hashpivot.model.config.schema import Scenario  # noqa: E402
from hashpivot.model.simulation import HashpivotModel  # noqa: E402


def _steps(frame):
    """Every ``HashpivotModel.step`` frame: Mesa's event loop reaches it along more than one call path."""
    if frame.function == "step" and frame.class_name == "HashpivotModel":
        yield frame
        return
    for child in frame.children:
        yield from _steps(child)


def phase_seconds(days: int = 3650, seed: int = 0, interval_s: float = 0.001) -> tuple[float, list[tuple[str, float]]]:
    """``(total, [(phase, seconds), ...])`` of the baseline's ``step`` over ``days``, largest first."""
    from pyinstrument import Profiler

    model = HashpivotModel(Scenario(), seed=seed)
    profiler = Profiler(interval=interval_s)
    profiler.start()
    for _ in range(days):
        model.step()
    profiler.stop()
    total, phases = 0.0, {}
    for step in _steps(profiler.last_session.root_frame()):
        total += step.time
        for child in step.children:
            name = f"{child.class_name}.{child.function}" if child.class_name else child.function
            phases[name] = phases.get(name, 0.0) + child.time
    return total, sorted(phases.items(), key=lambda kv: -kv[1])


def markdown(days: int = 3650, seed: int = 0, top: int = 10) -> str:
    """The phase table as Markdown: the ``top`` phases and the rest together."""
    total, phases = phase_seconds(days, seed)
    lines = [
        f"| phase of `step()` (baseline seed {seed}, {days:,} days, sampled) | seconds | share |",
        "|---|---|---|",
    ]
    for name, sec in phases[:top]:
        lines.append(f"| `{name}` | {sec:.2f} | {sec / total:.0%} |")
    rest = sum(sec for _, sec in phases[top:])
    lines.append(f"| {len(phases) - top} others | {rest:.2f} | {rest / total:.0%} |")
    lines.append(f"| all of `step()` (profiled) | {total:.2f} | 100% |")
    return "\n".join(lines)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--days", type=int, default=3650)
    print(markdown(p.parse_args().days))
