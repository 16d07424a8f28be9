"""Load under gunicorn, on loopback:

    python -m bench.load --cases 200000                     # caseload vs bare page (wrk)
    python -m bench.load --cases 200000 --writers 20 --minutes 10   # concurrent writes

The first compares the requests per second of the signed-in caseload page (``/dossiers/``) and of
the lightest signed-in page with a bare Flask page that runs one raw SQL query and renders a
template (``/bare/``), in alternating runs of the bare page and each page against the same
gunicorn, with wrk; any response other than 200 is an error. The second
signs in 20 agents who, each in a thread, record journal entries on their cases and read the
case page again, for the given time; the server's log is then searched for « database is
locked » and every response is checked.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from datetime import datetime
from pathlib import Path

from bench.generate import LOCAL, PASSWORD, database_url_for

WORKDIR = Path("/tmp/bench-i9")
STATUS_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("NON200 %d\\n", total))
end
"""


class Browser:
    """A signed-in visitor over http.client, with its session cookie."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text

    def csrf(self, path: str) -> str:
        _status, html = self.request("GET", path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def sign_in(self, username: str) -> None:
        token = self.csrf("/connexion")
        status, _ = self.request(
            "POST", "/connexion", {"username": username, "password": PASSWORD, "csrf_token": token}
        )
        if status != 302:
            raise RuntimeError(f"{username} could not sign in ({status})")


def start_server(url: str, port: int, workers: int, threads: int, log: Path):
    env = dict(
        os.environ,
        BENCH_DATABASE_URL=url,
        CASEWORK_INSTANCE_PATH=str(WORKDIR / "instance"),
        CASEWORK_SECRET_KEY="bench-load-secret-key-not-for-production",
    )
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    command = [
        gunicorn,
        "bench.wsgi:app",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(threads),
        "--error-logfile", str(log),
        "--capture-output",
        "--log-level", "info",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parent.parent)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status in (200, 503):
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def wrk(port: int, path: str, cookie: str | None, seconds: int, connections: int) -> dict:
    script = WORKDIR / "status.lua"
    script.write_text(STATUS_SCRIPT)
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Socket errors: (.*)", output)
    non200 = int(re.search(r"NON200 (\d+)", output).group(1))
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", output)
    return {
        "path": path,
        "requests_per_second": rate,
        "non_200": non200,
        "socket_errors": errors.group(1) if errors else "none",
        "latency_avg": latency.group(1) if latency else "?",
        "raw": output,
    }


PAGES = {
    "caseload": "/dossiers/",
    # The application's floor: its lightest signed-in page (session, guards, a form, the layout),
    # to tell what any page costs from what the caseload adds.
    "signed-in floor": "/compte/mot-de-passe",
}


def compare(port: int, seconds: int, connections: int, rounds: int = 4) -> dict:
    """Each page's requests per second, and its share of the bare page's, measured in
    ``rounds`` alternations of the bare page and the page, ``seconds`` each: the share is the
    page's requests over the bare page's in those rounds. The machine's speed drifts by a third
    within a minute (the same bare page gave 490 to 1,330 requests a second in runs minutes
    apart), so a page is compared with bare runs interleaved with its own rather than with
    one run before and one after. The machine also stalls: one run of the eight at half speed
    moves the share by ten points. So each round's own share (the page's run over the bare run
    just before it) is reported too, with their median, which a stall in one run does not
    move."""
    browser = Browser(port)
    browser.sign_in("bench.agent.001")
    cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    wrk(port, "/bare/", None, 3, connections)  # warm-up
    for path in PAGES.values():
        wrk(port, path, cookie, 3, connections)
    result: dict = {"bare": []}
    for name, path in PAGES.items():
        bare_runs, page_runs = [], []
        for _ in range(rounds):
            bare_runs.append(wrk(port, "/bare/", None, seconds, connections))
            page_runs.append(wrk(port, path, cookie, seconds, connections))
        result["bare"].extend(bare_runs)
        result[name] = _pooled(page_runs)
        result[name]["bare"] = _pooled(bare_runs)
        result[name]["share"] = (
            result[name]["requests_per_second"] / result[name]["bare"]["requests_per_second"]
        )
        shares = [
            page["requests_per_second"] / bare["requests_per_second"]
            for bare, page in zip(bare_runs, page_runs, strict=True)
        ]
        result[name]["round_shares"] = shares
        result[name]["median_share"] = statistics.median(shares)
        result[name]["bare_spread"] = bare_spread(bare_runs)
    return result


# The bare page's rounds within one comparison may differ by this much and the run still count:
# the page's share moves with the bare page's speed, and a 25 % swing between rounds moves a
# 60 % share by about ten points, more than a target's margin.
STEADY_SPREAD = 1.25


def bare_spread(bare_runs: list[dict]) -> float:
    """The fastest of the bare page's rounds over the slowest: 1.0 on a steady machine."""
    rates = [run["requests_per_second"] for run in bare_runs]
    return max(rates) / min(rates) if min(rates) > 0 else float("inf")


def steadiness(name: str, spread: float) -> str:
    """Whether a comparison's machine was steady enough for its share to settle a target."""
    if spread <= STEADY_SPREAD:
        return f"{name:<15} steady: the bare page's rounds within {spread - 1:.0%} of each other"
    return (
        f"{name:<15} NOT STEADY: the bare page's fastest round was {spread:.2f} times its"
        f" slowest (at most {STEADY_SPREAD} counts); this run cannot settle the share"
    )


def _pooled(runs: list[dict]) -> dict:
    """Runs of equal length as one: their mean rate, their non-200s added up."""
    errors = [run["socket_errors"] for run in runs if run["socket_errors"] != "none"]
    return {
        "path": runs[0]["path"],
        "requests_per_second": sum(run["requests_per_second"] for run in runs) / len(runs),
        "non_200": sum(run["non_200"] for run in runs),
        "socket_errors": "; ".join(errors) or "none",
        "latency_avg": runs[-1]["latency_avg"],
        "rates": [round(run["requests_per_second"], 1) for run in runs],
    }


def agent_cases(url: str, usernames: list[str]) -> dict[str, list[int]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        result = {
            name: list(
                connection.execute(
                    text(
                        "SELECT c.id FROM cases c JOIN users u ON u.id = c.agent_id "
                        "WHERE u.username = :u AND c.status != 'closed' ORDER BY c.id DESC LIMIT 10"
                    ),
                    {"u": name},
                ).scalars()
            )
            for name in usernames
        }
    engine.dispose()
    return result


def writers(port: int, url: str, count: int, seconds: float) -> dict:
    names = [f"bench.agent.{n:03d}" for n in range(1, count + 1)]
    cases = agent_cases(url, names)
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    deadline = time.time() + seconds

    def agent(name: str) -> None:
        browser = Browser(port)
        browser.sign_in(name)
        number = 0
        while time.time() < deadline:
            case_id = cases[name][number % len(cases[name])]
            number += 1
            try:
                token = browser.csrf(f"/dossiers/{case_id}/suivi")
                posted, _ = browser.request(
                    "POST",
                    f"/dossiers/{case_id}/suivi",
                    {
                        "csrf_token": token,
                        "kind": "phone",
                        "occurred_at": datetime.now(LOCAL).strftime("%Y-%m-%dT%H:%M"),
                        "duration_minutes": "10",
                        "mode": "phone",
                        "summary": f"Appel de suivi (charge) {number}",
                    },
                )
                read, _ = browser.request("GET", f"/dossiers/{case_id}")
                outcome = [f"POST {posted}", f"GET {read}"]
            except OSError as error:
                outcome = [f"connection error {error.__class__.__name__}"]
            with lock:
                statuses.update(outcome)

    threads = [threading.Thread(target=agent, args=(name,)) for name in names]
    started = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.time() - started
    writes = statuses.get("POST 302", 0)
    return {
        "agents": count,
        "seconds": round(elapsed, 1),
        "responses": dict(statuses),
        "writes_per_second": round(writes / elapsed, 1),
    }


def _line(name: str, run: dict) -> str:
    return (
        f"{name:<15} {run['requests_per_second']:8.1f} req/s  latency avg {run['latency_avg']:>8}"
        f"  non-200 {run['non_200']}  socket errors {run['socket_errors']}"
    )


def migrate(url: str) -> None:
    """The tree's migrations applied to the benchmark database first, as ``bench.run`` does:
    the workers would otherwise answer 500 for a table the code reads and the file lacks."""
    from bench.generate import bench_app
    from casework.extensions import db
    from casework.setup import upgrade_schema

    app = bench_app(url)
    with app.app_context():
        upgrade_schema()
        db.session.remove()
        db.engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Load test under gunicorn")
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--port", type=int, default=8919)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=5, help="each wrk run")
    parser.add_argument("--rounds", type=int, default=4, help="bare/page alternations per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--writers", type=int, default=0, help="concurrent writing agents")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long they write")
    args = parser.parse_args(argv)
    url = database_url_for("sqlite", args.cases)
    log = WORKDIR / f"gunicorn-{args.port}.log"
    log.unlink(missing_ok=True)
    migrate(url)
    server = start_server(url, args.port, args.workers, args.threads, log)
    try:
        if args.writers:
            result = writers(args.port, url, args.writers, args.minutes * 60)
            print(result)
        else:
            result = compare(args.port, args.seconds, args.connections, args.rounds)
            for name in PAGES:
                bare = result[name]["bare"]
                print(_line(f"bare ({name})", bare) + f"  runs {bare['rates']}")
                print(
                    f"{_line(name, result[name])}  runs {result[name]['rates']}"
                    f"  {result[name]['share']:.1%} of the bare page"
                )
                rounds = ", ".join(f"{share:.1%}" for share in result[name]["round_shares"])
                print(
                    f"{name:<15} share per round {rounds}; median"
                    f" {result[name]['median_share']:.1%}"
                )
                print(steadiness(name, result[name]["bare_spread"]))
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text(errors="replace")
    locked = text.count("database is locked")
    server_errors = len(re.findall(r"error 5\d\d on", text))
    print(f"server log: « database is locked » {locked} times, {server_errors} 5xx errors ({log})")
    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; cpus: {os.cpu_count()}")


if __name__ == "__main__":
    main()
