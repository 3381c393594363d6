"""``load_config``: the whole pipeline a file goes through, for any pydantic model class, with blame.

Nothing here knows the scenario schema. A command-line run goes through::

    data, chain = resolve_bases(path, builtin_dir=...)   # TOML file + its `base = "..."` ancestors
    data = apply_overrides(data, ["price.kind=gbm"])     # --set section.key=value
    scenario = validate(ScenarioModel, data, str(path))  # pydantic, errors made readable

``load_config`` does all three (returning the model, the resolved data and the chain) and, on a
validation error, names the file (or ``--set``) that actually wrote the offending value rather
than always the top-level file. Every user-facing failure is a one-line ``ConfigError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pydantic import BaseModel

from hashpivot.model.config.inherit import load_layers, merge_into
from hashpivot.model.config.overrides import parse_override, set_override
from hashpivot.model.config.toml_io import load_toml
from hashpivot.model.config.validation import validate


def load_config(
    model_cls: type[BaseModel],
    path: Path,
    overrides: Iterable[str] = (),
    *,
    builtin_dir: Path | None = None,
    loader: Callable[[Path], dict] = load_toml,
    override_source: str = "--set",
) -> tuple[BaseModel, dict, list[Path]]:
    """Resolve bases, apply overrides and validate, blaming whoever wrote a bad value.

    A validation error names the file of the chain (or the ``--set ...`` override) that set the
    offending key; errors about keys nobody wrote (missing keys) name ``path``.

    Args:
        model_cls: The pydantic model class of the file.
        path: The scenario (or sweep) file named by the user.
        overrides: ``section.key=value`` strings applied after inheritance.
        builtin_dir: Folder of built-in scenarios, searched for bases after the file's folder.
        loader: Reads one file into a dict.
        override_source: Name of the override option, for messages.

    Returns:
        ``(model, data, chain)``: the validated model, the resolved settings it was built from
        (what ``dump_toml`` should write to a manifest) and the files used, child first.

    Raises:
        ConfigError: Anything in the chain, the overrides or the values is unusable.
    """
    layers = load_layers(Path(path), loader, builtin_dir)
    data: dict = {}
    origins: dict[tuple[str, ...], str] = {}
    for layer in reversed(layers):
        merge_into(data, layer.data)
        _record_origins(origins, layer.data, str(layer.shown), ())
    for override in overrides:
        keys, value = parse_override(override, override_source)
        set_override(data, keys, value, override_source)
        _forget_under(origins, keys)
        origins[keys] = f"{override_source} {override}"
    model = validate(model_cls, data, str(path), origins=origins)
    return model, data, [layer.resolved for layer in layers]


def _record_origins(origins: dict, data: Mapping, source: str, prefix: tuple[str, ...]) -> None:
    """Note ``source`` as the writer of every non-table value in ``data``."""
    for key, value in data.items():
        path = (*prefix, key)
        if isinstance(value, Mapping):
            _record_origins(origins, value, source, path)
        else:
            _forget_under(origins, path)  # a scalar or array replaced whatever was below
            origins[path] = source


def _forget_under(origins: dict, prefix: tuple[str, ...]) -> None:
    for path in [path for path in origins if path[: len(prefix)] == prefix]:
        del origins[path]
