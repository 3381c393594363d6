"""Scenario files on disk: finding them by name, reading them safely, writing and fingerprinting settings.

``dump_toml`` writes a resolved scenario back as TOML (for the run manifest) and ``file_sha256``
fingerprints it. TOML has no null: ``dump_toml`` omits keys whose value is ``None`` (reading the
file back then yields the schema default, which for optional fields is ``None`` again) and refuses
``None`` inside arrays, where dropping it would shift the other items.
"""

from __future__ import annotations

import enum
import hashlib
import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date, time
from pathlib import Path, PurePath
from typing import Any

import tomli_w

from hashpivot.model.config.errors import ConfigError
from hashpivot.model.config.toml_text import dotted

MAX_FILE_BYTES = 1024 * 1024
"""Largest scenario file accepted: real ones are a few KiB, so anything bigger is a wrong path."""


# --------------------------------------------------------------------------------------------
# Finding files
# --------------------------------------------------------------------------------------------


def find_config(arg: str | os.PathLike[str], folder: Path) -> Path:
    """Turn a command-line file argument into a path: an existing path wins, a bare name is looked up.

    A bare name (no folder, e.g. ``btc_bear``) is looked up as ``folder/<name>`` or ``folder/<name>.toml``.
    Anything else is returned unchanged, so that loading it reports the missing file.
    """
    path = Path(arg)
    if path.exists() or len(path.parts) != 1:
        return path
    return find_named(path.name, [folder]) or path


def find_named(name: str, folders: Iterable[Path]) -> Path | None:
    """The first file ``<folder>/<name>`` or ``<folder>/<name>.toml``, trying the folders in order, or None."""
    for folder in folders:
        for candidate in (folder / name, folder / f"{name}.toml"):
            if candidate.is_file():
                return candidate
    return None


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def load_toml(path: Path) -> dict:
    """Read one TOML file, refusing anything that cannot be a scenario.

    Args:
        path: The file to read.

    Returns:
        The parsed top-level table.

    Raises:
        ConfigError: The file is missing, a directory, not a regular file, unreadable, over
            ``MAX_FILE_BYTES``, binary, not UTF-8, empty (or only comments), or not valid TOML.
    """
    path = Path(path)
    text = _decode(path, _read_limited(path))
    if not text.strip():
        raise ConfigError(path, "file is empty", accepted="a TOML file with at least one setting")
    try:
        data = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or int() refusing a 5000-digit literal
        raise ConfigError(path, f"TOML syntax error: {exc}", accepted="TOML 1.0 syntax, see https://toml.io") from exc
    if not data:
        raise ConfigError(path, "file has only comments, no settings", accepted="a TOML file with a setting")
    return data


def _read_limited(path: Path) -> bytes:
    """Read at most ``MAX_FILE_BYTES + 1`` bytes so a huge or endless file costs nothing."""
    if path.is_dir():
        raise ConfigError(path, "is a directory, not a file", accepted="a .toml file")
    if not path.exists():
        raise ConfigError(path, "file not found", accepted="an existing .toml file")
    if not path.is_file():
        raise ConfigError(path, "is not a regular file", accepted="a .toml file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            path,
            f"file is over 1 MiB ({MAX_FILE_BYTES} bytes)",
            accepted="files up to 1 MiB",
        )
    return raw


def _decode(path: Path, raw: bytes) -> str:
    """Decode UTF-8, telling binary files apart from merely mis-encoded text."""
    if b"\x00" in raw:
        raise ConfigError(path, "binary file: contains NUL bytes", accepted="UTF-8 text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path,
            f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} cannot be decoded",
            accepted="UTF-8 text",
        ) from exc
    # Some Windows editors start UTF-8 files with a byte-order mark, which tomllib rejects.
    return text.removeprefix("\ufeff")


# --------------------------------------------------------------------------------------------
# Writing and fingerprinting
# --------------------------------------------------------------------------------------------


def dump_toml(data: Mapping, header: str | None = None) -> str:
    """Write resolved settings as TOML that ``tomllib`` reads back to the same data.

    Keys whose value is ``None`` are omitted at any depth (TOML has no null); everything else
    (str, int, float including nan/inf, bool, date, datetime, time, lists, tuples, nested
    tables) round-trips exactly, tuples coming back as lists.

    Args:
        data: Nested settings, e.g. ``model.model_dump(mode="python")``.
        header: Optional text written first as ``#`` comment lines (e.g. provenance).

    Returns:
        The TOML document.

    Raises:
        ValueError: ``None`` inside an array, which cannot be dropped without shifting items.
        TypeError: A value tomli-w cannot write (a non-string key, an arbitrary object).
    """
    body = tomli_w.dumps(_without_none(data, ()))
    if header is None:
        return body
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return f"{comments}\n{body}"


def _without_none(value: Any, path: tuple) -> Any:
    """Drop ``None`` table entries recursively; turn tuples into lists."""
    if isinstance(value, Mapping):
        return {k: _without_none(v, (*path, k)) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        if any(item is None for item in value):
            raise ValueError(f"{dotted(path)}: None inside an array cannot be written as TOML")
        return [_without_none(item, (*path, i)) for i, item in enumerate(value)]
    return value


def file_sha256(data: Mapping) -> str:
    """Fingerprint settings independently of key order and formatting.

    The hash is taken over compact JSON with sorted keys, UTF-8, dates/times as ISO strings
    (so a date and the equivalent ISO string hash alike) and tuples as lists.

    Args:
        data: Nested settings.

    Returns:
        64 lowercase hex digits.

    Raises:
        TypeError: A value that has no canonical form here.
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return value.as_posix()
    raise TypeError(f"cannot fingerprint a {type(value).__name__}: {value!r}")
