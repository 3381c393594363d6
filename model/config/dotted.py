"""Dotted keys (``miners.0.cash_usd_per_mw``): the one setter that scenarios, sweeps and the UI share.

A key's parts walk nested tables (dicts) by name and arrays (lists) by index. Callers turn a
``DottedKeyError`` into their own one-line message (``ConfigError`` for ``--set``, a sweep file's
parameter name, a UI field), so the walking and its failure cases live here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class DottedKeyError(LookupError):
    """A dotted key does not fit the data it is applied to.

    Attributes:
        keys: the key's parts.
        depth: index of the part that failed.
        reason: ``"missing"`` (no such table), ``"index"`` (not an index of the array) or ``"scalar"``
            (the walk reached a value that has no keys).
        node: what the walk had reached at ``depth``.
    """

    def __init__(self, keys: tuple[str, ...], depth: int, reason: str, node: Any):
        self.keys, self.depth, self.reason, self.node = keys, depth, reason, node
        super().__init__(f"{'.'.join(keys)}: {reason} at {'.'.join(keys[: depth + 1])}")


def is_index(part: str) -> bool:
    """True if a key part is an array index: ASCII digits only (``"²".isdigit()`` is true, ``int("²")`` fails)."""
    return part.isascii() and part.isdecimal()


def split_key(key: str | Sequence[str]) -> tuple[str, ...]:
    """The parts of a dotted key (a sequence of parts is taken as it is)."""
    return tuple(key.split(".")) if isinstance(key, str) else tuple(key)


def set_dotted(data: dict, key: str | Sequence[str], value: Any, *, create: bool = False) -> None:
    """Assign ``value`` at ``key`` inside nested dicts and lists.

    Args:
        data: the nested tables to change in place.
        key: a dotted key or its parts; parts that walk into a list are indices.
        value: the value to assign.
        create: create missing tables on the way (``--set`` may add a table the file leaves out); an
            array is never extended.

    Raises:
        DottedKeyError: a table on the way is missing (and ``create`` is off), an index is not one of
            the array's, or a part walks into a scalar.
    """
    keys = split_key(key)
    node: Any = data
    for depth, part in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, dict):
            if last:
                node[part] = value
                return
            if part not in node:
                if not create:
                    raise DottedKeyError(keys, depth, "missing", node)
                node[part] = {}
            node = node[part]
        elif isinstance(node, list):
            if not (is_index(part) and int(part) < len(node)):
                raise DottedKeyError(keys, depth, "index", node)
            if last:
                node[int(part)] = value
                return
            node = node[int(part)]
        else:
            raise DottedKeyError(keys, depth, "scalar", node)
