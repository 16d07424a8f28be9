"""Every page fits a phone: a crawl of the demo's pages, for each demo account, at 390 px.

A live server of its own holds what ``casework demo`` makes, on a small scale (the documented
accounts, a dozen cases with their assessments, plans, referrals, appointments, reminders).
Each account signs in (with its second factor where its role requires one), then the crawl
follows the links of every page it reaches, from the home page: a GET route is reachable when
a link leads to it. Each URL pattern (numbers taken for ids) is visited once per account, so the
crawl follows the URL map, not the size of the data.

It fails on any page that scrolls sideways at 390 px, and on any serious or critical WCAG 2.1
A/AA violation axe finds (axe runs once per URL pattern: the templates are the same whichever
account shows them). Downloads (PDF, ICS, CSV, JSON, ZIP) are not pages and are skipped.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import AXE, BLOCKING_IMPACTS, WCAG_TAGS, LiveServer

PASSWORD = "Telephone-390-px-parcours-2026"
CASES = 12
PHONE = {"width": 390, "height": 844}
PAGES_PER_ACCOUNT = 80
DOWNLOADS = re.compile(r"\.(pdf|ics|csv|json|zip)$|/telecharger|/export", re.IGNORECASE)
SKIPPED = ("/connexion", "/deconnexion", "/langue", "/static/")


@pytest.fixture(scope="module")
def demo_server(e2e_requirements, tmp_path_factory) -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    from casework import demo
    from casework.app import create_app
    from casework.extensions import db
    from casework.reference.seed import load_reference_data
    from casework.setup import upgrade_schema

    folder = tmp_path_factory.mktemp("crawl")
    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'casework.sqlite3'}",
            "SECRET_KEY": "crawl-secret-key-not-for-production",
            "INSTANCE_PATH": str(folder),
            "ATTACHMENTS_DIR": str(folder / "attachments"),
            "SCANNING": "off",
            # One browser signs in seven times from the same address.
            "LOGIN_MAX_FAILURES_PER_ADDRESS": 1000,
        }
    )
    with application.app_context():
        upgrade_schema()
        load_reference_data(application.config["SEED_DIR"])
        accounts, _ = demo.load_demo(password=PASSWORD)
        demo.load_demo_cases_once(CASES)
        secrets = demo.enrol_second_factors(accounts)
        usernames = [account.username for account in accounts]
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="crawl-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(
            f"http://127.0.0.1:{server.server_port}",
            application,
            {"secrets": secrets, "usernames": usernames},
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with application.app_context():
            db.engine.dispose()


def _sign_in(page, username: str, secret: str | None) -> None:
    import pyotp

    page.goto("/connexion")
    page.get_by_label("Nom d'utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state("load")
    if "/connexion/code" in page.url:
        page.get_by_label("Code de sécurité").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Continuer").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


def _pattern(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]:not([download])", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        url = urlparse(href)
        if f"{url.scheme}://{url.netloc}" != origin or DOWNLOADS.search(url.path):
            continue
        if url.path.startswith(SKIPPED):
            continue
        found.append(url.path + (f"?{url.query}" if url.query else ""))
    return found


def _sideways(page) -> int:
    """How many pixels the page is wider than the phone's screen."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _axe(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
        }""",
        WCAG_TAGS,
    )
    return [
        f"{v['impact']}: {v['id']} at {', '.join(v['targets'])}"
        for v in found
        if v["impact"] in BLOCKING_IMPACTS
    ]


def _crawl(page, origin: str, audited: set[str]) -> tuple[int, list[str]]:
    queue, seen, problems, visited = deque(["/"]), set(), [], 0
    while queue and visited < PAGES_PER_ACCOUNT:
        path = queue.popleft()
        pattern = _pattern(path.split("?")[0])
        if pattern in seen:
            continue
        seen.add(pattern)
        try:
            response = page.goto(path)
        except Exception as error:  # a link that starts a download is not a page
            if "Download is starting" in str(error):
                continue
            raise
        visited += 1
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        if response.status >= 500:
            problems.append(f"{path}: HTTP {response.status}")
        wider = _sideways(page)
        if wider > 0:
            problems.append(f"{path}: scrolls sideways by {wider} px at 390 px")
        if pattern not in audited:
            audited.add(pattern)
            problems.extend(f"{path}: {violation}" for violation in _axe(page))
        queue.extend(_links(page, origin))
    return visited, problems


def test_every_page_of_every_demo_account_fits_a_phone(browser, demo_server):
    audited: set[str] = set()
    report, total = [], 0
    for username in demo_server.data["usernames"]:
        context = browser.new_context(
            base_url=demo_server.url,
            locale="fr-CA",
            timezone_id="America/Toronto",
            viewport=PHONE,
            bypass_csp=True,  # axe-core is injected as an inline script
        )
        page = context.new_page()
        try:
            _sign_in(page, username, demo_server.data["secrets"].get(username))
            visited, problems = _crawl(page, demo_server.url, audited)
        finally:
            context.close()
        total += visited
        assert visited >= 3, f"{username}: only {visited} pages reached"
        report.extend(f"[{username}] {problem}" for problem in problems)
    assert not report, f"{len(report)} problem(s) over {total} pages:\n" + "\n".join(report)


def test_the_crawl_checks_see_a_wide_page_and_a_scroll_box_out_of_keyboard_reach(browser):
    """The two checks the crawl relies on fail where they should (a test that cannot fail
    proves nothing)."""
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    try:
        page.set_content(
            '<html lang="fr"><head><title>t</title></head><body><main>'
            '<div style="width: 600px">large</div>'
            '<div id="box" style="overflow-x: auto; width: 200px">'
            '<p style="white-space: nowrap">'
            + "un texte large, sans lien ni champ "
            * 5
            + "</p></div>"
            "</main></body></html>"
        )
        assert _sideways(page) > 0
        assert any("scrollable-region-focusable" in v for v in _axe(page))
        page.evaluate("document.getElementById('box').setAttribute('tabindex', '0')")
        assert not any("scrollable-region-focusable" in v for v in _axe(page))
    finally:
        context.close()
