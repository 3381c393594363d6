"""The schema walker: what a pydantic model class says about the value at a location inside its data.

Two kinds of location are followed through the schema's annotations:

* ``walk_loc``: the ``loc`` of a pydantic error, which may name union members and pydantic's own
  labels besides keys and indices (for explaining validation errors);
* ``walk_key``: a dotted key as a user writes it (``miners.0.mw``), which names only fields and
  array indices (for sweep parameters and other settings picked by name).

Nothing here knows the scenario schema; every function works with any pydantic v2 model class.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from hashpivot.model.config.dotted import is_index


@dataclass
class Where:
    """What the schema says about the value at an error's location."""

    parts: list = field(default_factory=list)  # data path: keys and array indices, no union tags
    ann: Any = None  # annotation of the value there, None when unknown
    meta: list = field(default_factory=list)  # its constraints (annotated_types Ge, Le, ...)
    disc: str | None = None  # discriminator key, when the value is a tagged union
    parent: Any = None  # model class owning the last key (for unknown keys)
    union: Any = None  # the union, when the location ended by naming one of its members


def walk_loc(model_cls: type[BaseModel], loc: Sequence) -> Where:
    """Follow a pydantic error location through the schema's annotations."""
    where = Where(ann=model_cls)
    for part in loc:
        _step(where, part)
    return where


def _step(where: Where, part: str | int) -> None:
    """Move ``where`` one location element deeper."""
    ann, where.union, where.parent = where.ann, None, None
    if is_model(ann) and isinstance(part, str):
        _step_into_model(where, ann, part)
    elif is_union(ann) and (member := _union_member(ann, part, where.disc)) is not None:
        # pydantic names the union member it tried (a tag, a class or a type name): not data.
        where.union = ann
        _enter(where, member, [], None)
    elif is_mapping(ann) and isinstance(part, str):
        where.parts.append(part)
        args = get_args(ann)
        _enter(where, args[1] if len(args) == 2 else Any, [], None)
    elif is_sequence(ann) and isinstance(part, int):
        where.parts.append(part)
        _enter(where, item_type(ann, part), [], None)
    elif isinstance(part, str) and "[" in part:
        pass  # pydantic's own schema labels such as 'function-after[...]' or '[key]'
    else:
        where.parts.append(part)
        _enter(where, None, [], None)


def _step_into_model(where: Where, model: type[BaseModel], key: str) -> None:
    """Enter field ``key`` of ``model``; an unknown key leaves the annotation unknown."""
    where.parts.append(key)
    where.parent = model
    info = model_field(model, key)
    if info is None:
        _enter(where, None, [], None)
    else:
        _enter(where, info.annotation, list(info.metadata), _discriminator_key(info.discriminator))


def _enter(where: Where, ann: Any, meta: list, disc: str | None) -> None:
    """Make ``ann`` (with its constraints) the current annotation, unwrapped."""
    where.ann, more_meta, more_disc = unwrap(ann)
    where.meta = meta + more_meta
    where.disc = disc or more_disc


# --------------------------------------------------------------------------------------------
# Dotted keys
# --------------------------------------------------------------------------------------------


class KeyNotInSchema(LookupError):
    """A dotted key leaves the schema at ``keys[depth]``.

    Attributes:
        keys: The key's parts.
        depth: Index of the part the schema has no place for.
        model: The model class that has no field ``keys[depth]``, or None when the part walks into a
            value without keys (a number, a string, an array indexed by something not a number).
    """

    def __init__(self, keys: tuple[str, ...], depth: int, model: type[BaseModel] | None):
        self.keys, self.depth, self.model = keys, depth, model
        super().__init__(f"{'.'.join(keys)}: no part {keys[depth]!r} at {'.'.join(keys[:depth]) or 'the top'}")


@dataclass(frozen=True)
class KeyTarget:
    """What the schema says about the value a dotted key names.

    Attributes:
        ann: Its annotation, without ``Annotated`` and ``Optional``.
        meta: Its constraints (annotated_types ``Ge``, ``Le``, ...).
        info: The declaration of the last model field on the way (description, default), or None
            for a key of no parts.
    """

    ann: Any
    meta: tuple
    info: FieldInfo | None


def walk_key(model_cls: type[BaseModel], keys: Sequence[str]) -> KeyTarget:
    """Follow a dotted key's parts through a schema: model fields by name or alias, array items by index.

    Args:
        model_cls: The pydantic model class of the whole data.
        keys: The key's parts, e.g. ``("miners", "0", "mw")``.

    Returns:
        What the schema says about the value there.

    Raises:
        KeyNotInSchema: A part names no field, or indexes into something that is not an array.
    """
    ann, meta, info = model_cls, [], None
    for depth, part in enumerate(keys):
        ann, _, _ = unwrap(ann)
        if is_model(ann):
            info = model_field(ann, part)
            if info is None:
                raise KeyNotInSchema(tuple(keys), depth, ann)
            ann, meta = info.annotation, list(info.metadata)
        elif is_sequence(ann) and is_index(part):
            ann, meta = item_type(ann, int(part)), []
        else:
            raise KeyNotInSchema(tuple(keys), depth, None)
    ann, more, _ = unwrap(ann)
    return KeyTarget(ann, (*meta, *more), info)


# --------------------------------------------------------------------------------------------
# Annotations
# --------------------------------------------------------------------------------------------


def unwrap(ann: Any) -> tuple[Any, list, str | None]:
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
        elif is_union(ann) and type(None) in get_args(ann):
            # TOML has no null, so an Optional field is explained by its non-None type.
            rest = tuple(arg for arg in get_args(ann) if arg is not type(None))
            ann = rest[0] if len(rest) == 1 else Union[rest]  # noqa: UP007 (built from a tuple)
        else:
            return ann, meta, disc


def _discriminator_key(disc: Any) -> str | None:
    """Return the key a discriminated union is tagged by, if it is a plain key name."""
    return disc if isinstance(disc, str) else None


def is_model(ann: Any) -> bool:
    """Whether ``ann`` is a pydantic model class (a table)."""
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def is_union(ann: Any) -> bool:
    """Whether ``ann`` is a ``Union`` or ``X | Y``."""
    return get_origin(ann) in (Union, types.UnionType)


def is_mapping(ann: Any) -> bool:
    """Whether ``ann`` is a mapping type (a table of any keys)."""
    origin = get_origin(ann) or ann
    return isinstance(origin, type) and issubclass(origin, Mapping)


def is_sequence(ann: Any) -> bool:
    """Whether ``ann`` is a list, tuple, set or other sequence that is not text (an array)."""
    origin = get_origin(ann) or ann
    return (
        isinstance(origin, type)
        and issubclass(origin, (Sequence, set, frozenset))
        and not issubclass(origin, (str, bytes))
    )


def item_type(ann: Any, index: int) -> Any:
    """Annotation of item ``index`` of a list, set or (fixed or variadic) tuple."""
    args = get_args(ann)
    if not args:
        return Any
    if (get_origin(ann) or ann) is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return args[index] if index < len(args) else Any
    return args[0]


def model_field(model: type[BaseModel], key: str) -> FieldInfo | None:
    """Find the field a data key refers to, by alias or by name."""
    for name, info in model.model_fields.items():
        if key in (info.alias, name):
            return info
    return None


def model_keys(model: type[BaseModel]) -> list[str]:
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
    ann, meta, _ = unwrap(member)
    names = {str(getattr(extra, "tag", "")) for extra in meta} | {str(ann)}
    names.add(getattr(ann, "__name__", ""))
    if is_model(ann) and disc:
        info = model_field(ann, disc)
        names.update(str(plain(tag)) for tag in (literal_values(info.annotation) if info else ()))
    names.discard("")
    return names


def literal_values(ann: Any) -> tuple:
    """The choices of a ``Literal`` or ``Enum`` annotation, else an empty tuple."""
    ann, _, _ = unwrap(ann)
    if get_origin(ann) is Literal:
        return get_args(ann)
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return tuple(ann)
    return ()


def plain(value: Any) -> Any:
    """Enum members as the value a TOML file would contain."""
    return value.value if isinstance(value, enum.Enum) else value
