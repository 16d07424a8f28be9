"""Every figure of the dashboard opens the list it counts, scoped as that list always is
(issue 16, point 8), and the page fits at 1366 px: tables below their charts, scroll boxes
reachable by keyboard, chart labels whole."""

from __future__ import annotations

import re

import pytest

from casework.extensions import db
from tests.reports.factories import busy_agent
from tests.reports.test_dashboard import DASHBOARD, forget_snapshots

FIGURE = re.compile(r'<td class="numeric"><a href="([^"]+)">(\d+)</a></td>')


def listed(browser, href: str) -> set[str]:
    """The cases or referrals a drill-down list shows (ids from their links)."""
    page = browser.get(href.replace("&amp;", "&")).text
    kind = "dossiers" if href.startswith("/dossiers/") else "references"
    return set(re.findall(rf'href="/{kind}/(\d+)"', page))


@pytest.fixture
def two_regions(app, make_user):
    with app.app_context():
        ours = busy_agent(make_user, 3, region="06")
        theirs = busy_agent(make_user, 2, region="03")
        forget_snapshots()
    return ours, theirs


def test_every_figure_opens_the_list_it_counts(app, client, login, two_regions):
    (_agent, our_cases), (_other, their_cases) = two_regions
    login(role="supervisor", region="06")
    page = client.get(DASHBOARD).text
    # Delays' medians are not counts: their links are checked against their row's count below.
    before, after = page.split('id="delays-title"')
    figures = FIGURE.findall(before) + FIGURE.findall(after.split('id="no-shows-title"')[1])
    kinds = {href.split("/")[1].split("?")[0] for href, _ in figures}
    assert {"dossiers", "references"} <= kinds
    checked = 0
    for href, value in figures:
        if href.startswith("/rappels/"):
            assert "tab=overdue" in href and "agent=" in href
            continue
        shown = listed(client, href)
        assert len(shown) == int(value), (href, value)
        assert not shown & {str(i) for i in their_cases}  # never the other region's
        if href.startswith("/dossiers/"):
            assert shown <= {str(i) for i in our_cases}
        checked += 1
    # active, total, overdue; one need cell; three funnel stages; first appointments not reminded
    assert checked == 8


def test_funnel_drill_down_lists_the_cohort_at_its_stage(app, client, login, two_regions):
    login(role="advisor", region="06")
    page = client.get(DASHBOARD).text
    funnel = re.search(r'<th scope="row">PROMIS</th>(.*?)</tr>', page).group(1)
    links = dict((v, h) for h, v in FIGURE.findall(funnel))
    accepted = next(h for h in FIGURE.findall(funnel) if "etape=accepted" in h[0])
    assert (accepted[1] == "3" and "status=&amp;" in accepted[0]) or accepted[0].endswith("status=")
    assert len(listed(client, accepted[0])) == 3
    assert links  # submitted, sent, accepted


def test_a_forged_drill_down_never_leaves_the_readers_scope(app, client, login, two_regions):
    (_agent, _ours), (other, their_cases) = two_regions
    login(role="supervisor", region="06")
    for href in (
        f"/dossiers/?agent={other.id}",
        f"/dossiers/?agent={other.id}&status=open",
        "/dossiers/?region=999999&status=open",
    ):
        assert not listed(client, href) & {str(i) for i in their_cases}, href
    assert "seulement." not in client.get(f"/dossiers/?agent={other.id}").text  # no name


@pytest.mark.parametrize(
    "query",
    [
        "soumises_du=2026-13-01&soumises_au=2026-01-31",
        "soumises_du=2026-02-01&soumises_au=2026-01-01",
        "soumises_du=garbage",
        "soumises_du=0001-01-01&soumises_au=0001-01-02",
    ],
)
def test_a_malformed_period_is_400_not_a_wider_list(client, login, query):
    login(role="advisor")
    assert client.get(f"/references/?{query}").status_code == 400


def test_tables_are_keyboard_reachable_and_labels_whole(client, login, two_regions):
    login(role="supervisor", region="06")
    page = client.get(DASHBOARD).text
    boxes = re.findall(r'<div class="table-wrap"[^>]*>', page)
    assert boxes and all('tabindex="0"' in b and 'role="region"' in b for b in boxes)
    assert all(re.search(r'aria-label="[^"]+"', b) for b in boxes)
    svg = "".join(re.findall(r"<svg.*?</svg>", page, re.S))
    assert "…" not in svg
    assert "premier rendez-vous tenu" in svg.replace("</tspan><tspan", " <tspan")


def test_long_chart_labels_wrap_instead_of_being_cut():
    from casework.reports.charts import LABEL_MAX, bar_chart

    label = "Du premier rendez-vous tenu à un plan finalisé, très long libellé"
    chart = bar_chart("c", "t", "d", [(label, [3]), ("Court", [1])], ["n"])
    lines = chart.groups[0].lines
    assert " ".join(lines) == label and all(len(line) <= LABEL_MAX for line in lines)
    assert chart.groups[1].bars[0].y > chart.groups[0].bars[0].y + len(lines)


@pytest.mark.parametrize(
    ("role", "shown"), [("supervisor", True), ("advisor", True), ("agent", False)]
)
def test_supervisors_and_advisors_have_the_dashboard_in_the_header(client, login, role, shown):
    login(role=role)
    nav = client.get("/").text.split('<nav class="site-nav"')[1].split("</nav>")[0]
    assert ('href="/rapports/tableau-de-bord"' in nav) is shown


def test_old_snapshots_without_agent_ids_still_load(app, client, login, make_user):
    with app.app_context():
        busy_agent(make_user, 1)
        forget_snapshots()
    login(role="supervisor")
    client.get(DASHBOARD)
    with app.app_context():
        from sqlalchemy import select

        from casework.reports.models import DashboardSnapshot

        snapshot = db.session.scalars(select(DashboardSnapshot)).first()
        payload = dict(snapshot.payload)
        payload["reminders"] = [row[:4] for row in payload["reminders"]]
        snapshot.payload = payload
        db.session.commit()
    page = client.get(DASHBOARD)
    assert page.status_code == 200


def test_overdue_reminders_per_agent_open_that_agents_overdue_list(app, client, login, make_user):
    from datetime import timedelta

    from casework.cases.models import Case
    from casework.core.time import utcnow
    from tests.reminders.conftest import add_reminder

    agent = make_user(role="agent", region="06")
    with app.app_context():
        from tests import helpers

        record = helpers.create_case(agent.id)
        add_reminder(db.session.get(Case, record.id), utcnow() - timedelta(days=3))
        db.session.commit()
        forget_snapshots()
    login(role="supervisor", region="06")
    page = client.get(DASHBOARD).text
    href = f"/rappels/?tab=overdue&amp;agent={agent.id}"
    assert f'<td class="numeric"><a href="{href}">1</a></td>' in page
    assert record.number in client.get(href.replace("&amp;", "&")).text
