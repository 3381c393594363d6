"""Validation with readable errors: the first pydantic error as one line naming file, field and what is accepted.

Every message has the form ``<file>: <dotted.field>: <problem> (accepted: <what is accepted>)``
(see ``ConfigError``); the accepted part is worked out from the schema at the error's location.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.phrases import bounds, choices, join, lengths, pattern, phrase
from hashpivot.model.config.suggest import did_you_mean
from hashpivot.model.config.toml_text import dotted, toml_repr
from hashpivot.model.config.walker import (
    Where,
    is_model,
    is_union,
    literal_values,
    model_field,
    model_keys,
    plain,
    unwrap,
    walk_loc,
)

_RANGE_ERRORS = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})
_CUSTOM_PREFIXES = ("Value error, ", "Assertion failed, ")


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
    where = walk_loc(model_cls, error["loc"])
    problem, accepted, extra_parts = _explain(error, where)
    parts = [*where.parts, *extra_parts]
    blame = _origin(origins, parts) or source
    return ConfigError(blame, problem, dotted(parts) or None, accepted)


def _origin(origins: Mapping[tuple[str, ...], str] | None, parts: Sequence) -> str | None:
    """Find who wrote the value at ``parts``: the longest recorded prefix."""
    if not origins:
        return None
    key = tuple(str(part) for part in parts)
    for length in range(len(key), 0, -1):
        if key[:length] in origins:
            return origins[key[:length]]
    return None


def _explain(error: Mapping[str, Any], where: Where) -> tuple[str, str | None, list]:
    """Return ``(problem, accepted, extra field parts)`` for one pydantic error."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    shown = toml_repr(error.get("input"))
    if kind == "extra_forbidden":
        return (*_explain_unknown_key(where), [])
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _explain_union_tag(kind, ctx, where)
    if kind == "missing":
        return "required key is missing", _accepted(where), []
    if kind in _RANGE_ERRORS:
        return f"{shown} is out of range", bounds(where.meta) or bounds([ctx]), []
    if kind == "finite_number":
        return f"{shown} is not a finite number", join("finite numbers", bounds(where.meta)), []
    if kind in ("literal_error", "enum"):
        accepted = choices(where.ann) or ctx.get("expected")
        return f"{shown} is not one of the choices", accepted, []
    if kind in ("value_error", "assertion_error"):
        return _custom_message(error["msg"]), None, []
    if _is_type_error(kind) and (where.ann is not None or where.union is not None):
        return _explain_type(shown, ctx, where), _accepted(where), []
    return f"{shown} is invalid: {_lower_first(error['msg'])}", _accepted(where), []


def _explain_type(shown: str, ctx: Mapping, where: Where) -> str:
    """A value of the wrong type, plus pydantic's parsing detail (e.g. a month out of range)."""
    detail = ctx.get("error")
    problem = f"{shown} is not {phrase(where.union or where.ann, short=True)}"
    return join(problem, detail, sep=", ") if isinstance(detail, str) else problem


def _explain_unknown_key(where: Where) -> tuple[str, str | None]:
    """An ``extra="forbid"`` rejection: name the key, suggest the closest known one."""
    key = str(where.parts[-1]) if where.parts else "?"
    known = model_keys(where.parent) if where.parent is not None else []
    problem = f"unknown key '{key}'" + did_you_mean(key, known)
    return problem, ", ".join(known) or None


def _explain_union_tag(kind: str, ctx: Mapping, where: Where) -> tuple[str, str | None, list]:
    """A tagged union whose tag key is missing or names no variant: blame the tag key."""
    accepted = ", ".join(_union_tags(where)) or ctx.get("expected_tags")
    extra = [where.disc] if where.disc else []
    if kind == "union_tag_not_found":
        return "required key is missing", accepted, extra
    return f"{toml_repr(ctx.get('tag'))} is not a known {where.disc or 'variant'}", accepted, extra


def _union_tags(where: Where) -> list[str]:
    """The tag values, as TOML, of a union discriminated by a plain key (else none)."""
    if not where.disc or not is_union(where.ann):
        return []
    tags = []
    for member in get_args(where.ann):
        ann, _, _ = unwrap(member)
        info = model_field(ann, where.disc) if is_model(ann) else None
        tags.extend(literal_values(info.annotation) if info else ())
    return [toml_repr(plain(tag)) for tag in tags]


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


def _accepted(where: Where) -> str | None:
    """Describe what the value at ``where`` may be, with its range or length limits."""
    if where.union is not None:
        return phrase(where.union)
    if where.ann is None:
        return None
    if is_model(where.ann):
        return f"a table with keys: {', '.join(model_keys(where.ann))}"
    if tags := _union_tags(where):
        return f"a table with {where.disc} = {' or '.join(tags)}"
    return join(phrase(where.ann), bounds(where.meta), lengths(where.meta), pattern(where.meta))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
