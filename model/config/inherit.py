"""Inheritance: a file's top-level ``base = "..."`` names the file it builds on, and the child is merged over it."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.toml_io import find_named, load_toml
from hashpivot.model.config.toml_text import toml_repr

BASE_KEY = "base"
"""Top-level key naming the scenario a file inherits from."""


@dataclass(frozen=True)
class Layer:
    """One file of an inheritance chain."""

    shown: Path  # as the user would write it, for messages
    resolved: Path  # absolute, for cycle detection and the manifest
    data: dict  # the file's own settings, without its `base` key


def resolve_bases(
    path: Path,
    loader: Callable[[Path], dict] = load_toml,
    builtin_dir: Path | None = None,
) -> tuple[dict, list[Path]]:
    """Load a scenario file and everything it inherits from, merged into one table.

    A file may name its parent with a top-level ``base = "name_or_path"``. The name is looked up
    as ``<name>`` then ``<name>.toml``, first in the file's own folder and then in
    ``builtin_dir``. The child is deep-merged over its base: tables merge key by key, while
    arrays and scalars replace the base's value whole.

    Args:
        path: The scenario file named by the user.
        loader: Reads one file into a dict (``load_toml``; swap in a caching reader if needed).
            Base lookup itself checks the file system.
        builtin_dir: Folder of scenarios shipped with the package, searched second.

    Returns:
        ``(data, chain)``: the merged settings without any ``base`` key, and the absolute paths
        of the files used, starting with ``path`` and ending with the root ancestor.

    Raises:
        ConfigError: A file cannot be loaded, a ``base`` is not a string or is not found, or the
            bases form a cycle.
    """
    layers = load_layers(Path(path), loader, builtin_dir)
    merged: dict = {}
    for layer in reversed(layers):  # root ancestor first, so each child wins over its base
        merge_into(merged, layer.data)
    return merged, [layer.resolved for layer in layers]


def load_layers(path: Path, loader: Callable[[Path], dict], builtin_dir: Path | None) -> list[Layer]:
    """Follow ``base`` keys from ``path`` up to a file without one; the layers, child first.

    Raises:
        ConfigError: As ``resolve_bases``.
    """
    layers: list[Layer] = []
    current = path
    while True:
        data = dict(loader(current))
        name = data.pop(BASE_KEY, None)
        layers.append(Layer(current, current.resolve(), data))
        if name is None:
            return layers
        parent = _find_base(current, name, builtin_dir)
        if parent.resolve() in {layer.resolved for layer in layers}:
            chain = " -> ".join(str(p) for p in [*(layer.shown for layer in layers), parent])
            raise ConfigError(
                current,
                f"base cycle: {chain}",
                field=BASE_KEY,
                accepted="a chain of bases that ends at a file without 'base'",
            )
        current = parent


def _find_base(child: Path, name: object, builtin_dir: Path | None) -> Path:
    """Locate the file a ``base`` value names, next to ``child`` first, then built in."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            child,
            f"{toml_repr(name)} is not a scenario name",
            field=BASE_KEY,
            accepted="a scenario name or path, as a non-empty string",
        )
    folders = [child.parent] if builtin_dir is None else [child.parent, Path(builtin_dir)]
    found = find_named(name, folders)
    if found is None:
        raise ConfigError(
            child,
            f"base scenario {toml_repr(name)} not found",
            field=BASE_KEY,
            accepted=_base_choices(child, builtin_dir),
        )
    return found


def _base_choices(child: Path, builtin_dir: Path | None) -> str:
    """Describe where a base may live, listing the built-in scenarios by name."""
    where = f"a file relative to {child.parent}/ with or without .toml"
    if builtin_dir is None or not Path(builtin_dir).is_dir():
        return where
    names = sorted(p.stem for p in Path(builtin_dir).glob("*.toml"))
    return f"{where}, or a built-in scenario: {', '.join(names)}" if names else where


def deep_merge(base: Mapping, override: Mapping) -> dict:
    """Return ``override`` merged over ``base``; neither input is modified.

    Tables (mappings) present on both sides merge recursively; any other value in ``override``
    (scalar, array, or a table replacing a non-table) replaces the base's value whole.

    Args:
        base: The inherited settings.
        override: The settings that win.

    Returns:
        A new nested dict sharing no mutable parts with the inputs.
    """
    merged = copy.deepcopy(dict(base))
    merge_into(merged, override)
    return merged


def merge_into(target: dict, source: Mapping) -> None:
    """Merge ``source`` into ``target`` in place, copying what it takes from ``source``."""
    for key, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            merge_into(target[key], value)
        else:
            target[key] = copy.deepcopy(dict(value) if isinstance(value, Mapping) else value)
