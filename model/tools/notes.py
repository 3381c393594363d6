"""Source notes checked against their values: a note's own numbers must not contradict the value it sits next to.

A parameter table row (``odd.ParamRow``) shows a value, its unit and a source note such as ``cal: recent
miner leases 10-15 yr``. ``contradiction(row)`` reads the *claims* the note makes in the row's unit -- a
range (``10-15 yr``, ``8-10 M$/MW``, ``2-3%``) or an approximate figure (``~20%``, ``~650 EH/s``, ``ten
years``) -- and says why the value contradicts them: when the note makes claims in the value's unit and
the value lies in none of them. Figures in other units (``45 $/MWh`` next to a value in USD/MW-day), bare
numbers without a unit and single exact figures are not claims about the value and are left alone.

Used by the tests over the schema's defaults and over every report's parameter table, so a note copied
to the wrong field (a five-year term next to ``leases 10-15 yr``) is caught where it is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from hashpivot.model.tools.odd import ParamRow

APPROX_TOLERANCE = 0.35
"""``~x`` covers values within 35% of x (``~20%`` accepts 0.13-0.27, not 0.6)."""

_NUM = r"(\d[\d,]*(?:\.\d+)?)"
_UNIT = r"(%|[kMB]?\$(?:/[\w-]+)?|EH/s|J/TH|MW|GW|yr|years?|months?|days?)"
_RANGE = re.compile(rf"(?<![\w.]){_NUM}\s*(?:-|–|to)\s*{_NUM}\s*{_UNIT}")
_APPROX = re.compile(rf"~\s*{_NUM}\s*{_UNIT}")
_ABOVE = re.compile(r"\b(?:above|over|more than|beyond)\s+$", re.IGNORECASE)
_BELOW = re.compile(r"\b(?:below|under|less than)\s+$", re.IGNORECASE)
_PART_OF = re.compile(r"\bof\s+$", re.IGNORECASE)
_WORDS = {w: i + 1 for i, w in enumerate("one two three four five six seven eight nine ten eleven twelve".split())}
_WORD_YEARS = re.compile(r"\b(" + "|".join(_WORDS) + r")[ -]years?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    """What a note says the value is: an interval in the row's unit, and the words that said it."""

    low: float
    high: float
    text: str

    def holds(self, value: float) -> bool:
        """Whether ``value`` lies in the interval (ends included, to rounding)."""
        slack = 1e-9 * max(1.0, abs(self.low), abs(self.high))
        return self.low - slack <= value <= self.high + slack


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _scale(token: str, unit: str) -> float | None:
    """What one of the note's units is in the row's unit (None: not comparable)."""
    unit = unit.lower()
    if token == "%":
        return 0.01 if ("share" in unit or "1/yr" in unit or unit in ("", "0-1")) else None
    if "$" in token:
        if "usd" not in unit or " over " in unit:  # "USD/MWh over regional price" is not a price
            return None
        prefix, _, per = token.partition("$")
        per = per.lstrip("/").lower()
        unit_per = unit.partition("/")[2].split()[0] if "/" in unit else ""
        if per and unit_per and per != unit_per:
            return None
        return {"": 1.0, "k": 1e3, "M": 1e6, "B": 1e9}[prefix]
    word = token.lower().rstrip("s")
    per_unit = {
        "days": {"day": 1.0, "month": 30.4375, "year": 365.25, "yr": 365.25},
        "years": {"year": 1.0, "yr": 1.0, "month": 1 / 12},
        "months": {"month": 1.0, "year": 12.0, "yr": 12.0},
    }
    for name, table in per_unit.items():
        if unit.startswith(name) or unit == name.rstrip("s"):
            return table.get(word)
    same = {"eh/": "eh/s", "j/th": "j/th", "mw": "mw"}
    for start, tok in same.items():
        if unit.startswith(start) and token.lower() == tok:
            return 1.0
    if unit.startswith("mw") and token == "GW":
        return 1000.0
    return None


def claims(note: str, unit: str) -> list[Claim]:
    """The claims ``note`` makes about a value in ``unit``."""
    found: list[Claim] = []
    taken: list[tuple[int, int]] = []
    for match in _RANGE.finditer(note):
        scale = _scale(match.group(3), unit)
        if scale is not None:
            low, high = sorted((_number(match.group(1)) * scale, _number(match.group(2)) * scale))
            found.append(_bounded(note[: match.start()], low, high, match.group(0)))
        taken.append(match.span())
    for match in _APPROX.finditer(note):
        before = note[: match.start()]
        if any(a <= match.start() < b for a, b in taken) or _PART_OF.search(before):
            continue  # "(of ~9.7 M$ revenue)": a figure the value is a part of, not the value
        scale = _scale(match.group(2), unit)
        if scale is not None:
            centre = _number(match.group(1)) * scale
            low, high = centre * (1 - APPROX_TOLERANCE), centre * (1 + APPROX_TOLERANCE)
            found.append(_bounded(before, low, high, match.group(0)))
    for match in _WORD_YEARS.finditer(note):
        scale = _scale("years", unit)
        if scale is not None:
            years = _WORDS[match.group(1).lower()] * scale
            found.append(Claim(years * (1 - APPROX_TOLERANCE), years * (1 + APPROX_TOLERANCE), match.group(0)))
    return found


def _bounded(before: str, low: float, high: float, text: str) -> Claim:
    """A claim, one-sided when the words before it say so ("above 8-10 M$": at least 10 M$)."""
    if _ABOVE.search(before):
        return Claim(high, math.inf, text)
    if _BELOW.search(before):
        return Claim(-math.inf, low, text)
    return Claim(low, high, text)


def contradiction(row: ParamRow) -> str | None:
    """Why the row's note contradicts its value, or None.

    A note the row inherits from its section (``ParamRow.inherited``) speaks for the section as a whole
    and is not held against each field.

    Returns:
        E.g. ``"5 years is outside every claim of the note: '10-15 yr'"``.
    """
    if row.inherited:
        return None
    try:
        value = float(row.value.replace(",", ""))
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    said = claims(row.source, row.unit)
    if not said or any(c.holds(value) for c in said):
        return None
    listed = ", ".join(repr(c.text) for c in said)
    return f"{row.value} {row.unit} is outside every claim of the note: {listed}"


def contradictions(rows: Iterable[ParamRow]) -> list[tuple[str, str, str, str]]:
    """``(key, value, note, why)`` for every row whose note contradicts its value."""
    out = []
    for row in rows:
        why = contradiction(row)
        if why is not None:
            out.append((row.key, row.value, row.source, why))
    return out
