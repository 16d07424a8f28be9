"""End-to-end journeys: the real application in a real browser (headless Chromium).

One live server per test session: the application from ``create_app``, on a fresh SQLite
database in a temporary folder, brought to the schema by the migrations and loaded with the
reference data (what ``casework init`` does), served by werkzeug on a free port of 127.0.0.1
in a background thread. The accounts and the data the journeys start from are created through
the service layer, as ``casework demo`` does.

Engine: the journeys run on SQLite only. What they check (pages, forms, keyboard, accessibility)
does not depend on the database engine; the PostgreSQL pass of the suite covers the engine. With
``CASEWORK_TEST_DATABASE_URL`` set they are skipped, which also keeps CI's PostgreSQL pass short.

Browser: Debian's Chromium (``/usr/bin/chromium``, or ``CASEWORK_E2E_CHROMIUM``); Playwright's own
browser download is not used. axe-core comes from npm (``tests/e2e/package.json``, installed by
``make e2e-deps`` and by ``.ci/run``). When either is missing the journeys are skipped with the
reason, except in CI (``CI`` set), where a missing piece is a failure.

Screenshots of every page go to ``tests/e2e/artifacts/`` (or ``CASEWORK_E2E_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("CASEWORK_E2E_CHROMIUM", "/usr/bin/chromium"))
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("CASEWORK_E2E_ARTIFACTS", HERE / "artifacts"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Parcours-de-bout-en-bout-2026"
# WCAG 2.1 levels A and AA, as axe-core tags them.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            # The journeys commit to their own database; the per-test rollback does not apply.
            item.add_marker(pytest.mark.no_transaction)


def _missing(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI: the end-to-end journeys must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def e2e_requirements() -> None:
    if os.environ.get("CASEWORK_TEST_DATABASE_URL"):
        pytest.skip(
            "end-to-end journeys run in the SQLite pass: the browser UI does not depend on "
            "the database engine"
        )
    if not CHROMIUM.exists():
        _missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("Playwright for Python is not installed (pip install -e '.[test]')")
    if not AXE.exists():
        _missing(f"axe-core not installed at {AXE} (make e2e-deps)")


# --- The live server -------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: object
    data: dict = field(default_factory=dict)

    def run(self, function, *args, **kwargs):
        """Call ``function`` inside the server application's context and commit (what a
        scheduler process would do against the same database)."""
        from casework.extensions import db

        with self.app.app_context():
            result = function(*args, **kwargs)
            db.session.commit()
            return result


def _seed_accounts() -> dict[str, int]:
    """The people of the journeys, as ``casework demo`` creates them; the agent is available
    every day from 08:00 to 20:00 at the Montréal directorate."""
    from sqlalchemy import select

    from casework.appointments import availability
    from casework.demo.accounts import documented_accounts, ensure_account
    from casework.extensions import db
    from casework.reference.models import ServicePoint

    wanted = ("agente", "conseiller", "accueil", "partenaire", "superviseur")
    accounts = documented_accounts()
    users = {a.username: ensure_account(a, PASSWORD) for a in accounts if a.username in wanted}
    agent = users["agente"]
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.code == "DR-MTL"))
    agent.service_point_id = point.id
    for weekday in range(7):
        availability.add_window(
            agent,
            agent,
            availability.WindowFields(
                weekday=weekday,
                starts_at=time(8, 0),
                ends_at=time(20, 0),
                service_point_id=point.id,
                modes=["in_person", "phone", "video"],
                interpreter_languages=[],
                remote_interpretation=False,
            ),
        )
    db.session.commit()
    return {name: user.id for name, user in users.items()}


@pytest.fixture(scope="session")
def live_server(e2e_requirements, clamd_daemon, tmp_path_factory) -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    from casework.app import create_app
    from casework.extensions import db
    from casework.reference.seed import load_reference_data
    from casework.setup import upgrade_schema

    folder = tmp_path_factory.mktemp("e2e")
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'casework.sqlite3'}",
            "SECRET_KEY": "e2e-secret-key-not-for-production",
            "INSTANCE_PATH": str(folder),
            # Documents are scanned by a real clamd (tests/clamav.py) and stored in this run's folder.
            "ATTACHMENTS_DIR": str(folder / "attachments"),
            "SCANNING": "clamd",
            "CLAMD_SOCKET": clamd_daemon.socket,
        }
    )
    with application.app_context():
        upgrade_schema()
        load_reference_data(application.config["SEED_DIR"])
        users = _seed_accounts()
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", application, {"users": users})
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with application.app_context():
            db.engine.dispose()


# --- The browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser(e2e_requirements) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    if ARTIFACTS.exists() and ARTIFACTS == HERE / "artifacts":
        shutil.rmtree(ARTIFACTS)  # this run's screenshots only
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def new_context(browser, live_server: LiveServer, *, axe: bool = True, **options):
    """A fresh browser profile in French, as a person at the counter or the office has it.

    ``axe``: the application sends ``Content-Security-Policy: script-src 'self'``, which forbids
    the inline script that injects axe-core. Playwright's ``bypass_csp`` lifts the policy for
    the whole context, and it is set for that injection only: contexts that do not run axe
    (the keyboard-only journey) keep the policy, and check that no page breaks it.
    """
    return browser.new_context(
        base_url=live_server.url,
        locale="fr-CA",
        timezone_id="America/Toronto",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
        bypass_csp=axe,
        **options,
    )


class Pages:
    """Each page of a journey: a screenshot into the artifacts folder, then axe-core."""

    def __init__(self, page, journey: str, folder: Path, axe: bool = True) -> None:
        self.page = page
        self.journey = journey
        self.folder = folder
        self.axe = axe
        self.count = 0
        self.violations: list[str] = []

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        self.count += 1
        path = self.folder / f"{self.journey}-{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if self.axe:
            self.violations.extend(self._audit(name))

    def _audit(self, name: str) -> list[str]:
        self.page.add_script_tag(path=str(AXE))
        found = self.page.evaluate(
            """async (tags) => {
                const result = await axe.run(document, {
                    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
                return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html,
                                               summary: n.failureSummary}))}));
            }""",
            WCAG_TAGS,
        )
        report = []
        for violation in found:
            if violation["impact"] not in BLOCKING_IMPACTS:
                continue
            lines = [
                f"[{self.journey} · {name}] {self.page.url}",
                f"  {violation['impact']}: {violation['id']} — {violation['help']}",
            ]
            for node in violation["nodes"][:5]:
                lines.append(f"    at {node['target']}: {node['html'][:160]}")
                lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
            report.append("\n".join(lines))
        return report

    def assert_accessible(self) -> None:
        assert not self.violations, (
            f"{len(self.violations)} serious or critical WCAG 2.1 A/AA violation(s):\n\n"
            + "\n\n".join(self.violations)
        )


# The TOTP secrets of the accounts that set up a second factor during the journeys, and the last
# time step each used. A code is valid once: a second sign-in in the same 30 s takes the next
# step's code, which the server still accepts (it tolerates one step either side); a third must
# wait for the clock, as a person would wait for their application's next code.
TOTP_SECRETS: dict[str, str] = {}
LAST_STEPS: dict[str, int] = {}
STEP_SECONDS = 30


def totp_code(username: str) -> str:
    import time

    import pyotp

    while True:
        current = int(time.time()) // STEP_SECONDS
        step = max(current, LAST_STEPS.get(username, -1) + 1)
        if step <= current + 1:
            break
        time.sleep(STEP_SECONDS - time.time() % STEP_SECONDS + 0.2)
    LAST_STEPS[username] = step
    return pyotp.TOTP(TOTP_SECRETS[username]).generate_otp(step)


def enrol(page, username: str) -> None:
    """On the set-up page: read the key shown beside the QR code, as a person types it into
    their authenticator application, and confirm with the code it gives."""
    TOTP_SECRETS[username] = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code affiché par l'application").fill(totp_code(username))
    page.get_by_role("button", name="Activer").click()
    page.get_by_role("link", name="J'ai conservé mes codes — continuer").click()


def sign_in(page, username: str) -> None:
    """Sign in as a person does; accounts whose role requires a second factor set it up at
    their first sign-in, then type a code."""
    page.goto("/connexion")
    page.get_by_label("Nom d'utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("load")
    if "/connexion/deuxieme-facteur" in page.url:
        enrol(page, username)
    elif "/connexion/code" in page.url:
        page.get_by_label("Code de sécurité").fill(totp_code(username))
        page.get_by_role("button", name="Continuer").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


def sign_out(page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion**")
