"""Design points and run seeds.

Every design is first drawn in the unit cube ``[0, 1]^D`` (one column per parameter, in file
order) and then mapped to parameter values, so the samplers never see units or types:

* float: ``low * (1 - u) + high * u`` (both ends exact);
* int: ``low + floor(u * (high - low + 1))``, capped at ``high``: equal-width cells per integer;
* bool and choice: level ``floor(u * k)`` of ``k``, capped at ``k - 1``.

Sobol (Saltelli's scheme), Morris and Latin hypercube designs come from SALib, seeded with the
sweep's ``root_seed``; the full factorial is built here. Run ``i`` (design point ``p``, replication
``k``, ``i = p * replications + k``) gets its seed from
``SeedSequence(root_seed, spawn_key=(i,))`` -- the ``i``-th child of ``SeedSequence(root_seed)``
-- so a run's seed depends on nothing but the sweep file, whatever executes it and in whatever
order. With ``common_random_numbers = true`` the key is ``k`` instead: every design point sees the
same random streams in replication ``k``, which removes seed noise from differences between points.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Container, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from hashpivot.model.tools.sweep.spec import Parameter, SweepSpec, factorial_levels


def salib_problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem: one factor per parameter, all on the unit interval."""
    return {
        "num_vars": len(spec.parameters),
        "names": list(spec.names),
        "bounds": [[0.0, 1.0]] * len(spec.parameters),
    }


def build_design(spec: SweepSpec) -> np.ndarray:
    """Draw the design in the unit cube.

    Args:
        spec: The sweep (validated and checked).

    Returns:
        A ``(points, parameters)`` float array with values in ``[0, 1]``, in the order the
        method's analysis expects (Saltelli blocks for Sobol, trajectories for Morris).
    """
    design = spec.design
    problem = salib_problem(spec)
    if design.method == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(
            problem,
            design.samples,
            calc_second_order=design.calc_second_order,
            scramble=True,
            seed=design.root_seed,
        )
    elif design.method == "morris":
        from SALib.sample import morris

        unit = morris.sample(problem, design.samples, num_levels=design.num_levels, seed=design.root_seed)
    elif design.method == "lhs":
        from SALib.sample import latin

        unit = latin.sample(problem, design.samples, seed=design.root_seed)
    elif design.method == "given":
        raise ValueError("a 'given' design has no sampler: its points come from the caller (run_sweep(unit=...))")
    else:
        unit = _factorial(spec)
    return np.clip(np.ascontiguousarray(unit, dtype=float), 0.0, 1.0)


def _factorial(spec: SweepSpec) -> np.ndarray:
    """Every combination of every parameter's levels, the first parameter varying slowest."""
    axes = [_factorial_axis(spec, param) for param in spec.parameters]
    return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(axes))


def _factorial_axis(spec: SweepSpec, param: Parameter) -> np.ndarray:
    """Unit coordinates that map exactly onto each factorial level of one parameter."""
    if param.kind == "float":
        return np.linspace(0.0, 1.0, factorial_levels(spec, param))
    if param.kind == "int":
        low, high = int(param.low), int(param.high)
        values = np.unique(np.round(np.linspace(low, high, factorial_levels(spec, param))))
        return (values - low + 0.5) / (high - low + 1)  # the centre of each integer's cell
    count = len(param.choices())
    return (np.arange(count) + 0.5) / count


def unit_to_value(param: Parameter, u: float) -> Any:
    """Map one unit coordinate to a value of ``param`` (see the module docstring)."""
    u = min(1.0, max(0.0, float(u)))
    if param.kind == "float":
        return float(param.low * (1.0 - u) + param.high * u)
    if param.kind == "int":
        low, high = int(param.low), int(param.high)
        return min(high, low + math.floor(u * (high - low + 1)))
    choices = param.choices()
    return choices[min(len(choices) - 1, math.floor(u * len(choices)))]


def point_values(spec: SweepSpec, unit_row: np.ndarray) -> dict[str, Any]:
    """The parameter values of one design point, by dotted key."""
    return {p.name: unit_to_value(p, u) for p, u in zip(spec.parameters, unit_row, strict=True)}


def run_seed(root_seed: int, key: int) -> int:
    """The seed of the run keyed ``key``: child ``key`` of ``SeedSequence(root_seed)``.

    Args:
        root_seed: The sweep's root seed.
        key: The run id (or the replication, with common random numbers).

    Returns:
        An integer in ``[0, 2**63)`` (fits a signed 64-bit column).
    """
    sequence = np.random.SeedSequence(entropy=root_seed, spawn_key=(key,))
    return int(sequence.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class Task:
    """One run of a sweep."""

    run_id: int
    point_id: int
    replication: int
    seed: int
    values: dict[str, Any]


def tasks(spec: SweepSpec, unit: np.ndarray, skip: Container[int] = ()) -> Iterator[Task]:
    """Every run of the sweep in run-id order, leaving out the run ids in ``skip``.

    Args:
        spec: The sweep.
        unit: Its design (``build_design``).
        skip: Run ids already done.

    Yields:
        The runs still to do.
    """
    design = spec.design
    reps = design.replications
    for point_id, row in enumerate(unit):
        values = None
        for replication in range(reps):
            run_id = point_id * reps + replication
            if run_id in skip:
                continue
            values = values if values is not None else point_values(spec, row)
            key = replication if design.common_random_numbers else run_id
            yield Task(run_id, point_id, replication, run_seed(design.root_seed, key), values)
