"""Paths and provenance as outputs record them: relative to the project, never the machine's absolute paths.

A report, a manifest or ``hashpivot show`` is read on other machines, so every path it records is
written relative to the project (the checkout), e.g. ``runs/btc_bear.toml`` or
``runs/data/btc_monthly_2024_2025.csv``; a file outside the project is written relative to it too
(``../data/prices.csv``). ``absolute`` turns such a path back into one the simulator can open.

``parameter_sources`` records who set each scenario key: a scenario file of the inheritance chain
(child before base) or a ``--set`` override. Reports use it so that a value set by a file cites that
file, not the note that justifies the schema's default.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hashpivot.model.config.paths import REPO_DIR
from hashpivot.model.config.scenarios import PATH_KEYS, LoadedScenario

DATA_KEYS = tuple(".".join(keys) for keys in PATH_KEYS)
"""Scenario keys holding data file paths (``price.csv_path``, ``grid.regions_file``)."""


def project_path(path: str | os.PathLike[str], root: Path = REPO_DIR) -> str:
    """A path relative to the project, with forward slashes.

    Args:
        path: Absolute, or relative to the working directory.
        root: The project folder.

    Returns:
        ``runs/btc_bear.toml`` for a file inside the project, ``../x/y.csv`` for one outside it; an empty
        path stays empty.
    """
    text = os.fspath(path)
    if not text:
        return ""
    absolute_path = os.path.normpath(os.path.abspath(text))
    return Path(os.path.relpath(absolute_path, root)).as_posix()


def absolute(path: str, root: Path = REPO_DIR) -> str:
    """A recorded path (relative to the project, or absolute from older outputs) as an absolute path."""
    if not path:
        return ""
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(root, path))


def portable_argv(argv: Sequence[str]) -> list[str]:
    """A command line with every absolute path in it written relative to the project.

    Handles ``/abs/path`` arguments and ``key=/abs/path`` values (``--set price.csv_path=/data/p.csv``,
    ``--out=/tmp/run``).
    """
    out = []
    for token in argv:
        head, sep, tail = token.partition("=")
        if os.path.isabs(token):
            out.append(project_path(token))
        elif sep and os.path.isabs(tail):
            out.append(f"{head}={project_path(tail)}")
        else:
            out.append(token)
    return out


def portable_scenario(data: Mapping[str, Any]) -> dict:
    """A scenario dump (``model_dump(mode="json")``) with its data paths relative to the project."""
    return _map_data_paths(data, project_path)


def absolute_scenario(data: Mapping[str, Any]) -> dict:
    """The inverse of ``portable_scenario``: data paths absolute again (for running)."""
    return _map_data_paths(data, absolute)


def _map_data_paths(data: Mapping[str, Any], convert) -> dict:
    out = copy.deepcopy(dict(data))
    for dotted in DATA_KEYS:
        section, key = dotted.split(".")
        node = out.get(section)
        if isinstance(node, dict) and isinstance(node.get(key), str) and node[key]:
            node[key] = convert(node[key])
    return out


# --------------------------------------------------------------------------------------------
# Who set which key
# --------------------------------------------------------------------------------------------


def parameter_sources(loaded: LoadedScenario) -> dict[str, str]:
    """Who set each key the scenario files or overrides write: ``{dotted key: origin}``.

    Keys are dotted (``price.drift_per_year``); an array a file writes is one key (``miners``), since
    the file replaces it whole. An origin is a file relative to the project (the child of the chain
    wins over its bases) or ``--set key=value`` (the last override of a key wins).

    Args:
        loaded: The loaded scenario.

    Returns:
        The origins, in key order; keys nobody wrote (schema defaults) are absent.
    """
    from hashpivot.model.config.overrides import parse_override
    from hashpivot.model.config.toml_io import load_toml

    sources: dict[str, str] = {}
    for file in reversed(loaded.chain):  # root base first, so the child overwrites
        try:
            layer = load_toml(Path(file))
        except Exception:  # noqa: BLE001 - a file changed since loading: provenance only, skip it
            continue
        layer.pop("base", None)
        for key in _leaf_keys(layer):
            sources[key] = project_path(file)
    for override in loaded.overrides:
        keys, _ = parse_override(override)
        dotted = ".".join(keys)
        for key in [k for k in sources if k == dotted or k.startswith(dotted + ".")]:
            del sources[key]
        sources[dotted] = f"--set {override}"
    return dict(sorted(sources.items()))


def _leaf_keys(node: Mapping[str, Any], prefix: str = "") -> Iterable[str]:
    for key, value in node.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _leaf_keys(value, f"{dotted}.")
        else:
            yield dotted


def origin_of(key: str, sources: Mapping[str, str]) -> str | None:
    """The origin of a row key (``miners[0].count`` or ``miners.0.count``) in ``parameter_sources``' map.

    The longest recorded key at or above ``key`` wins (a file writing ``miners`` wrote every item).
    """
    dotted = key.replace("[", ".").replace("]", "")
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        found = sources.get(".".join(parts[:end]))
        if found is not None:
            return found
    return None
