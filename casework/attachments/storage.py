"""Where the files of attachments live: behind an interface, so that an S3-compatible object
store can take the local folder's place (docs/deployment.md) without touching the operations.

Files are named by a random key, never by anything the uploader chose. The database keeps the
name, type, size and digest; the store keeps bytes only.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

KEY_PATTERN_LENGTH = 32


def new_key() -> str:
    """A random storage key (128 bits, hexadecimal): unguessable, and safe as a path."""
    return secrets.token_hex(KEY_PATTERN_LENGTH // 2)


class Storage(Protocol):
    """A store of files by key."""

    def put(self, key: str, source: Path) -> None:
        """Store the file at ``source`` (a local temporary file, consumed) under ``key``."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes, to read; FileNotFoundError when the key holds nothing."""

    def delete(self, key: str) -> bool:
        """Remove what ``key`` holds; whether there was something to remove."""

    def exists(self, key: str) -> bool: ...

    def stored(self) -> Iterator[tuple[str, datetime]]:
        """Every key held, with when it was stored (naive UTC), for the sweep of files that no
        row owns."""

    def incoming(self) -> AbstractContextManager[Path]:
        """A local temporary path to receive an upload in; removed on leaving unless ``put``
        consumed it."""


class LocalStorage:
    """Files in a folder of the machine (by default under the instance folder), two levels of
    sub-folders by key prefix, readable by the application's user only."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if len(key) != KEY_PATTERN_LENGTH or not all(c in "0123456789abcdef" for c in key):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key

    def _ensure(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def put(self, key: str, source: Path) -> None:
        target = self._path(key)
        self._ensure(target.parent)
        os.chmod(source, 0o600)
        # The incoming folder is on the same file system: the file appears whole, or not at all.
        os.replace(source, target)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def stored(self) -> Iterator[tuple[str, datetime]]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and len(folder.name) == 2:
                for path in sorted(folder.iterdir()):
                    if path.is_file() and path.name.startswith(folder.name):
                        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                        yield path.name, modified.replace(tzinfo=None)

    @contextmanager
    def incoming(self) -> Iterator[Path]:
        folder = self.root / ".incoming"
        self._ensure(folder)
        handle, name = tempfile.mkstemp(dir=folder, prefix="upload-")
        os.close(handle)
        path = Path(name)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)


def storage_from(config: dict) -> Storage:
    return LocalStorage(config["ATTACHMENTS_DIR"])
