"""A real ClamAV daemon for the tests: Debian's ``clamd`` (package ``clamav-daemon``), started on a
Unix socket in a temporary folder with a signature database of one signature, the EICAR test
file's (signatures cannot be downloaded here, and the tests need no other).

Locally a machine without clamd skips the tests that need it, saying why; in CI (``CI`` set) a
missing clamd is a failure (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"
# The EICAR anti-virus test file: harmless, and recognised by every scanner as a « virus ».
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE_NAME = "Casework-EICAR-Test"
# clamd reports signatures from a local database with this suffix.
SIGNATURE = f"{SIGNATURE_NAME}.UNOFFICIAL"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@dataclass
class ClamdProcess:
    folder: Path
    socket: str
    process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        log = (self.folder / "clamd.log").open("ab")
        self.process = subprocess.Popen(
            [CLAMD, "--config-file", str(self.folder / "clamd.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        from casework.attachments.scanner import Clamd

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"clamd exited: {(self.folder / 'clamd.log').read_text()[-2000:]}"
                )
            if Clamd(self.socket, 2).ping():
                return
            time.sleep(0.1)
        raise RuntimeError("clamd did not answer in time")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        Path(self.socket).unlink(missing_ok=True)


def prepare(folder: Path) -> ClamdProcess:
    database = folder / "db"
    database.mkdir(parents=True, exist_ok=True)
    # A body signature (.ndb): name, target any (0), anywhere in the file (*), the bytes in hex.
    (database / "casework-test.ndb").write_text(f"{SIGNATURE_NAME}:0:*:{EICAR.hex()}\n")
    socket = str(folder / "clamd.sock")
    (folder / "clamd.conf").write_text(
        "\n".join(
            [
                f"LocalSocket {socket}",
                f"DatabaseDirectory {database}",
                f"TemporaryDirectory {folder}",
                f"PidFile {folder / 'clamd.pid'}",
                "Foreground yes",
                "StreamMaxLength 32M",
                "",
            ]
        )
    )
    return ClamdProcess(folder, socket)


def start_or_skip(folder: Path) -> ClamdProcess:
    if not Path(CLAMD).exists():
        reason = "clamd not found (apt-get install clamav-daemon)"
        if in_ci():
            pytest.fail(f"{reason} (CI: the scanner tests must run)", pytrace=False)
        pytest.skip(reason)
    daemon = prepare(folder)
    daemon.start()
    return daemon
