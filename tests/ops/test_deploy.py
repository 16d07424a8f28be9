"""The files under deploy/ (issue 14, point 7), checked as far as this machine can: systemd
units, nginx, logrotate and PostgreSQL settings parsed by their own tools when installed, and
every command and setting they name known to casework."""

from __future__ import annotations

import configparser
import http.cookiejar
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from casework.cli import cli
from casework.config import PROJECT_ROOT
from tests.core.test_cli import CASEWORK, run
from tests.helpers import csrf_from
from tests.mailsink import free_port
from tests.reminders.test_crash import wait_for

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
README = (PROJECT_ROOT / "README.md").read_text()
CONFIG = (PROJECT_ROOT / "casework" / "config.py").read_text()


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


def test_every_setting_of_the_environment_file_is_one_casework_reads_and_documents():
    names = re.findall(r"^(CASEWORK_[A-Z_]+)=", (DEPLOY / "casework.env.example").read_text(), re.M)
    assert "CASEWORK_TRUSTED_PROXIES" in names and "CASEWORK_SECURE_COOKIES" in names
    for name in names:
        assert f'"{name}"' in CONFIG, f"{name} is not read by casework/config.py"
        # The README may shorten a family of settings: `CASEWORK_SMTP_HOST`, `_PORT`, …
        shortened = "`_" + name.rsplit("_", 1)[-1] + "`"
        assert name in README or shortened in README, f"{name} is not in the README"


@pytest.mark.parametrize("path", UNITS, ids=[path.name for path in UNITS])
def test_each_unit_runs_a_real_casework_command(path):
    service = unit(path)["Service"]
    program, subcommand, *options = shlex.split(service["ExecStart"])
    assert program.endswith("/bin/casework")
    command = cli.commands[subcommand]
    command.make_context(subcommand, list(options))  # the options exist and parse
    assert service["EnvironmentFile"] == "/etc/casework/casework.env"
    assert service["User"] == "casework" and service["UMask"] == "0077"
    assert unit(path)["Install"]["WantedBy"] == "multi-user.target"


def test_units_pass_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    casework = shutil.which("casework") or str(
        Path(__import__("sys").executable).with_name("casework")
    )
    for path in UNITS:
        # The paths of an installed machine, pointed at this checkout.
        body = path.read_text().replace("/opt/casework/.venv/bin/casework", casework)
        (tmp_path / path.name).write_text(body.replace("/opt/casework", str(PROJECT_ROOT)))
    result = subprocess.run(
        ["systemd-analyze", "verify", *[str(tmp_path / p.name) for p in UNITS]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_nginx_site_passes_nginx_t(tmp_path):
    if shutil.which("nginx") is None or shutil.which("openssl") is None:
        pytest.skip("nginx (or openssl) is not installed")
    (tmp_path / "logs").mkdir()
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=casework.test",
            "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    site = (DEPLOY / "nginx" / "casework.conf").read_text()
    site = site.replace("/etc/ssl/casework", str(tmp_path)).replace(
        "/var/log/nginx", str(tmp_path / "logs")
    )
    (tmp_path / "casework.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/casework.conf;\n}}\n"
    )
    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "X-Forwarded-For $remote_addr" in site  # set, never appended


def test_the_logrotate_file_passes_logrotate_d(tmp_path):
    if shutil.which("logrotate") is None:
        pytest.skip("logrotate is not installed")
    body = (DEPLOY / "logrotate" / "casework").read_text().replace("casework casework", "root root")
    (tmp_path / "casework").write_text(body)
    result = subprocess.run(
        ["logrotate", "-d", "-s", str(tmp_path / "status"), str(tmp_path / "casework")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "error" not in result.stderr.lower(), result.stderr


def test_every_postgresql_setting_exists(app, ctx):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL's own list of settings")
    from casework.extensions import db

    lines = (DEPLOY / "postgresql" / "casework.conf").read_text().splitlines()
    names = [
        line.split("=")[0].strip() for line in lines if "=" in line and not line.startswith("#")
    ]
    known = set(db.session.scalars(text("SELECT name FROM pg_settings")))
    assert names and set(names) <= known, set(names) - known


def test_the_readme_says_each_thing_once():
    """Issue 18, point 10: no setting row twice (the SMTP row was), no paragraph repeated (one
    under « Documentation » was), each document listed once."""
    rows = re.findall(r"^\| (`[^|]+`) \|", README, re.M)
    assert len(rows) == len(set(rows)), sorted(r for r in rows if rows.count(r) > 1)
    assert sum("CASEWORK_SMTP_HOST" in row for row in rows) == 1
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", README) if len(p.strip()) > 40]
    assert len(paragraphs) == len(set(paragraphs))
    documentation = README.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    links = re.findall(r"\]\((docs/[^)#]+|CHANGELOG\.md)\)", documentation)
    assert links and len(links) == len(set(links))


def test_casework_serve_behind_nginx_sees_the_client_not_the_proxy(tmp_path):
    """The real server (waitress), as the units run it behind deploy/nginx with
    CASEWORK_TRUSTED_PROXIES=1: the client's address set by nginx in X-Forwarded-For reaches the
    application (sign-in throttling and the audit trail), and /metrics asked through the proxy
    without the token is refused. waitress drops that header unless told not to: every client
    was then nginx's 127.0.0.1."""
    assert run(tmp_path, "init").returncode == 0
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASEWORK_")}
    env.update(CASEWORK_INSTANCE_PATH=str(tmp_path), CASEWORK_TRUSTED_PROXIES="1")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client = {"X-Forwarded-For": "203.0.113.7"}  # as nginx sets it: the client's address
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def status(path: str, headers: dict, data: dict | None = None) -> int:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with opener.open(urllib.request.Request(base + path, body, headers), timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    with (tmp_path / "serve.log").open("w") as log:
        server = subprocess.Popen(
            [CASEWORK, "serve", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            assert wait_for(lambda: status("/healthz", {}) == 200, timeout=60, step=0.3)
            proxied_metrics = status("/metrics", client)
            local_metrics = status("/metrics", {})  # Prometheus on the machine itself
            with opener.open(urllib.request.Request(base + "/connexion", headers=client)) as page:
                token = csrf_from(page.read().decode())
            signed_in = status(
                "/connexion",
                client,
                {"username": "personne", "password": "pas le bon", "csrf_token": token},
            )
        finally:
            server.terminate()
            server.wait(30)
    assert (proxied_metrics, local_metrics, signed_in) == (403, 200, 401)
    with sqlite3.connect(tmp_path / "casework.sqlite3") as connection:
        addresses = connection.execute("SELECT remote_addr FROM login_attempts").fetchall()
    assert addresses == [("203.0.113.7",)]
