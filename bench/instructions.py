"""Instructions per request under callgrind: the load test's two pages and the bare page, counted
rather than timed (issue 23).

    python -m bench.instructions                    # 10,000 cases; Debian's valgrind
    python -m bench.instructions --cases 200000 --page /dossiers/

The load test's shares move by ten points from one run to the next on a shared machine (a stall
in one run of eight); an instruction count is the same from one run to the next whatever else the
machine does. Each page is requested ``--few`` then ``--many`` times after a warm-up, each in its
own process under ``valgrind --tool=callgrind``; the difference, divided by the difference in
requests, is the page's count without the start-up. It counts what the code does in one process,
not what concurrency costs (waiting for SQLite's write lock, caches shared by four workers): the
load test still says that. Slow (about a minute per process): not in CI, not in ``--quick``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.generate import database_url_for

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/compte/mot-de-passe", "/dossiers/")


def child(cases: int, path: str, count: int) -> None:
    """Runs under valgrind: a warm-up, then ``count`` requests of ``path`` (``bare``: the bare
    page) as an agent."""
    from bench.bare import bare_app
    from bench.generate import bench_app
    from bench.run import USERS, sign_in
    from casework.core.db import wait_longer_for_locks
    from casework.core.runtime import settle_heap
    from casework.extensions import db

    url = database_url_for("sqlite", cases)
    if path == "bare":
        client, path = bare_app(url).test_client(), "/"
    else:
        app = bench_app(url)
        with app.app_context():
            # Both children of a page sign the same agent in at once, fifty times slower under
            # valgrind than outside it: one waits for the other's write longer than a person's
            # request would.
            wait_longer_for_locks(db.engine)
        client = sign_in(app, USERS["agent"])
    settle_heap()
    for _ in range(10):
        assert client.get(path).status_code == 200, path
    for _ in range(count):
        client.get(path)


def count_instructions(cases: int, path: str, requests: int) -> int:
    with tempfile.TemporaryDirectory() as directory:
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={directory}/out",
            sys.executable, "-m", "bench.instructions", "--child", path,
            "--cases", str(cases), "--few", str(requests),
        ]  # fmt: skip
        # The same hash seed in every child: set and dict orders, hence counts, do not vary.
        environment = dict(os.environ, PYTHONHASHSEED="0")
        output = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    if output.returncode != 0:
        raise SystemExit(f"{path} under valgrind failed:\n{output.stderr[-3000:]}")
    return int(re.search(r"Collected : (\d+)", output.stderr).group(1))


def per_request(cases: int, path: str, few: int, many: int) -> float:
    # The two processes side by side (one per core): counts do not depend on the other's load.
    with ThreadPoolExecutor(max_workers=2) as pool:
        fewer, more = pool.map(lambda n: count_instructions(cases, path, n), (few, many))
    return (more - fewer) / (many - few)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Instructions per request under callgrind")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--page", action="append", help="repeatable; default the load test's")
    parser.add_argument("--few", type=int, default=20)
    parser.add_argument("--many", type=int, default=70)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.cases, args.child, args.few)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    bare = per_request(args.cases, "bare", args.few, args.many)
    print(f"{'bare page':<28} {bare / 1e6:8.2f} M instructions a request")
    for path in args.page or PAGES:
        page = per_request(args.cases, path, args.few, args.many)
        print(
            f"{path:<28} {page / 1e6:8.2f} M instructions a request,"
            f" {page / bare:.2f} × the bare page ({bare / page:.1%})"
        )


if __name__ == "__main__":
    main()
