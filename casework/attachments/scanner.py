"""The virus scanner: ClamAV's daemon, ``clamd``, over its socket (Debian's ``clamav-daemon``).

The file is streamed to clamd with its ``INSTREAM`` command (chunks of at most 64 KiB, each
preceded by its length on four bytes, big-endian, then a zero length), and clamd answers
``stream: OK`` or ``stream: <signature> FOUND``. The protocol is these few lines, so they are
written here rather than taken from a library: the Python clients on PyPI are either
unmaintained since 2014 (``clamd``) or under the GPL (``clamav-client``), which this
application's licence cannot take in.

No database transaction may be open while this talks to clamd (docs/architecture.md).
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 64 * 1024
RESPONSE_LIMIT = 4096


class ScannerUnavailable(Exception):
    """clamd could not be reached or did not answer: the file waits and is scanned again."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str | None = None  # what clamd found, when it found something


@dataclass(frozen=True)
class Clamd:
    """``address``: the path of clamd's Unix socket, or ``tcp://host:port``."""

    address: str
    timeout: float = 60.0

    def _connect(self) -> socket.socket:
        if self.address.startswith("tcp://"):
            host, _, port = self.address.removeprefix("tcp://").rpartition(":")
            connection = socket.create_connection((host, int(port)), timeout=self.timeout)
        else:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(self.timeout)
            connection.connect(self.address)
        return connection

    def ping(self) -> bool:
        try:
            return self._command(b"zPING\0", None) == "PONG"
        except ScannerUnavailable:
            return False

    def version(self) -> str:
        return self._command(b"zVERSION\0", None)

    def scan_file(self, path: Path) -> Verdict:
        with path.open("rb") as stream:
            return self.scan(stream)

    def scan(self, stream: BinaryIO) -> Verdict:
        answer = self._command(b"zINSTREAM\0", stream)
        # « stream: OK », « stream: Eicar-Signature FOUND », or « … ERROR ».
        result = answer.removeprefix("stream:").strip()
        if result == "OK":
            return Verdict(clean=True)
        if result.endswith(" FOUND"):
            return Verdict(clean=False, signature=result.removesuffix(" FOUND").strip())
        raise ScannerUnavailable(f"clamd: {result[:200]}")

    def _command(self, command: bytes, stream: BinaryIO | None) -> str:
        try:
            with self._connect() as connection:
                connection.sendall(command)
                if stream is not None:
                    while chunk := stream.read(CHUNK):
                        connection.sendall(struct.pack("!L", len(chunk)) + chunk)
                    connection.sendall(struct.pack("!L", 0))
                return _read_answer(connection)
        except OSError as error:  # refused, socket absent, timed out, reset (size limit)
            raise ScannerUnavailable(f"clamd unreachable ({type(error).__name__})") from error


def _read_answer(connection: socket.socket) -> str:
    received = b""
    while not received.endswith(b"\0") and len(received) < RESPONSE_LIMIT:
        chunk = connection.recv(RESPONSE_LIMIT)
        if not chunk:
            break
        received += chunk
    if not received:
        raise ScannerUnavailable("clamd closed the connection without an answer")
    return received.rstrip(b"\0").decode("utf-8", "replace").strip()


def scanner_from(config: dict) -> Clamd | None:
    """The configured scanner, or None when scanning is switched off (the demo)."""
    if config["SCANNING"] == "off":
        return None
    return Clamd(config["CLAMD_SOCKET"], float(config["CLAMD_TIMEOUT_SECONDS"]))


def scanning_problem(config: dict) -> str | None:
    """For ``casework check``: why the configuration is not fit for real files, or None.

    Scanning off is the demo's explicit setting, and only the demo's."""
    if config["SCANNING"] == "off" and not config.get("DEMO"):
        return (
            "l'analyse antivirus des documents est désactivée (CASEWORK_SCANNING=off) : "
            "réservé à la démonstration"
        )
    scanner = scanner_from(config)
    if scanner is not None and not scanner.ping():
        return f"clamd ne répond pas sur {scanner.address} (les documents resteront en attente d'analyse)"
    return None
