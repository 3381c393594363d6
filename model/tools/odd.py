"""The scenario schema as parameter tables: for ``docs/ODD.md`` and for research reports.

Every scenario field declares its default and a description ``"<unit>; <source>"``
(``model/config/schema.py``). This module walks the ``Scenario`` model into rows
``(key, value, unit, source)`` so that documentation is generated from the code and cannot
drift from it:

* ``schema_rows()`` -- the defaults, list items (miner archetypes, ASIC generations, shocks)
  described once as ``miners[].count`` with the item's own default;
* ``scenario_rows(values)`` -- a resolved scenario (a ``manifest.json``'s ``scenario``), every
  list item expanded as ``miners[0].count``;
* ``parameter_table_markdown()`` -- the ODD table, plus the default list items;
* ``python -m hashpivot.model.tools.odd --write docs/ODD.md`` -- regenerate the table between the markers
  ``<!-- params:start -->`` and ``<!-- params:end -->`` (``--check`` exits 1 if it differs).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from hashpivot.model.config.schema import Scenario

START_MARKER = "<!-- params:start -->"
END_MARKER = "<!-- params:end -->"
GENERATOR = "python -m hashpivot.model.tools.odd --write docs/ODD.md"


@dataclass(frozen=True)
class ParamRow:
    """One parameter: dotted key, value (or default) as text, unit and source.

    ``inherited`` marks a source that is the note of the enclosing section or list (whose own defaults
    set this value): it speaks for the section as a whole, not for this one field.
    """

    key: str
    value: str
    unit: str
    source: str
    inherited: bool = False


# --------------------------------------------------------------------------------------------
# Walking the schema
# --------------------------------------------------------------------------------------------


def schema_rows() -> list[ParamRow]:
    """Every parameter with its default; list items described once (``miners[].mw``)."""
    defaults = Scenario().model_dump(mode="json")
    return list(_walk(Scenario, defaults, "", expand=False, defaults=defaults))


def scenario_rows(values: Mapping[str, Any], sources: Mapping[str, str] | None = None) -> list[ParamRow]:
    """Every parameter of a resolved scenario, list items expanded (``miners[0].mw``).

    A row's source is where its value comes from: the scenario file or ``--set`` override that set it
    (``sources``, as a run manifest's ``parameter_sources`` records them); else, for a schema default, the
    field's note -- or, when a section or list has its own defaults (``ai.gpu_cloud``, the default miner
    archetypes), that section's note; a value that is neither is marked as set by the scenario.

    Args:
        values: The scenario as JSON data (``Scenario.model_dump(mode="json")``, or a run
            manifest's ``scenario``).
        sources: Who set which dotted key (``hashpivot.model.tools.portable.parameter_sources``).

    Returns:
        The rows in schema order; keys the data lacks are left out.
    """
    rows = list(_walk(Scenario, values, "", expand=True, defaults=Scenario().model_dump(mode="json")))
    if sources is None:
        return rows
    from hashpivot.model.tools.portable import origin_of

    out = []
    for row in rows:
        origin = origin_of(row.key, sources)
        out.append(ParamRow(row.key, row.value, row.unit, origin) if origin and row.value != "(section)" else row)
    return out


SET_BY_SCENARIO = "set by the scenario file (differs from the schema default)"
"""The source of a value that is neither the schema's default nor recorded as set by a file."""

_INTERNAL = re.compile(r"\s*\((?:see )?issue \d+[^)]*\)|\s*\bissue \d+\b[:;,]?", re.IGNORECASE)


def public_note(note: str) -> str:
    """A source note without the project's internal references (``(issue 3)``): what a reader can follow."""
    return " ".join(_INTERNAL.sub("", note).split())


def _walk(
    cls: type[BaseModel],
    values: Mapping[str, Any],
    prefix: str,
    expand: bool,
    defaults: Any = None,
    container: str = "",
) -> Iterator[ParamRow]:
    """Rows of ``values`` (a dump of ``cls``).

    ``defaults`` is the schema's default data at this level (None where there is none, e.g. an item
    past the default list's end); ``container`` is the note of the nearest section or list whose own
    defaults override its fields' (the source of a default that is not the field's).
    """
    for name, field in cls.model_fields.items():
        if name not in values:
            continue
        key = f"{prefix}{name}"
        value = values[name]
        default = defaults.get(name) if isinstance(defaults, Mapping) else None
        item_cls = _model_items(field.annotation)
        if _is_model(field.annotation):
            note = public_note(field.description or "")
            if field.description:  # a section with its own source (e.g. ai.gpu_cloud): no unit
                yield ParamRow(key, "(section)", "", note)
            yield from _walk(field.annotation, value, f"{key}.", expand, default, note or container)
        elif item_cls is not None:
            yield from _list_rows(key, field, item_cls, value, expand, default)
        else:
            unit, source = _split(field.description or "")
            inherited = False
            if defaults is not None and value != _json_default(field):
                inherited = value == default and bool(container)
                source = (container or source) if value == default else SET_BY_SCENARIO
            yield ParamRow(key, parameter_text(value), unit, public_note(source), inherited)


def _json_default(field: FieldInfo) -> Any:
    """A field's own default as JSON data (what a section built without arguments holds)."""
    from pydantic import TypeAdapter

    default = field.get_default(call_default_factory=True)
    return TypeAdapter(field.annotation).dump_python(default, mode="json")


def _list_rows(
    key: str, field: FieldInfo, item_cls: type[BaseModel], items: Sequence, expand: bool, defaults: Any = None
) -> Iterator[ParamRow]:
    """A list of sections: one summary row, then its items' fields (once, or per item)."""
    unit, own = _split(field.description or "")
    source = public_note(own or _first_line(item_cls.__doc__))
    yield ParamRow(key, _list_summary(items), unit or "list", source)
    if expand:
        default_items = defaults if isinstance(defaults, list) else []
        note = f"the schema's default {key} (model/config/schema.py)" + (f"; {public_note(own)}" if own else "")
        for i, item in enumerate(items):
            default = default_items[i] if i < len(default_items) else None
            yield from _walk(item_cls, item, f"{key}[{i}].", expand, default if default is not None else {}, note)
    else:
        # The template's defaults: what a new item gets for a key it leaves out.
        yield from _walk(item_cls, item_cls().model_dump(mode="json"), f"{key}[].", expand)


def _list_summary(items: Sequence) -> str:
    if not items:
        return "none (0 items)"
    names = [str(item.get("name", "")) for item in items if isinstance(item, Mapping)]
    listed = ", ".join(n for n in names if n)
    return f"{len(items)} items" + (f": {listed}" if listed else "")


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _model_items(annotation: Any) -> type[BaseModel] | None:
    """The item model of ``tuple[Model, ...]``, else None."""
    if get_origin(annotation) not in (tuple, list):
        return None
    args = [a for a in get_args(annotation) if a is not Ellipsis]
    return args[0] if len(args) == 1 and _is_model(args[0]) else None


def _split(description: str) -> tuple[str, str]:
    """``"<unit>; <source>"`` -> (unit, source); a description without ``;`` is a source."""
    unit, sep, source = description.partition(";")
    return (unit.strip(), source.strip()) if sep else ("", description.strip())


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if doc and doc.strip() else ""


def parameter_text(value: Any) -> str:
    """A parameter value as text for people: JSON-like, floats short but exact (``0.266``, ``47000000000``).

    Args:
        value: A JSON value (bool, int, float, str, list).

    Returns:
        The text; an empty string shows as ``""``.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.12g}"
        return text if float(text) == value else repr(value)
    if isinstance(value, list | tuple):
        return ", ".join(parameter_text(v) for v in value) if value else "[]"
    if value is None:
        return ""
    return str(value) if str(value) else '""'


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def markdown_cell(text: Any) -> str:
    """Text safe inside a Markdown table cell (pipes escaped, line breaks joined)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def rows_markdown(rows: Sequence[ParamRow], value_header: str = "default") -> str:
    """Parameter rows as a Markdown table."""
    lines = [f"| key | {value_header} | unit | source |", "|---|---|---|---|"]
    for r in rows:
        cells = (f"`{r.key}`", r.value, r.unit, r.source)
        lines.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def default_items_markdown() -> str:
    """The default list items (miner archetypes, ASIC generations) as compact tables.

    Only the fields where some item differs from the item template's default are shown.
    """
    parts = []
    defaults = Scenario().model_dump(mode="json")
    for name, field in Scenario.model_fields.items():
        item_cls = _model_items(field.annotation)
        items = defaults.get(name)
        if item_cls is None or not items:
            continue
        parts.append(_items_table(f"`{name}`", item_cls, items))
    for section, cls in _sections():
        for name, field in cls.model_fields.items():
            item_cls = _model_items(field.annotation)
            items = defaults[section].get(name)
            if item_cls is not None and items:
                parts.append(_items_table(f"`{section}.{name}`", item_cls, items))
    return "\n\n".join(parts)


def _sections() -> Iterator[tuple[str, type[BaseModel]]]:
    for name, field in Scenario.model_fields.items():
        if _is_model(field.annotation):
            yield name, field.annotation


def _items_table(title: str, item_cls: type[BaseModel], items: Sequence[Mapping]) -> str:
    template = item_cls().model_dump(mode="json")
    keys = [k for k in template if k == "name" or any(i.get(k) != template[k] for i in items)]
    lines = [
        f"Default items of {title} (columns: the fields that differ from the item defaults above):",
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
    ]
    for item in items:
        lines.append("| " + " | ".join(markdown_cell(parameter_text(item[k])) for k in keys) + " |")
    return "\n".join(lines)


def parameter_table_markdown() -> str:
    """The ODD parameter table: every schema parameter, then the default list items."""
    return "\n".join(
        [
            f"<!-- generated by `{GENERATOR}` from model/config/schema.py; do not edit by hand -->",
            "",
            rows_markdown(schema_rows()),
            "",
            default_items_markdown(),
        ]
    )


def replace_block(document: str, block: str) -> str:
    """``document`` with the text between the parameter markers replaced by ``block``.

    Raises:
        ValueError: The markers are missing or out of order.
    """
    start = document.find(START_MARKER)
    end = document.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(
            f"missing the markers {START_MARKER} ... {END_MARKER} (accepted: a document holding both, in that order)"
        )
    head = document[: start + len(START_MARKER)]
    return f"{head}\n{block}\n{document[end:]}"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hashpivot.model.tools.odd [--write FILE | --check FILE]``: print, write or check the table."""
    parser = argparse.ArgumentParser(prog="python -m hashpivot.model.tools.odd", description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", type=Path, metavar="FILE", help="replace the marked table")
    group.add_argument("--check", type=Path, metavar="FILE", help="exit 1 if the table differs")
    args = parser.parse_args(argv)
    block = parameter_table_markdown()
    path = args.write or args.check
    if path is None:
        print(block)
        return 0
    try:
        document = path.read_text(encoding="utf-8")
        updated = replace_block(document, block)
    except (OSError, ValueError) as exc:
        print(f"python -m hashpivot.model.tools.odd: error: {path}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    if args.check:
        if updated != document:
            print(f"{path}: parameter table is out of date; run `{GENERATOR}`", file=sys.stderr)
            return 1
        return 0
    if updated != document:
        path.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
