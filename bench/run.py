"""Key pages' server time and query count, and the dispatcher's throughput.

    python -m bench.run --cases 10000 --cases 200000 --engine sqlite
    python -m bench.run --quick        # the regression check before you stop (bench/quick.py)

Each size needs its database (``python -m bench.generate --cases N``; ``--generate`` makes the
missing ones). Pages are requested in-process through Flask's test client, signed in once per
role as a generated account, with warm-up requests first; the time is the wall time of the
request (routing, guards, queries, rendering, the audit row's commit). A page whose route does
not exist in this tree (404) is reported as « not yet ».
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time as clock
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import pyotp
from sqlalchemy import event, select, text

from bench.generate import PASSWORD, TOTP_SECRET, bench_app, database_url_for
from casework.core.runtime import settle_heap

RESULTS_DIR = "/tmp/bench-i9"


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    path: str  # may hold {case_id}
    method: str = "GET"
    form: dict[str, str] | None = None  # POST body (a CSRF token is added)
    search: str | None = None  # a caseload search term, set in the session first
    cold: bool = False  # forget the dashboard snapshots before each request (untimed)


def airport_form(region_id: int) -> dict[str, str]:
    from casework.core.time import local_today

    return {
        "given_names": "Amina",
        "family_name": "Diallo",
        "date_of_birth": "1994-02-03",
        "arrival_date": local_today().isoformat(),
        "flight_type": "international",
        "immigration_category": "economic",
        "destination_region_id": str(region_id),
        "destination_city": "Montréal",
        "preferred_language": "fr",
        "phone": "514 555-0101",
        "contact_consent": "y",
        "mode": "in_person",
        "step": "search",
    }


def key_pages(region_id: int) -> list[Page]:
    return [
        # The framework floor (issue 23): the lightest signed-in page, the layout and little else.
        Page("lightest signed-in page (password form)", "agent", "/compte/mot-de-passe"),
        Page("caseload (agent)", "agent", "/dossiers/"),
        Page("caseload (supervisor, region)", "supervisor", "/dossiers/"),
        Page("caseload page 2000 (beyond the end)", "agent", "/dossiers/?page=2000"),
        Page("case page", "agent", "/dossiers/{case_id}"),
        Page("assessment", "agent", "/dossiers/{case_id}/evaluation/"),
        Page("plan", "agent", "/dossiers/{case_id}/plan/"),
        Page("advisor queue", "advisor", "/references/"),
        Page("airport slot search", "airport", "/aeroport/", "POST", airport_form(region_id)),
        Page("search: name (agent)", "agent", "/dossiers/", search="diallo"),
        Page("search: name (supervisor)", "supervisor", "/dossiers/", search="tremblay"),
        Page(
            "search: prefix + phone (supervisor)", "supervisor", "/dossiers/", search="am 5550101"
        ),
        Page("search: one letter (supervisor)", "supervisor", "/dossiers/", search="a"),
        Page("home (agent)", "agent", "/"),
        Page("reminders (agent)", "agent", "/rappels/"),
        Page("dashboard (supervisor)", "supervisor", "/rapports/tableau-de-bord"),
        Page(
            "dashboard computed (supervisor)",
            "supervisor",
            "/rapports/tableau-de-bord",
            cold=True,
        ),
        # The action plan's indicators (issue 19): the current year, a directorate's regions
        # for a supervisor, the province for an administrator; read from their snapshot.
        Page("indicators (supervisor)", "supervisor", "/rapports/indicateurs"),
        Page("indicators (admin, province)", "admin", "/rapports/indicateurs"),
        # Kept 15 minutes like the dashboard: the view that computes them, measured apart.
        Page(
            "indicators computed (supervisor)",
            "supervisor",
            "/rapports/indicateurs",
            cold=True,
        ),
        Page("indicators computed (admin, province)", "admin", "/rapports/indicateurs", cold=True),
        # The JSON API (issue 22): a partner's synchronisation, a page of 100 referrals.
        Page("API: partner referrals (100)", "api-partner", "/api/v1/referrals?limit=100"),
    ]


USERS = {
    "agent": "bench.agent.001",
    "supervisor": "bench.supervisor.1",
    "advisor": "bench.advisor.001",
    "airport": "bench.airport.1",
    "partner": "bench.partner.1",
    "admin": "bench.admin.1",
    "api-partner": "api-partner",
}


@dataclass
class Result:
    page: str
    cases: int
    p50_ms: float | None = None
    p95_ms: float | None = None
    cpu_p50_ms: float | None = None
    cpu_p95_ms: float | None = None
    queries: int | None = None
    queries_varied: bool = False
    status: int | None = None
    note: str = ""
    samples: list[float] = field(default_factory=list, repr=False)
    cpu_samples: list[float] = field(default_factory=list, repr=False)


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def api_client(app, username: str):
    """A test client that sends an API token of ``username``'s organisation in every request."""
    from datetime import datetime as moment

    from casework.api import tokens
    from casework.auth.models import User
    from casework.extensions import db
    from casework.reference.models import Organisation

    with app.app_context():
        partner = db.session.scalar(select(User).where(User.username == username))
        issued = tokens.create(
            partner,
            "bench",
            ["referrals:read"],
            moment.now() + timedelta(days=1),
            organisation=db.session.get(Organisation, partner.organisation_id),
            rate_limit=10_000,
        )
        db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issued.secret}"
    return client


def sign_in(app, username: str):
    if username == "api-partner":
        return api_client(app, USERS["partner"])
    client = app.test_client()
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    response = client.post(
        "/connexion", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code == 302 and response.location.endswith("/connexion/code"):
        # Roles that require a second factor: the generated accounts share one TOTP secret.
        response = second_factor(client)
    if response.status_code != 302:
        raise RuntimeError(f"{username} could not sign in ({response.status_code})")
    return client


def second_factor(client):
    """A code is accepted once per time step: a run started within 30 s of the previous one
    offers the next step's code (the server tolerates one step ahead), then waits for a new one."""
    totp = pyotp.TOTP(TOTP_SECRET)
    for attempt in range(3):
        token = csrf_token(client.get("/connexion/code").get_data(as_text=True))
        at = clock.time() + (30 if attempt == 1 else 0)
        response = client.post("/connexion/code", data={"code": totp.at(at), "csrf_token": token})
        if response.status_code == 302:
            return response
        if attempt == 1:
            clock.sleep(30 - clock.time() % 30 + 1)
    return response


def subject(preferred: str) -> tuple[str, int]:
    """The agent whose pages are measured (``preferred`` when possible) and their most recent
    open case with a final plan, so that the case, assessment and plan pages have content."""
    from casework.extensions import db

    rows = db.session.execute(
        text(
            "SELECT u.username, max(c.id) FROM cases c JOIN users u ON u.id = c.agent_id "
            "WHERE c.status != 'closed' "
            "AND EXISTS (SELECT 1 FROM plans p WHERE p.case_id = c.id AND p.status = 'final') "
            "GROUP BY u.username ORDER BY u.username"
        )
    ).all()
    if not rows:
        raise RuntimeError("no open case with a final plan: generate more cases")
    chosen = dict(rows)
    username = preferred if preferred in chosen else rows[0][0]
    return username, chosen[username]


def forget_snapshots(app) -> None:
    """The dashboard as its first viewer gets it when no snapshot is recent enough."""
    from casework.extensions import db

    with app.app_context():
        db.session.execute(text("DELETE FROM dashboard_snapshots"))
        db.session.commit()


def measure_page(
    app, client, page: Page, case_id: int, cases: int, runs: int, warmup: int, alongside=None
):
    """``alongside``, when given, is called before each timed request (bench.quick times the
    bare page there, so that both see the machine in the same state)."""
    from casework.extensions import db

    path = page.path.format(case_id=case_id)
    result = Result(page.name, cases)
    if page.search is not None:
        form_page = client.get("/dossiers/").get_data(as_text=True)
        client.post(
            "/dossiers/recherche", data={"q": page.search, "csrf_token": csrf_token(form_page)}
        )
    form = None
    if page.form is not None:
        form = dict(page.form, csrf_token=csrf_token(client.get(path).get_data(as_text=True)))

    def request():
        if page.method == "POST":
            return client.post(path, data=form)
        return client.get(path)

    first = request()
    result.status = first.status_code
    if first.status_code == 404:
        result.note = "not yet (no such route in this tree)"
        return result
    if first.status_code != 200:
        result.note = f"HTTP {first.status_code}"
        return result
    for _ in range(warmup):
        request()
    with app.app_context():
        engine = db.engine
    counts = []
    cpu = result.cpu_samples
    for _ in range(runs):
        if page.cold:
            forget_snapshots(app)
        if alongside is not None:
            alongside()
        counter = QueryCounter()
        event.listen(engine, "before_cursor_execute", counter)
        started, cpu_started = clock.perf_counter(), clock.process_time()
        response = request()
        elapsed = clock.perf_counter() - started
        cpu.append((clock.process_time() - cpu_started) * 1000)
        event.remove(engine, "before_cursor_execute", counter)
        assert response.status_code == 200, (page.name, response.status_code)
        result.samples.append(elapsed * 1000)
        counts.append(counter.count)
    result.p50_ms = statistics.median(result.samples)
    result.p95_ms = statistics.quantiles(result.samples, n=20, method="inclusive")[18]
    result.cpu_p50_ms = statistics.median(cpu)
    result.cpu_p95_ms = statistics.quantiles(cpu, n=20, method="inclusive")[18]
    # The session's last_seen_at is written at most once a minute: that write is not the page's.
    result.queries = statistics.mode(counts)
    result.queries_varied = len(set(counts)) > 1
    if page.search is not None:
        client.post(
            "/dossiers/recherche",
            data={
                "clear": "1",
                "q": "",
                "csrf_token": csrf_token(client.get("/").get_data(as_text=True)),
            },
        )
    return result


def measure_pages(
    app, cases: int, runs: int, warmup: int, only: str | None = None, alongside=None
) -> list[Result]:
    from casework.extensions import db

    with app.app_context():
        from casework.setup import upgrade_schema

        upgrade_schema()  # the tree's migrations (e.g. new indexes) apply to the database
        agent, case_id = subject(USERS["agent"])
        region_id = db.session.execute(
            text("SELECT region_id FROM users WHERE username = :u"), {"u": agent}
        ).scalar_one()
        db.session.remove()
    clients: dict[str, Any] = {}
    results = []
    for page in key_pages(region_id):
        if only and only not in page.name:
            continue
        if page.role not in clients:
            clients[page.role] = sign_in(app, agent if page.role == "agent" else USERS[page.role])
        client = clients[page.role]
        results.append(
            measure_page(app, client, page, case_id, cases, runs, warmup, alongside=alongside)
        )
    return results


# --- The dispatcher ---------------------------------------------------------------------------


def measure_dispatcher(app, count: int, with_email: bool) -> dict[str, Any]:
    """``count`` reminders due now on open cases, delivered by one ``dispatch`` run; the rows it
    added are deleted afterwards, so the database is left as it was."""
    from casework.extensions import db
    from casework.reminders import tasks
    from casework.reminders.models import Notification, OutboundEmail, Reminder

    prefix = "bench_dispatch:case:"
    with app.app_context():
        from casework.core.time import utcnow

        now = utcnow()
        rule_id = db.session.execute(
            text("SELECT id FROM follow_up_rules WHERE code = 'no_contact_60d'")
        ).scalar_one()
        cases = db.session.execute(
            text(
                "SELECT id, agent_id, region_id FROM cases WHERE status != 'closed' "
                "ORDER BY id DESC LIMIT :n"
            ),
            {"n": count},
        ).all()
        due = now - timedelta(minutes=1)
        rows = [
            {
                "key": f"{prefix}{case_id}:{number}",
                "rule_id": rule_id,
                "subject_type": "case",
                "subject_id": case_id,
                "case_id": case_id,
                "agent_id": agent_id,
                "region_id": region_id,
                "due_at": due,
                "next_attempt_at": due,
                "status": "pending",
                "deliveries": 0,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for number in range(count // len(cases) + 1)
            for case_id, agent_id, region_id in cases
        ][:count]
        db.session.execute(Reminder.__table__.insert(), rows)
        db.session.commit()
        started = clock.perf_counter()
        outcome = tasks.dispatch(now=now, with_email=with_email)
        elapsed = clock.perf_counter() - started
        table = Reminder.__table__
        ours = select(table.c.id).where(table.c.key.like(f"{prefix}%"))
        for model in (Notification, OutboundEmail):
            db.session.execute(
                model.__table__.delete().where(model.__table__.c.reminder_id.in_(ours))
            )
        db.session.execute(table.delete().where(table.c.key.like(f"{prefix}%")))
        db.session.commit()
    delivered = outcome.get("delivered", 0)
    return {
        "reminders": len(rows),
        "with_email": with_email,
        "outcome": outcome,
        "seconds": round(elapsed, 3),
        "per_second": round(delivered / elapsed) if elapsed else None,
    }


# --- Reporting ---------------------------------------------------------------------------------


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def table(results_by_size: dict[int, list[Result]]) -> str:
    sizes = sorted(results_by_size)
    header = (
        "| page | "
        + " | ".join(f"p50 {s:,} | p95 {s:,} | cpu p95 {s:,} | queries {s:,}" for s in sizes)
        + " | p95 ratio |"
    )
    lines = [header, "|---" * (1 + 4 * len(sizes) + 1) + "|"]
    names = [r.page for r in results_by_size[sizes[0]]]
    for name in names:
        cells = []
        p95s = []
        for size in sizes:
            result = next(r for r in results_by_size[size] if r.page == name)
            if result.p50_ms is None:
                cells.append(f"{result.note} | | | ")
                p95s.append(None)
                continue
            queries = f"{result.queries}{'*' if result.queries_varied else ''}"
            cells.append(
                f"{fmt(result.p50_ms)} | {fmt(result.p95_ms)} | {fmt(result.cpu_p95_ms)} | {queries}"
            )
            p95s.append(result.p95_ms)
        ratio = (
            f"{p95s[-1] / p95s[0]:.2f}"
            if len(p95s) > 1 and None not in (p95s[0], p95s[-1]) and p95s[0]
            else ""
        )
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Key pages and dispatcher benchmark")
    parser.add_argument(
        "--cases", type=int, action="append", help="repeatable; default 10000 and 200000"
    )
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--runs", type=int, default=60, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--page", help="only pages whose name contains this")
    parser.add_argument(
        "--dispatch", type=int, default=10_000, help="reminders for the dispatcher run (0: skip)"
    )
    parser.add_argument("--generate", action="store_true", help="generate missing databases first")
    parser.add_argument(
        "--directory", default="/tmp/bench-i9", help="where the SQLite databases are"
    )
    parser.add_argument("--output", help="write the results as JSON here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="regression check on 10,000 cases against bench/baseline.json (bench/quick.py)",
    )
    parser.add_argument(
        "--write-baseline",
        action="store_true",
        help="with --quick: record the ratios as the baseline",
    )
    args = parser.parse_args(argv)
    if args.quick:
        from bench.quick import run

        raise SystemExit(run(write_baseline=args.write_baseline, only=args.page))
    sizes = args.cases or [10_000, 200_000]
    if args.engine == "postgresql" and len(sizes) > 1 and not args.generate:
        parser.error("PostgreSQL has one benchmark database: give one --cases, or --generate")
    results: dict[int, list[Result]] = {}
    dispatch: dict[int, list[dict]] = {}
    for size in sizes:
        url = database_url_for(args.engine, size, args.directory)
        if args.generate or (
            args.engine == "sqlite" and not os.path.exists(url.removeprefix("sqlite:///"))
        ):
            from bench import generate

            generate.main(
                ["--cases", str(size), "--engine", args.engine, "--force", "--database-url", url]
            )
        app = bench_app(url)
        settle_heap()  # as `casework serve` does before its first request
        print(f"== {size:,} cases, {args.engine}: {url}", flush=True)
        results[size] = measure_pages(app, size, args.runs, args.warmup, args.page)
        for result in results[size]:
            print(
                f"  {result.page:<40} p50 {fmt(result.p50_ms):>7} ms  p95 {fmt(result.p95_ms):>7} ms"
                f"  (cpu {fmt(result.cpu_p50_ms):>6} / {fmt(result.cpu_p95_ms):>6})"
                f"  queries {result.queries}{'*' if result.queries_varied else ''} {result.note}",
                flush=True,
            )
        if args.dispatch:
            dispatch[size] = [
                measure_dispatcher(app, args.dispatch, with_email=False),
                measure_dispatcher(app, args.dispatch, with_email=True),
            ]
            for outcome in dispatch[size]:
                print(f"  dispatcher: {outcome}", flush=True)
        with app.app_context():
            from casework.extensions import db

            db.engine.dispose()
    print()
    print(table(results))
    load = os.getloadavg()
    print(
        f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; cpus: {os.cpu_count()}"
    )
    output = args.output or f"{RESULTS_DIR}/results-{args.engine}.json"
    with open(output, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "engine": args.engine,
                "pages": {size: [asdict(r) for r in rs] for size, rs in results.items()},
                "dispatcher": dispatch,
                "loadavg": load,
            },
            handle,
            indent=1,
        )


if __name__ == "__main__":
    main()
