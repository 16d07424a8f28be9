"""The load test's shares (bench/load.py): pooled over the rounds, and per round with their
median, which a stall in one run does not move; and the instruction counts' arithmetic
(bench/instructions.py). Neither wrk nor valgrind is run here."""

from __future__ import annotations

import pytest

from bench import load


def test_a_stalled_run_moves_the_pooled_share_not_the_median(monkeypatch):
    rates = {"/bare/": iter([1000.0, 1000.0, 500.0, 1000.0, 1000.0]), "/dossiers/": iter([])}
    page_rates = iter([300.0, 300.0, 300.0, 300.0, 300.0])

    def fake_wrk(_port, path, _cookie, _seconds, _connections):
        rate = next(rates[path]) if path == "/bare/" else next(page_rates)
        return {"path": path, "requests_per_second": rate, "non_200": 0,
                "socket_errors": "none", "latency_avg": "1ms"}  # fmt: skip

    monkeypatch.setattr(load, "wrk", fake_wrk)
    monkeypatch.setattr(load.Browser, "sign_in", lambda self, _name: None)
    monkeypatch.setattr(load, "PAGES", {"caseload": "/dossiers/"})
    result = load.compare(port=1, seconds=1, connections=1, rounds=4)["caseload"]
    # Warm-up: one bare run and one page run first; then bare 1000, 500, 1000, 1000.
    assert result["round_shares"] == pytest.approx([0.3, 0.6, 0.3, 0.3])
    assert result["median_share"] == pytest.approx(0.3)
    assert result["share"] == pytest.approx(300 / 875)


def test_instructions_per_request_leave_the_start_up_out(monkeypatch):
    from bench import instructions

    counts = {20: 1_000_000_000 + 20 * 8_000_000, 70: 1_000_000_000 + 70 * 8_000_000}

    def fake_run(command, **_kwargs):
        requests = int(command[command.index("--few") + 1])

        class Finished:
            returncode = 0
            stderr = f"==1== Collected : {counts[requests]}\n"

        return Finished()

    monkeypatch.setattr(instructions.subprocess, "run", fake_run)
    assert instructions.per_request(10_000, "/dossiers/", 20, 70) == 8_000_000


def test_a_child_that_fails_under_valgrind_says_why(monkeypatch):
    from bench import instructions

    class Failed:
        returncode = 1
        stderr = "sqlite3.OperationalError: database is locked\n"

    monkeypatch.setattr(instructions.subprocess, "run", lambda *_args, **_kwargs: Failed())
    with pytest.raises(SystemExit, match="database is locked"):
        instructions.count_instructions(10_000, "/dossiers/", 20)


def test_a_run_whose_bare_page_swings_is_not_steady():
    runs = [{"requests_per_second": rate} for rate in (1000.0, 950.0, 1020.0, 990.0)]
    assert load.bare_spread(runs) == pytest.approx(1020 / 950)
    assert "steady:" in load.steadiness("caseload", load.bare_spread(runs))
    runs.append({"requests_per_second": 374.7})  # a stalled round, as measured in stop 33
    assert "NOT STEADY" in load.steadiness("caseload", load.bare_spread(runs))
    assert load.bare_spread([{"requests_per_second": 0.0}]) == float("inf")
