"""The quick regression check (issue 23): each key page's CPU time as a multiple of the bare page
timed in the same process, compared with ``bench/baseline.json``.

    python -m bench.run --quick                    # exits 1 when a page is > 30 % worse
    python -m bench.run --quick --write-baseline   # after a deliberate change, commit the file

Ratios rather than milliseconds, because this machine's speed varies by up to a third between
identical runs: the bare page slows down with it. Not run in CI (timing is noisy); run it before
you stop when you changed a page (docs/performance.md).
"""

from __future__ import annotations

import json
import os
import statistics
import time as clock
from pathlib import Path

from bench.bare import bare_app
from bench.generate import bench_app, database_url_for
from bench.run import measure_pages
from casework.core.runtime import settle_heap

QUICK_CASES = 10_000
BASELINE = Path(__file__).with_name("baseline.json")


class BarePage:
    """The bare page, timed once before each timed request of a key page: each page's ratio
    compares it with the bare requests made at the same moments."""

    def __init__(self, database_url: str) -> None:
        self.client = bare_app(database_url).test_client()
        self.samples: list[float] = []
        for _ in range(30):
            self.client.get("/")

    def __call__(self) -> None:
        started = clock.process_time()
        response = self.client.get("/")
        self.samples.append((clock.process_time() - started) * 1000)
        assert response.status_code == 200

    def take(self) -> list[float]:
        samples, self.samples = self.samples, []
        return samples


def lower_quartile(samples: list[float]) -> float:
    # The lower quartile rather than the median: other work on the machine only adds time.
    return statistics.quantiles(samples, n=4, method="inclusive")[0]


def ensure_database(url: str) -> None:
    if not os.path.exists(url.removeprefix("sqlite:///")):
        from bench import generate

        generate.main(["--cases", str(QUICK_CASES), "--engine", "sqlite", "--database-url", url])


def measure(url: str, runs: int, only: str | None = None) -> tuple[dict[str, float], float]:
    """Each key page's CPU time over the bare page's, and the bare page's CPU time (ms)."""
    bare = BarePage(url)
    app = bench_app(url)
    settle_heap()  # as `casework serve` does before its first request
    current: dict[str, float] = {}
    bare_all: list[float] = []

    results = measure_pages(app, QUICK_CASES, runs=runs, warmup=3, only=only, alongside=bare)
    # Pages are measured one after the other: the bare samples are split the same way.
    samples = bare.take()
    offset = 0
    for result in results:
        count = len(result.cpu_samples)
        if not count:
            continue
        paired = samples[offset : offset + count]
        offset += count
        bare_all.extend(paired)
        current[result.page] = round(lower_quartile(result.cpu_samples) / lower_quartile(paired), 2)
    return current, lower_quartile(bare_all)


def compare(current: dict[str, float], baseline: dict[str, float], tolerance: float) -> list[str]:
    """The pages more than ``tolerance`` worse than their baseline ratio."""
    return [
        page
        for page, ratio in current.items()
        if page in baseline and ratio > baseline[page] * (1 + tolerance)
    ]


def report(current: dict[str, float], baseline: dict[str, float], worse: list[str]) -> str:
    lines = [f"{'page':<42} {'ratio':>7} {'baseline':>9} {'change':>8}"]
    for page, ratio in current.items():
        before = baseline.get(page)
        change = f"{ratio / before - 1:+.0%}" if before else "new"
        flag = "  WORSE" if page in worse else ""
        shown = f"{before:.2f}" if before else "—"
        lines.append(f"{page:<42} {ratio:>7.2f} {shown:>9} {change:>8}{flag}")
    return "\n".join(lines)


def run(
    write_baseline: bool = False, tolerance: float = 0.30, runs: int = 30, only: str | None = None
) -> int:
    """Measure, report, and return the exit status: 1 when a page is more than ``tolerance``
    worse than its baseline ratio. ``only`` limits the run to pages whose name contains it."""
    started = clock.perf_counter()
    url = database_url_for("sqlite", QUICK_CASES)
    ensure_database(url)
    current, bare_ms = measure(url, runs, only)
    baseline = json.loads(BASELINE.read_text())["ratios"] if BASELINE.exists() else {}
    worse = [] if write_baseline else compare(current, baseline, tolerance)
    print(f"bare page: {bare_ms:.2f} ms CPU (lower quartile)")
    print(report(current, baseline, worse))
    if write_baseline:
        write(dict(baseline, **current), bare_ms)
    print(f"took {clock.perf_counter() - started:.0f} s")
    if worse:
        names = ", ".join(worse)
        print(f"{len(worse)} page(s) more than {tolerance:.0%} worse than the baseline: {names}")
        return 1
    return 0


def write(ratios: dict[str, float], bare_ms: float) -> None:
    document = {"cases": QUICK_CASES, "bare_cpu_ms": round(bare_ms, 3), "ratios": ratios}
    BASELINE.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"baseline written: {BASELINE}")
