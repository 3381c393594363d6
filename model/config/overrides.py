"""Overrides: ``--set section.key=value``, parsed as TOML and applied over the resolved settings."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterable
from typing import Any

from hashpivot.model.config.dotted import DottedKeyError, set_dotted
from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.toml_text import dotted, toml_repr

OVERRIDE_FORM = "section.key=value, e.g. price.kind=gbm or market.rent=[1, 2]"
VALUE_FORMS = 'a TOML value such as 1.5, true, "text", [1, 2] or 2024-01-01, or bare text'


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
        set_override(result, keys, value, source)
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
        raise ConfigError(source, f"{toml_repr(override)} has no '='", accepted=OVERRIDE_FORM)
    keys = _parse_key(key_text, override, source)
    return keys, _parse_value(value_text, dotted(keys), source)


def _parse_key(key_text: str, override: str, source: str) -> tuple[str, ...]:
    """Parse a TOML dotted key by letting tomllib read ``<key> = 0``."""
    if not key_text.strip():
        raise ConfigError(source, f"{toml_repr(override)} has an empty key", accepted=OVERRIDE_FORM)
    # A line break would let the "key" smuggle in a whole TOML document.
    if len(key_text.splitlines()) > 1:
        raise ConfigError(source, f"{toml_repr(key_text)} spans lines", accepted=OVERRIDE_FORM)
    try:
        node: Any = tomllib.loads(f"{key_text} = 0")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            source,
            f"{toml_repr(key_text.strip())} is not a dotted key",
            accepted="parts of A-Za-z0-9_- joined by '.', other parts in double quotes",
        ) from exc
    keys = []
    while isinstance(node, dict):
        ((key, node),) = node.items()
        keys.append(key)
    return tuple(keys)


def _parse_value(value_text: str, field: str, source: str) -> Any:
    """Parse a TOML value, taking text that is not TOML as a bare string."""
    text = value_text.strip()
    if not text:
        raise ConfigError(source, "no value after '='", field=field, accepted=f'{VALUE_FORMS}; "" for empty text')
    try:
        parsed = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError as exc:
        # Quotes and brackets show TOML was intended: a typo there must not become a string.
        if text[0] in "\"'[{":
            raise ConfigError(
                source,
                f"{text} is not a valid TOML value: {exc}",
                field=field,
                accepted=VALUE_FORMS,
            ) from exc
        return text
    # More than one key means a line break turned the value into a document: keep it literal.
    return parsed["v"] if parsed.keys() == {"v"} else text


def set_override(data: dict, keys: tuple[str, ...], value: Any, source: str) -> None:
    """Assign ``value`` at ``keys``, creating tables and indexing arrays on the way.

    Raises:
        ConfigError: A part indexes past an array or walks into a value that is not a table.
    """
    try:
        set_dotted(data, keys, value, create=True)
    except DottedKeyError as exc:
        raise _unsettable(exc, source) from None


def _unsettable(exc: DottedKeyError, source: str) -> ConfigError:
    """Explain why an override's key does not fit the settings (``create`` rules out a missing table)."""
    keys, depth, node = exc.keys, exc.depth, exc.node
    if exc.reason == "index":
        accepted = f"an index from 0 to {len(node) - 1}" if node else "nothing: the array is empty"
        return ConfigError(
            source,
            f"{toml_repr(keys[depth])} is not an index of the {len(node)}-item array {dotted(keys[:depth])}",
            field=dotted(keys),
            accepted=accepted,
        )
    return ConfigError(
        source,
        f"cannot set a key inside {dotted(keys[:depth])}, which is {toml_repr(node)}",
        field=dotted(keys),
        accepted="keys inside tables",
    )
