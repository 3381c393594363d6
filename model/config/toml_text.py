"""How keys and values are shown in one-line messages: TOML dotted keys and TOML-like values."""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, time
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_REPR_LIMIT = 60


def dotted(parts: Iterable[str | int]) -> str:
    """Join a key path as a TOML dotted key, quoting parts that are not bare keys."""
    return ".".join(toml_key(part) for part in parts)


def toml_key(part: str | int) -> str:
    """One part of a dotted key as TOML writes it: bare when it can be, else double-quoted."""
    text = str(part)
    return text if _BARE_KEY.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def toml_repr(value: Any) -> str:
    """Show a value as it would appear in a TOML file, shortened for a one-line message."""
    text = toml_value(value)
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


def toml_value(value: Any) -> str:
    """Inline TOML-like rendering of a value, in full (nan/inf included, None as 'nothing')."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return toml_value(value.value)
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if value is None:
        return "nothing"
    return repr(value)
