"""The demo's tables: ``seed/demo/<name>.yaml`` in the configured seed folder.

The values there are illustrative (names, streets, phrases, shares); the builders of this package
read them and go through the operations. The seed folder is ``CASEWORK_SEED_DIR`` (the project's
``seed/`` by default), as for ``casework init``. A missing or unreadable file, or a missing entry, is a
``SeedError`` (a ``ValueError``) that names the file: ``casework demo`` prints it in one line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import MISSING, fields
from datetime import time
from pathlib import Path
from typing import Any, TypeVar

import yaml
from flask import current_app

from casework.reference.seed import SeedError

DEMO_FOLDER = "demo"
# LibYAML's parser when PyYAML was built with it (the same safe constructors, ten times faster).
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Shape = TypeVar("Shape")


class MissingEntry(SeedError, KeyError):
    """An entry the demo needs is not in its file."""

    def __str__(self) -> str:
        return str(self.args[0])


class Table(Mapping[str, Any]):
    """A mapping read from a demo file, read-only; a missing key names the file."""

    def __init__(self, path: Path, entries: dict[str, Any]):
        self.path = path
        self._entries = entries

    def __getitem__(self, key: str) -> Any:
        try:
            return self._entries[key]
        except KeyError:
            raise MissingEntry(f"{self.path}: « {key} » is missing") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def read_tables(name: str, seed_dir: str | Path | None = None) -> Table:
    """``<seed_dir>/demo/<name>.yaml``; ``seed_dir`` defaults to the application's."""
    folder = Path(seed_dir if seed_dir is not None else current_app.config["SEED_DIR"])
    path = folder / DEMO_FOLDER / f"{name}.yaml"
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
    except (OSError, yaml.YAMLError) as error:
        raise SeedError(f"{path}: {error}") from error
    if not isinstance(document, dict):
        raise SeedError(f"{path}: a mapping of tables is expected")
    return frozen(path, document)


def frozen(path: Path, value: Any) -> Any:
    """Lists become tuples and mappings read-only: a run cannot change what the next one reads."""
    if isinstance(value, dict):
        return Table(path, {key: frozen(path, item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(frozen(path, item) for item in value)
    return value


def shaped(kind: type[Shape], item: Mapping[str, Any], **given: Any) -> Shape:
    """The dataclass ``kind`` from the entries of the same names in ``item`` (or ``given``); an
    entry may be left out when its field has a default."""
    values = {}
    for each in fields(kind):
        if each.name in given:
            values[each.name] = given[each.name]
        elif each.default is not MISSING:
            values[each.name] = item.get(each.name, each.default)
        else:
            values[each.name] = item[each.name]
    return kind(**values)


def clock(text: str) -> time:
    """A local wall-clock time written "08:30" (quoted: YAML would read 08:30 as a number)."""
    if not isinstance(text, str):
        raise SeedError(f'{text!r}: write a time in quotes, as "08:30"')
    return time.fromisoformat(text)


def repeated(counts: Mapping[str, int]) -> tuple[str, ...]:
    """``{"in_person": 2, "phone": 1}`` → ("in_person", "in_person", "phone"): a draw among them."""
    return tuple(key for key, count in counts.items() for _ in range(count))


def entry(item: Mapping[str, str]) -> tuple[str, str]:
    """A timeline entry written ``kind: text`` → (kind, text)."""
    if not isinstance(item, Mapping) or len(item) != 1:
        raise SeedError(f"{item!r}: write a timeline entry as « kind: text »")
    ((kind, text),) = item.items()
    return kind, text
