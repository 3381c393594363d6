"""'did you mean ...?': the closest known name to a mistyped one, for unknown keys, settings and columns."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(
    word: str,
    choices: Iterable[str],
    *,
    cutoff: float = 0.6,
    containing: bool = False,
    prefix: str = "",
) -> str:
    """Suggest the choice a typo most likely meant, as a clause to append to a problem.

    Args:
        word: What was written.
        choices: The names that would have been accepted.
        cutoff: Similarity (difflib's ratio, 0 to 1) below which nothing is suggested.
        containing: Prefer choices that contain ``word`` (``leased`` -> ``mw_ai_leased``): a single
            such choice is the answer, several narrow the similarity search down to them.
        prefix: Text shown before the suggested choice (the section of a dotted key).

    Returns:
        ``", did you mean '<prefix><choice>'?"``, or "" when no choice is close enough.
    """
    close = _closest(word, list(choices), cutoff, containing)
    return f", did you mean '{prefix}{close}'?" if close is not None else ""


def _closest(word: str, choices: list[str], cutoff: float, containing: bool) -> str | None:
    if containing:
        within = [choice for choice in choices if word and word in choice]
        if len(within) == 1:
            return within[0]
        choices = within or choices
    close = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return close[0] if close else None
