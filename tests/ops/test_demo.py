"""``casework demo`` runs the whole product (issue 14, point 9): the web server, and the
scheduler in a second process; Ctrl+C stops both, and so does SIGTERM (``kill``; SIGHUP, the
terminal closed, takes the same path): the scheduler never outlives the demo."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.core.test_cli import CASEWORK
from tests.mailsink import free_port

pytestmark = pytest.mark.no_transaction


def healthz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return json.load(response)
    except OSError:
        return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _as_typed_in_a_terminal() -> None:
    # A command typed in a terminal gets Ctrl+C. A runner started in the background (`&`,
    # nohup) hands SIGINT down ignored, and the demo would rightly ignore it too: the test then
    # failed whenever the suite itself was started that way.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("stop_with", "whole_group"),
    [
        (signal.SIGINT, False),
        (signal.SIGINT, True),
        (signal.SIGTERM, False),
        (signal.SIGTERM, True),
    ],
    # « group »: the demo and its scheduler both signalled (Ctrl+C in a terminal, kill -- -PGID,
    # systemd's control-group stop), then the demo stops its scheduler: a second signal.
    ids=["ctrl_c", "ctrl_c_in_a_terminal", "sigterm", "sigterm_to_the_group"],
)
def test_demo_serves_with_its_scheduler_and_ctrl_c_or_sigterm_stops_both(
    tmp_path, stop_with, whole_group
):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    env["CASEWORK_INSTANCE_PATH"] = str(tmp_path)
    output = tmp_path / "demo.log"
    with output.open("w") as log:
        demo = subprocess.Popen(
            [
                CASEWORK,
                "demo",
                "--cases",
                "0",
                "--port",
                str(port),
                "--password",
                "Demo-mot-de-passe-2026",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=whole_group,
            preexec_fn=_as_typed_in_a_terminal,
        )
        try:
            deadline = time.monotonic() + 120
            health = None
            while time.monotonic() < deadline:
                health = healthz(port)
                if health and health["scheduler"]["status"] == "ok":
                    break
                time.sleep(0.5)
            assert health and health["scheduler"]["status"] == "ok", output.read_text()[-2000:]
            text = output.read_text()
            assert "Mot de passe : Demo-mot-de-passe-2026" in text
            scheduler_pid = int(re.search(r"Planificateur : processus (\d+)", text).group(1))
            assert scheduler_pid != demo.pid and alive(scheduler_pid)
            if whole_group:
                os.killpg(demo.pid, stop_with)
            else:
                demo.send_signal(stop_with)
            demo.wait(30)
        finally:
            if demo.poll() is None:
                demo.kill()
    assert healthz(port) is None
    deadline = time.monotonic() + 10
    while alive(scheduler_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    outlived = alive(scheduler_pid)
    if outlived:
        os.kill(scheduler_pid, signal.SIGKILL)
    assert not outlived, "the scheduler outlived the demo"
    stopped = output.read_text()
    assert "Arrêt du serveur et du planificateur." in stopped
    assert "Traceback" not in stopped, stopped[-2000:]


def test_the_scheduler_stops_once_so_a_second_signal_cannot_break_its_shutdown():
    """Stopped as a group, the scheduler hears Ctrl+C (or SIGTERM) and then the demo's SIGTERM;
    the second, raised while the scheduler's threads were being joined at exit, cut the running
    job short with a traceback. After the first, both signals do nothing while it stops."""
    from casework.cli import _already_stopping, _stop_once

    before = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        for first in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal.SIGTERM, _stop_once)
            signal.signal(signal.SIGINT, _stop_once)
            with pytest.raises(SystemExit):
                _stop_once(first, None)
            assert signal.getsignal(signal.SIGTERM) is _already_stopping
            assert signal.getsignal(signal.SIGINT) is _already_stopping
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
