"""``ConfigError``: every unusable scenario, sweep file or override, explained on one line."""

from __future__ import annotations

from pathlib import PurePath


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
