"""Schema things in words a TOML author uses: 'an integer', 'an array of dates like 2024-01-01', '>= 0 and < 1'."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any, get_args

from hashpivot.model.config.toml_text import toml_repr
from hashpivot.model.config.walker import (
    is_mapping,
    is_model,
    is_sequence,
    is_union,
    item_type,
    literal_values,
    plain,
    unwrap,
)

_BOUND_SYMBOLS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))

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


def phrase(ann: Any, short: bool = False) -> str:
    """Name a type the way a TOML author thinks of it, e.g. 'an integer', 'true or false'.

    Args:
        ann: The annotation.
        short: Leave out examples and item types, for use inside a problem sentence.

    Returns:
        The description, with its article.
    """
    ann, _, _ = unwrap(ann)
    if isinstance(ann, type) and ann in _SCALARS:
        name, example = _SCALARS[ann]
        return name if short else name + example
    if literal_values(ann):
        return f"one of {choices(ann)}"
    if is_union(ann):
        return _either(phrase(member, short) for member in get_args(ann))
    return _container_phrase(ann, short)


def _container_phrase(ann: Any, short: bool) -> str:
    """Name tables, arrays, paths and anything else by structure or class name."""
    args = get_args(ann)
    if is_model(ann) or (is_mapping(ann) and (short or len(args) != 2)):
        return "a table"
    if is_mapping(ann):
        return f"a table of {_plural(args[1])}"
    if is_sequence(ann):
        return "an array" if short or not args else f"an array of {_plural(item_type(ann, 0))}"
    if isinstance(ann, type) and issubclass(ann, PurePath):
        return "a path"
    return f"a {getattr(ann, '__name__', str(ann))}"


def _plural(ann: Any) -> str:
    """Name the items of an array (or values of a table): 'numbers', 'dates like ...'."""
    ann, _, _ = unwrap(ann)
    if is_union(ann):
        return _either(_plural(member) for member in get_args(ann))
    if isinstance(ann, type) and ann in _PLURALS:
        return _PLURALS[ann]
    words = phrase(ann)
    article, _, rest = words.partition(" ")
    if article not in ("a", "an"):
        return f"values that are {words}"
    noun, _, tail = rest.partition(" ")
    return join(noun + "s", tail)


def _either(phrases: Iterable[str]) -> str:
    """Join alternatives with 'or', once each (two model classes are both 'a table')."""
    return " or ".join(dict.fromkeys(phrases))


def choices(ann: Any) -> str | None:
    """List Literal/Enum choices as a TOML author would write them."""
    values = literal_values(ann)
    return ", ".join(toml_repr(plain(value)) for value in values) or None


def bounds(meta: Iterable, show: Callable[[Any], str] = toml_repr) -> str:
    """Render ge/gt/le/lt constraints (from annotated_types or a ctx dict) as '>= 0 and < 1'.

    Args:
        meta: Constraint objects, or dicts with the same keys (a pydantic error's ``ctx``).
        show: How a bound value is written (TOML-like by default).

    Returns:
        The constraints joined by 'and'; empty when there are none.
    """
    found = []
    for attr, symbol in _BOUND_SYMBOLS:
        for item in meta:
            value = item.get(attr) if isinstance(item, Mapping) else getattr(item, attr, None)
            if value is not None:
                found.append(f"{symbol} {show(value)}")
    return " and ".join(found)


def lengths(meta: Iterable) -> str:
    """Render min/max length constraints."""
    found = []
    for attr, words in (("min_length", "at least"), ("max_length", "at most")):
        for item in meta:
            value = getattr(item, attr, None)
            if value is not None:
                found.append(f"{words} {value} long")
    return "with length " + " and ".join(found) if found else ""


def pattern(meta: Iterable) -> str:
    """Render a regular-expression constraint."""
    for item in meta:
        regex = getattr(item, "pattern", None)
        if regex is not None:
            return f"matching {regex}"
    return ""


def join(*pieces: str | None, sep: str = " ") -> str:
    """Join the pieces that are not empty."""
    return sep.join(piece for piece in pieces if piece)
