"""The scheduler as a process beside another command (``casework demo``), never inside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SECONDS = 15
# Asked to stop otherwise than by Ctrl+C: ``kill``, the terminal closed. Their default action
# would end this process at once and leave the scheduler running without it.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def scheduler_beside() -> Iterator[subprocess.Popen]:
    """``casework scheduler`` in a child process with this process's environment (same database,
    same settings); stopped when the block ends, however it ends (Ctrl+C included, and SIGTERM
    or SIGHUP, which interrupt the block as Ctrl+C does unless this process ignores them)."""
    previous = {
        number: signal.signal(number, _interrupt)
        for number in STOP_SIGNALS
        if signal.getsignal(number) is not signal.SIG_IGN  # under nohup, SIGHUP stays ignored
    }
    process = None
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "casework.cli", "scheduler"], env=dict(os.environ)
        )
        yield process
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if process is not None:
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
