"""Schema-agnostic mechanics for scenario and sweep files: load, inherit, override, validate, dump.

Nothing here knows the scenario schema; every function works with any pydantic v2 model class. The
pipeline a command-line run goes through is::

    data, chain = resolve_bases(path, builtin_dir=...)   # TOML file + its `base = "..."` ancestors
    data = apply_overrides(data, ["price.kind=gbm"])     # --set section.key=value
    scenario = validate(ScenarioModel, data, str(path))  # pydantic, errors made readable

``load_config`` does all three (returning the model, the resolved data and the chain) and, on a
validation error, names the file (or ``--set``) that actually wrote the offending value rather
than always the top-level file.

Every user-facing failure is a ``ConfigError`` whose message is a single line of the form
``<file>: <dotted.field>: <problem> (accepted: <what is accepted>)``, so a CLI can print it as is
and a log line stays greppable.

``dump_toml`` writes a resolved scenario back as TOML (for the run manifest) and ``file_sha256``
fingerprints it. TOML has no null: ``dump_toml`` omits keys whose value is ``None`` (reading the
file back then yields the schema default, which for optional fields is ``None`` again) and refuses
``None`` inside arrays, where dropping it would shift the other items.
"""

from __future__ import annotations

import copy
import difflib
import enum
import hashlib
import json
import math
import os
import re
import tomllib
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import tomli_w
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

MAX_FILE_BYTES = 1024 * 1024
"""Largest scenario file accepted: real ones are a few KiB, so anything bigger is a wrong path."""

BASE_KEY = "base"
"""Top-level key naming the scenario a file inherits from."""

OVERRIDE_FORM = "section.key=value, e.g. price.kind=gbm or market.rent=[1, 2]"
VALUE_FORMS = 'a TOML value such as 1.5, true, "text", [1, 2] or 2024-01-01, or bare text'

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_RANGE_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})
_BOUND_SYMBOLS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))
_CUSTOM_PREFIXES = ("Value error, ", "Assertion failed, ")
_REPR_LIMIT = 60


class ConfigError(ValueError):
    """A scenario, sweep file or override that cannot be used, explained on one line.

    ``str(err)`` is ``<source>: <field>: <problem> (accepted: <accepted>)``; the field and the
    accepted part are left out when they do not apply. The constructor arguments are also the
    exception's ``args``, so the error pickles (dask workers send it back to the client).

    Attributes:
        source: The file, or ``--set ...`` override, the bad input came from.
        problem: What is wrong.
        field: Dotted location of the offending key, or None.
        accepted: What would have been accepted, or None.
    """

    def __init__(
        self,
        source: str | PurePath,
        problem: str,
        field: str | None = None,
        accepted: str | None = None,
    ):
        self.source = str(source)
        self.problem = problem
        self.field = field
        self.accepted = accepted
        super().__init__(self.source, problem, field, accepted)

    def __str__(self) -> str:
        parts = [self.source, self.field, self.problem] if self.field else [self.source, self.problem]
        text = ": ".join(parts)
        if self.accepted:
            text += f" (accepted: {self.accepted})"
        return _one_line(text)


def _one_line(text: str) -> str:
    """Join every kind of line break (including those inside file names) with a space."""
    return " ".join(line.strip() for line in text.splitlines())


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def find_config(arg: str | os.PathLike[str], folder: Path) -> Path:
    """Turn a command-line file argument into a path: an existing path wins, a bare name is looked up.

    A bare name (no folder, e.g. ``btc_bear``) is looked up as ``folder/<name>`` or ``folder/<name>.toml``.
    Anything else is returned unchanged, so that loading it reports the missing file.
    """
    path = Path(arg)
    if path.exists() or len(path.parts) != 1:
        return path
    for candidate in (folder / path.name, folder / f"{path.name}.toml"):
        if candidate.is_file():
            return candidate
    return path


def load_toml(path: Path) -> dict:
    """Read one TOML file, refusing anything that cannot be a scenario.

    Args:
        path: The file to read.

    Returns:
        The parsed top-level table.

    Raises:
        ConfigError: The file is missing, a directory, not a regular file, unreadable, over
            ``MAX_FILE_BYTES``, binary, not UTF-8, empty (or only comments), or not valid TOML.
    """
    path = Path(path)
    text = _decode(path, _read_limited(path))
    if not text.strip():
        raise ConfigError(path, "file is empty", accepted="a TOML file with at least one setting")
    try:
        data = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or int() refusing a 5000-digit literal
        raise ConfigError(path, f"TOML syntax error: {exc}", accepted="TOML 1.0 syntax, see https://toml.io") from exc
    if not data:
        raise ConfigError(path, "file has only comments, no settings", accepted="a TOML file with a setting")
    return data


def _read_limited(path: Path) -> bytes:
    """Read at most ``MAX_FILE_BYTES + 1`` bytes so a huge or endless file costs nothing."""
    if path.is_dir():
        raise ConfigError(path, "is a directory, not a file", accepted="a .toml file")
    if not path.exists():
        raise ConfigError(path, "file not found", accepted="an existing .toml file")
    if not path.is_file():
        raise ConfigError(path, "is not a regular file", accepted="a .toml file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            path,
            f"file is over 1 MiB ({MAX_FILE_BYTES} bytes)",
            accepted="files up to 1 MiB",
        )
    return raw


def _decode(path: Path, raw: bytes) -> str:
    """Decode UTF-8, telling binary files apart from merely mis-encoded text."""
    if b"\x00" in raw:
        raise ConfigError(path, "binary file: contains NUL bytes", accepted="UTF-8 text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path,
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded",
            accepted="UTF-8 text",
        ) from exc
    # Some Windows editors start UTF-8 files with a byte-order mark, which tomllib rejects.
    return text.removeprefix("\ufeff")


# --------------------------------------------------------------------------------------------
# Inheritance: base = "..."
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layer:
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
    layers = _load_layers(Path(path), loader, builtin_dir)
    merged: dict = {}
    for layer in reversed(layers):  # root ancestor first, so each child wins over its base
        _merge_into(merged, layer.data)
    return merged, [layer.resolved for layer in layers]


def _load_layers(path: Path, loader: Callable[[Path], dict], builtin_dir: Path | None) -> list:
    """Follow ``base`` keys from ``path`` up to a file without one, child first."""
    layers: list[_Layer] = []
    current = path
    while True:
        data = dict(loader(current))
        name = data.pop(BASE_KEY, None)
        layers.append(_Layer(current, current.resolve(), data))
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
            f"{_toml_repr(name)} is not a scenario name",
            field=BASE_KEY,
            accepted="a scenario name or path, as a non-empty string",
        )
    folders = [child.parent] if builtin_dir is None else [child.parent, Path(builtin_dir)]
    for folder in folders:
        for candidate in (folder / name, folder / f"{name}.toml"):
            if candidate.is_file():
                return candidate
    raise ConfigError(
        child,
        f"base scenario {_toml_repr(name)} not found",
        field=BASE_KEY,
        accepted=_base_choices(child, builtin_dir),
    )


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
    _merge_into(merged, override)
    return merged


def _merge_into(target: dict, source: Mapping) -> None:
    """Merge ``source`` into ``target`` in place, copying what it takes from ``source``."""
    for key, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = copy.deepcopy(dict(value) if isinstance(value, Mapping) else value)


# --------------------------------------------------------------------------------------------
# Overrides: --set section.key=value
# --------------------------------------------------------------------------------------------


def apply_overrides(data: dict, overrides: Iterable[str], source: str = "--set") -> dict:
    """Return a copy of ``data`` with each ``section.key=value`` override applied in order.

    Keys are TOML dotted keys (quote a part that is not ``A-Za-z0-9_-``, e.g.
    ``regions."us tx".price=3``); a numeric part indexes into an existing array
    (``miners.archetypes.0.count=5``). Missing intermediate tables are created. Values are parsed
    as TOML values, and text that is not TOML (``price.kind=gbm``) is taken as a bare string.
    Whether a key exists is left to ``validate``, which knows the schema.

    Args:
        data: Settings to start from; not modified.
        overrides: Strings of the form ``section.key=value``.
        source: Name of the option the overrides came from, used in error messages.

    Returns:
        The updated copy.

    Raises:
        ConfigError: An override is malformed or tries to descend into a non-table.
    """
    result = copy.deepcopy(data)
    for override in overrides:
        keys, value = parse_override(override, source)
        _set_path(result, keys, value, source)
    return result


def parse_override(override: str, source: str = "--set") -> tuple[tuple[str, ...], Any]:
    """Split ``section.key=value`` into its key path and parsed value.

    Args:
        override: The override text; the key ends at the first ``=``.
        source: Name of the option, used in error messages.

    Returns:
        ``(keys, value)``, e.g. ``(("price", "kind"), "gbm")``.

    Raises:
        ConfigError: No ``=``, an empty or malformed key, or an empty or malformed value.
    """
    key_text, sep, value_text = override.partition("=")
    if not sep:
        raise ConfigError(source, f"{_toml_repr(override)} has no '='", accepted=OVERRIDE_FORM)
    keys = _parse_key(key_text, override, source)
    return keys, _parse_value(value_text, _dotted(keys), source)


def _parse_key(key_text: str, override: str, source: str) -> tuple[str, ...]:
    """Parse a TOML dotted key by letting tomllib read ``<key> = 0``."""
    if not key_text.strip():
        raise ConfigError(source, f"{_toml_repr(override)} has an empty key", accepted=OVERRIDE_FORM)
    # A line break would let the "key" smuggle in a whole TOML document.
    if len(key_text.splitlines()) > 1:
        raise ConfigError(source, f"{_toml_repr(key_text)} spans lines", accepted=OVERRIDE_FORM)
    try:
        node: Any = tomllib.loads(f"{key_text} = 0")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            source,
            f"{_toml_repr(key_text.strip())} is not a dotted key",
            accepted="parts of A-Za-z0-9_- joined by '.', other parts in double quotes",
        ) from exc
    keys = []
    while isinstance(node, dict):
        ((key, node),) = node.items()
        keys.append(key)
    return tuple(keys)


def _parse_value(value_text: str, dotted: str, source: str) -> Any:
    """Parse a TOML value, taking text that is not TOML as a bare string."""
    text = value_text.strip()
    if not text:
        raise ConfigError(source, "no value after '='", field=dotted, accepted=f'{VALUE_FORMS}; "" for empty text')
    try:
        parsed = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError as exc:
        # Quotes and brackets show TOML was intended: a typo there must not become a string.
        if text[0] in "\"'[{":
            raise ConfigError(
                source,
                f"{text} is not a valid TOML value: {exc}",
                field=dotted,
                accepted=VALUE_FORMS,
            ) from exc
        return text
    # More than one key means a line break turned the value into a document: keep it literal.
    return parsed["v"] if parsed.keys() == {"v"} else text


def _set_path(data: dict, keys: tuple[str, ...], value: Any, source: str) -> None:
    """Assign ``value`` at ``keys``, creating tables and indexing arrays on the way."""
    node: Any = data
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, dict):
            if last:
                node[key] = value
                return
            node = node.setdefault(key, {})
        elif isinstance(node, list):
            index = _list_index(node, keys, depth, source)
            if last:
                node[index] = value
                return
            node = node[index]
        else:
            raise ConfigError(
                source,
                f"cannot set a key inside {_dotted(keys[:depth])}, which is {_toml_repr(node)}",
                field=_dotted(keys),
                accepted="keys inside tables",
            )


def _list_index(array: list, keys: tuple[str, ...], depth: int, source: str) -> int:
    """Read ``keys[depth]`` as an index into ``array``, which the override walked into."""
    key = keys[depth]
    if key.isdigit() and int(key) < len(array):
        return int(key)
    accepted = f"an index from 0 to {len(array) - 1}" if array else "nothing: the array is empty"
    raise ConfigError(
        source,
        f"{_toml_repr(key)} is not an index of the {len(array)}-item array {_dotted(keys[:depth])}",
        field=_dotted(keys),
        accepted=accepted,
    )


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def validate(
    model_cls: type[BaseModel],
    data: dict,
    source: str,
    *,
    origins: Mapping[tuple[str, ...], str] | None = None,
) -> BaseModel:
    """Validate ``data`` with ``model_cls``, turning the first pydantic error into a ConfigError.

    Args:
        model_cls: Any pydantic v2 model class.
        data: The resolved settings.
        source: File name (or other label) to blame in the message.
        origins: Optional map from key paths (tuples of str; array indices as str) to the file
            or override that wrote them; the longest prefix of the error's location wins over
            ``source``. ``load_config`` builds it.

    Returns:
        The validated model instance.

    Raises:
        ConfigError: ``data`` does not fit the schema. The original ValidationError, with every
            error, is chained as ``__cause__``.
    """
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        raise error_from_pydantic(model_cls, exc.errors()[0], source, origins) from exc


def error_from_pydantic(
    model_cls: type[BaseModel],
    error: Mapping[str, Any],
    source: str,
    origins: Mapping[tuple[str, ...], str] | None = None,
) -> ConfigError:
    """Explain one entry of ``ValidationError.errors()`` against the schema that raised it.

    Args:
        model_cls: The model class that was validated.
        error: One error dict (``type``, ``loc``, ``msg``, ``input``, ``ctx``).
        source: Label to blame when ``origins`` does not say better.
        origins: See ``validate``.

    Returns:
        The ConfigError to raise.
    """
    where = _walk(model_cls, error["loc"])
    problem, accepted, extra_parts = _explain(error, where)
    parts = [*where.parts, *extra_parts]
    blame = _origin(origins, parts) or source
    return ConfigError(blame, problem, _dotted(parts) or None, accepted)


def _origin(origins: Mapping[tuple[str, ...], str] | None, parts: Sequence) -> str | None:
    """Find who wrote the value at ``parts``: the longest recorded prefix."""
    if not origins:
        return None
    key = tuple(str(part) for part in parts)
    for length in range(len(key), 0, -1):
        if key[:length] in origins:
            return origins[key[:length]]
    return None


@dataclass
class _Where:
    """What the schema says about the value at an error's location."""

    parts: list = field(default_factory=list)  # data path: keys and array indices, no union tags
    ann: Any = None  # annotation of the value there, None when unknown
    meta: list = field(default_factory=list)  # its constraints (annotated_types Ge, Le, ...)
    disc: str | None = None  # discriminator key, when the value is a tagged union
    parent: Any = None  # model class owning the last key (for unknown keys)
    union: Any = None  # the union, when the location ended by naming one of its members


def _walk(model_cls: type[BaseModel], loc: Sequence) -> _Where:
    """Follow a pydantic error location through the schema's annotations."""
    where = _Where(ann=model_cls)
    for part in loc:
        _step(where, part)
    return where


def _step(where: _Where, part: str | int) -> None:
    """Move ``where`` one location element deeper."""
    ann, where.union, where.parent = where.ann, None, None
    if _is_model(ann) and isinstance(part, str):
        _step_into_model(where, ann, part)
    elif _is_union(ann) and (member := _union_member(ann, part, where.disc)) is not None:
        # pydantic names the union member it tried (a tag, a class or a type name): not data.
        where.union = ann
        _enter(where, member, [], None)
    elif _is_mapping(ann) and isinstance(part, str):
        where.parts.append(part)
        args = get_args(ann)
        _enter(where, args[1] if len(args) == 2 else Any, [], None)
    elif _is_sequence(ann) and isinstance(part, int):
        where.parts.append(part)
        _enter(where, _item_type(ann, part), [], None)
    elif isinstance(part, str) and "[" in part:
        pass  # pydantic's own schema labels such as 'function-after[...]' or '[key]'
    else:
        where.parts.append(part)
        _enter(where, None, [], None)


def _step_into_model(where: _Where, model: type[BaseModel], key: str) -> None:
    """Enter field ``key`` of ``model``; an unknown key leaves the annotation unknown."""
    where.parts.append(key)
    where.parent = model
    info = _model_field(model, key)
    if info is None:
        _enter(where, None, [], None)
    else:
        _enter(where, info.annotation, list(info.metadata), _discriminator_key(info.discriminator))


def _enter(where: _Where, ann: Any, meta: list, disc: str | None) -> None:
    """Make ``ann`` (with its constraints) the current annotation, unwrapped."""
    where.ann, more_meta, more_disc = _unwrap(ann)
    where.meta = meta + more_meta
    where.disc = disc or more_disc


def _unwrap(ann: Any) -> tuple[Any, list, str | None]:
    """Strip ``Annotated`` and ``Optional``, collecting constraints and any discriminator."""
    meta: list = []
    disc = None
    while True:
        if get_origin(ann) is Annotated:
            ann, *extras = get_args(ann)
            for extra in extras:
                if isinstance(extra, FieldInfo):
                    meta.extend(extra.metadata)
                    disc = _discriminator_key(extra.discriminator) or disc
                else:
                    disc = _discriminator_key(getattr(extra, "discriminator", None)) or disc
                    meta.append(extra)
        elif _is_union(ann) and type(None) in get_args(ann):
            # TOML has no null, so an Optional field is explained by its non-None type.
            rest = tuple(arg for arg in get_args(ann) if arg is not type(None))
            ann = rest[0] if len(rest) == 1 else Union[rest]  # noqa: UP007 (built from a tuple)
        else:
            return ann, meta, disc


def _discriminator_key(disc: Any) -> str | None:
    """Return the key a discriminated union is tagged by, if it is a plain key name."""
    return disc if isinstance(disc, str) else None


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _is_union(ann: Any) -> bool:
    return get_origin(ann) in (Union, types.UnionType)


def _is_mapping(ann: Any) -> bool:
    origin = get_origin(ann) or ann
    return isinstance(origin, type) and issubclass(origin, Mapping)


def _is_sequence(ann: Any) -> bool:
    origin = get_origin(ann) or ann
    return (
        isinstance(origin, type)
        and issubclass(origin, (Sequence, set, frozenset))
        and not issubclass(origin, (str, bytes))
    )


def _item_type(ann: Any, index: int) -> Any:
    """Annotation of item ``index`` of a list, set or (fixed or variadic) tuple."""
    args = get_args(ann)
    if not args:
        return Any
    if (get_origin(ann) or ann) is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return args[index] if index < len(args) else Any
    return args[0]


def _model_field(model: type[BaseModel], key: str) -> FieldInfo | None:
    """Find the field a data key refers to, by alias or by name."""
    for name, info in model.model_fields.items():
        if key in (info.alias, name):
            return info
    return None


def _model_keys(model: type[BaseModel]) -> list[str]:
    """Keys a model accepts in data, in declaration order."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _union_member(union: Any, part: str | int, disc: str | None) -> Any:
    """Return the member of ``union`` that pydantic's location element ``part`` names."""
    for member in get_args(union):
        if str(part) in _member_names(member, disc):
            return member
    return None


def _member_names(member: Any, disc: str | None) -> set[str]:
    """Every label pydantic may use for a union member: tags, class and type names."""
    ann, meta, _ = _unwrap(member)
    names = {str(getattr(extra, "tag", "")) for extra in meta} | {str(ann)}
    names.add(getattr(ann, "__name__", ""))
    if _is_model(ann) and disc:
        info = _model_field(ann, disc)
        names.update(str(_plain(tag)) for tag in (_literal_values(info.annotation) if info else ()))
    names.discard("")
    return names


def _literal_values(ann: Any) -> tuple:
    """The choices of a ``Literal`` or ``Enum`` annotation, else an empty tuple."""
    ann, _, _ = _unwrap(ann)
    if get_origin(ann) is Literal:
        return get_args(ann)
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return tuple(ann)
    return ()


def _plain(value: Any) -> Any:
    """Enum members as the value a TOML file would contain."""
    return value.value if isinstance(value, enum.Enum) else value


# -- turning an error into words ---------------------------------------------------------------


def _explain(error: Mapping[str, Any], where: _Where) -> tuple[str, str | None, list]:
    """Return ``(problem, accepted, extra field parts)`` for one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    shown = _toml_repr(error.get("input"))
    if kind == "extra_forbidden":
        return (*_explain_unknown_key(where), [])
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _explain_union_tag(kind, ctx, where)
    if kind == "missing":
        return "required key is missing", _accepted(where), []
    if kind in _RANGE_ERRORS:
        return f"{shown} is out of range", _bounds(where.meta) or _bounds([ctx]), []
    if kind == "finite_number":
        return f"{shown} is not a finite number", _join("finite numbers", _bounds(where.meta)), []
    if kind in ("literal_error", "enum"):
        accepted = _choices(where.ann) or ctx.get("expected")
        return f"{shown} is not one of the choices", accepted, []
    if kind in ("value_error", "assertion_error"):
        return _custom_message(error["msg"]), None, []
    if _is_type_error(kind) and (where.ann is not None or where.union is not None):
        return _explain_type(shown, ctx, where), _accepted(where), []
    return f"{shown} is invalid: {_lower_first(error['msg'])}", _accepted(where), []


def _explain_type(shown: str, ctx: Mapping, where: _Where) -> str:
    """A value of the wrong type, plus pydantic's parsing detail (e.g. a month out of range)."""
    detail = ctx.get("error")
    problem = f"{shown} is not {_phrase(where.union or where.ann, short=True)}"
    return _join(problem, detail, sep=", ") if isinstance(detail, str) else problem


def _explain_unknown_key(where: _Where) -> tuple[str, str | None]:
    """An ``extra="forbid"`` rejection: name the key, suggest the closest known one."""
    key = str(where.parts[-1]) if where.parts else "?"
    known = _model_keys(where.parent) if where.parent is not None else []
    problem = f"unknown key '{key}'"
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        problem += f", did you mean '{close[0]}'?"
    return problem, ", ".join(known) or None


def _explain_union_tag(kind: str, ctx: Mapping, where: _Where) -> tuple[str, str | None, list]:
    """A tagged union whose tag key is missing or names no variant: blame the tag key."""
    accepted = ", ".join(_union_tags(where)) or ctx.get("expected_tags")
    extra = [where.disc] if where.disc else []
    if kind == "union_tag_not_found":
        return "required key is missing", accepted, extra
    return f"{_toml_repr(ctx.get('tag'))} is not a known {where.disc or 'variant'}", accepted, extra


def _union_tags(where: _Where) -> list[str]:
    """The tag values, as TOML, of a union discriminated by a plain key (else none)."""
    if not where.disc or not _is_union(where.ann):
        return []
    tags = []
    for member in get_args(where.ann):
        ann, _, _ = _unwrap(member)
        info = _model_field(ann, where.disc) if _is_model(ann) else None
        tags.extend(_literal_values(info.annotation) if info else ())
    return [_toml_repr(_plain(tag)) for tag in tags]


def _is_type_error(kind: str) -> bool:
    return (
        kind.endswith("_type")
        or "_parsing" in kind
        or kind in ("int_from_float", "date_from_datetime_inexact", "is_instance_of")
    )


def _custom_message(msg: str) -> str:
    """A schema validator's own message, without pydantic's 'Value error, ' prefix."""
    for prefix in _CUSTOM_PREFIXES:
        msg = msg.removeprefix(prefix)
    return msg


def _accepted(where: _Where) -> str | None:
    """Describe what the value at ``where`` may be, with its range or length limits."""
    if where.union is not None:
        return _phrase(where.union)
    if where.ann is None:
        return None
    if _is_model(where.ann):
        return f"a table with keys: {', '.join(_model_keys(where.ann))}"
    if tags := _union_tags(where):
        return f"a table with {where.disc} = {' or '.join(tags)}"
    return _join(_phrase(where.ann), _bounds(where.meta), _lengths(where.meta), _pattern(where.meta))


# Short name and example of each scalar type; the example is left out inside a problem.
_SCALARS: dict[Any, tuple[str, str]] = {
    bool: ("true or false", ""),
    int: ("an integer", ""),
    float: ("a number", ""),
    str: ("a string", ""),
    datetime: ("a date-time", " like 2024-01-01T00:00:00"),
    date: ("a date", " like 2024-01-01"),
    time: ("a time", " like 12:00:00"),
    Any: ("any value", ""),
    type(None): ("nothing", ""),
}
_PLURALS: dict[Any, str] = {bool: "true/false values", Any: "values of any type"}


def _phrase(ann: Any, short: bool = False) -> str:
    """Name a type the way a TOML author thinks of it, e.g. 'an integer', 'true or false'.

    Args:
        ann: The annotation.
        short: Leave out examples and item types, for use inside a problem sentence.

    Returns:
        The description, with its article.
    """
    ann, _, _ = _unwrap(ann)
    if isinstance(ann, type) and ann in _SCALARS:
        name, example = _SCALARS[ann]
        return name if short else name + example
    if _literal_values(ann):
        return f"one of {_choices(ann)}"
    if _is_union(ann):
        return _either(_phrase(member, short) for member in get_args(ann))
    return _container_phrase(ann, short)


def _container_phrase(ann: Any, short: bool) -> str:
    """Name tables, arrays, paths and anything else by structure or class name."""
    args = get_args(ann)
    if _is_model(ann) or (_is_mapping(ann) and (short or len(args) != 2)):
        return "a table"
    if _is_mapping(ann):
        return f"a table of {_plural(args[1])}"
    if _is_sequence(ann):
        return "an array" if short or not args else f"an array of {_plural(_item_type(ann, 0))}"
    if isinstance(ann, type) and issubclass(ann, PurePath):
        return "a path"
    return f"a {getattr(ann, '__name__', str(ann))}"


def _plural(ann: Any) -> str:
    """Name the items of an array (or values of a table): 'numbers', 'dates like ...'."""
    ann, _, _ = _unwrap(ann)
    if _is_union(ann):
        return _either(_plural(member) for member in get_args(ann))
    if isinstance(ann, type) and ann in _PLURALS:
        return _PLURALS[ann]
    phrase = _phrase(ann)
    article, _, rest = phrase.partition(" ")
    if article not in ("a", "an"):
        return f"values that are {phrase}"
    noun, _, tail = rest.partition(" ")
    return _join(noun + "s", tail)


def _either(phrases: Iterable[str]) -> str:
    """Join alternatives with 'or', once each (two model classes are both 'a table')."""
    return " or ".join(dict.fromkeys(phrases))


def _choices(ann: Any) -> str | None:
    """List Literal/Enum choices as a TOML author would write them."""
    values = _literal_values(ann)
    return ", ".join(_toml_repr(_plain(value)) for value in values) or None


def _bounds(meta: Iterable) -> str:
    """Render ge/gt/le/lt constraints (from annotated_types or a ctx dict) as '>= 0 and < 1'."""
    found = []
    for attr, symbol in _BOUND_SYMBOLS:
        for item in meta:
            value = item.get(attr) if isinstance(item, Mapping) else getattr(item, attr, None)
            if value is not None:
                found.append(f"{symbol} {_toml_repr(value)}")
    return " and ".join(found)


def _lengths(meta: Iterable) -> str:
    """Render min/max length constraints."""
    found = []
    for attr, words in (("min_length", "at least"), ("max_length", "at most")):
        for item in meta:
            value = getattr(item, attr, None)
            if value is not None:
                found.append(f"{words} {value} long")
    return "with length " + " and ".join(found) if found else ""


def _pattern(meta: Iterable) -> str:
    for item in meta:
        pattern = getattr(item, "pattern", None)
        if pattern is not None:
            return f"matching {pattern}"
    return ""


def _join(*pieces: str | None, sep: str = " ") -> str:
    return sep.join(piece for piece in pieces if piece)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _dotted(parts: Iterable[str | int]) -> str:
    """Join a key path as a TOML dotted key, quoting parts that are not bare keys."""
    return ".".join(_toml_key(part) for part in parts)


def _toml_key(part: str | int) -> str:
    text = str(part)
    return text if _BARE_KEY.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _toml_repr(value: Any) -> str:
    """Show a value as it would appear in a TOML file, shortened for a one-line message."""
    text = _inline(value)
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


def _inline(value: Any) -> str:
    """Inline TOML-like rendering of a value (nan/inf included, None as 'nothing')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return _inline(value.value)
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(item) for item in value) + "]"
    if value is None:
        return "nothing"
    return repr(value)


# --------------------------------------------------------------------------------------------
# All in one, with blame
# --------------------------------------------------------------------------------------------


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
    layers = _load_layers(Path(path), loader, builtin_dir)
    data: dict = {}
    origins: dict[tuple[str, ...], str] = {}
    for layer in reversed(layers):
        _merge_into(data, layer.data)
        _record_origins(origins, layer.data, str(layer.shown), ())
    for override in overrides:
        keys, value = parse_override(override, override_source)
        _set_path(data, keys, value, override_source)
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


# --------------------------------------------------------------------------------------------
# Writing and fingerprinting
# --------------------------------------------------------------------------------------------


def dump_toml(data: Mapping, header: str | None = None) -> str:
    """Write resolved settings as TOML that ``tomllib`` reads back to the same data.

    Keys whose value is ``None`` are omitted at any depth (TOML has no null); everything else
    (str, int, float including nan/inf, bool, date, datetime, time, lists, tuples, nested
    tables) round-trips exactly, tuples coming back as lists.

    Args:
        data: Nested settings, e.g. ``model.model_dump(mode="python")``.
        header: Optional text written first as ``#`` comment lines (e.g. provenance).

    Returns:
        The TOML document.

    Raises:
        ValueError: ``None`` inside an array, which cannot be dropped without shifting items.
        TypeError: A value tomli-w cannot write (a non-string key, an arbitrary object).
    """
    body = tomli_w.dumps(_without_none(data, ()))
    if header is None:
        return body
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return f"{comments}\n{body}"


def _without_none(value: Any, path: tuple) -> Any:
    """Drop ``None`` table entries recursively; turn tuples into lists."""
    if isinstance(value, Mapping):
        return {k: _without_none(v, (*path, k)) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        if any(item is None for item in value):
            raise ValueError(f"{_dotted(path)}: None inside an array cannot be written as TOML")
        return [_without_none(item, (*path, i)) for i, item in enumerate(value)]
    return value


def file_sha256(data: Mapping) -> str:
    """Fingerprint settings independently of key order and formatting.

    The hash is taken over compact JSON with sorted keys, UTF-8, dates/times as ISO strings
    (so a date and the equivalent ISO string hash alike) and tuples as lists.

    Args:
        data: Nested settings.

    Returns:
        64 lowercase hex digits.

    Raises:
        TypeError: A value that has no canonical form here.
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return value.as_posix()
    raise TypeError(f"cannot fingerprint a {type(value).__name__}: {value!r}")
