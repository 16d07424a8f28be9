"""The scheduler as a process beside another command (``casework demo``), never inside it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SECONDS = 15


@contextmanager
def scheduler_beside() -> Iterator[subprocess.Popen]:
    """``casework scheduler`` in a child process with this process's environment (same database,
    same settings); stopped when the block ends, however it ends (Ctrl+C included)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "casework.cli", "scheduler"], env=dict(os.environ)
    )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM (the scheduler lets its running job finish), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
